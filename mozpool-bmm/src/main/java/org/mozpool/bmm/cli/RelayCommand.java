package org.mozpool.bmm.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import org.mozpool.bmm.ProxrPowerControl;
import org.mozpool.bmm.RelayAddress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code mozpool relay …}: power operations on a ProXR relay board. */
@Command(name = "relay", mixinStandardHelpOptions = true,
    subcommands = {RelayCommand.PowerCycle.class, RelayCommand.Status.class,
        RelayCommand.TurnOn.class, RelayCommand.TurnOff.class, RelayCommand.BoardTest.class},
    description = "Power operations on an NCD ProXR relay board. Boards are wired normally "
        + "closed: turnon powers the device (turns its relay off).")
final class RelayCommand implements Runnable {

  @Spec CommandSpec spec;

  /**
   * A relay driver with the settings of the root command: {@link MozpoolCli}'s (tests shorten the
   * delays), or the production ones under another root (the server's {@code mozpool}).
   */
  ProxrPowerControl newPowerControl() {
    CommandSpec parent = spec.parent();
    if (parent != null && parent.userObject() instanceof MozpoolCli root) {
      return root.newPowerControl();
    }
    return ProxrPowerControl.builder().build();
  }

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(),
        "a relay command is required: powercycle, status, turnon, turnoff or test");
  }

  /** The arguments the per-relay commands share. */
  abstract static class RelayOperation implements java.util.concurrent.Callable<Integer> {
    @ParentCommand RelayCommand relay;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "HOST[:PORT]", description = "relay board (port 2101 by default)")
    String board;

    @Parameters(index = "1", paramLabel = "BANK", description = "bank, 1 to 4")
    int bank;

    @Parameters(index = "2", paramLabel = "RELAY", description = "relay, 1 to 8")
    int relayNumber;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30",
        description = "give up after this many seconds (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Override
    public Integer call() {
      RelayAddress address;
      try {
        address = RelayAddress.of(board, bank, relayNumber);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage());
      }
      requireTimeout(spec, timeoutSeconds);
      return perform(spec, relay, Duration.ofSeconds(timeoutSeconds),
          (power, deadline) -> operate(power, address, deadline),
          result -> success(address, result));
    }

    abstract CompletionStage<?> operate(ProxrPowerControl power, RelayAddress address,
        Duration deadline);

    String success(RelayAddress address, Object result) {
      return "OK";
    }
  }

  @Command(name = "powercycle", mixinStandardHelpOptions = true,
      description = "Turn the device off, wait a second, turn it on again; verified by reading the relay back.")
  static final class PowerCycle extends RelayOperation {
    @Override
    CompletionStage<?> operate(ProxrPowerControl power, RelayAddress address, Duration deadline) {
      return power.powerCycle(address, deadline);
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Print whether the device is powered: bank B, relay R: device on|off.")
  static final class Status extends RelayOperation {
    @Override
    CompletionStage<?> operate(ProxrPowerControl power, RelayAddress address, Duration deadline) {
      return power.isPowered(address, deadline);
    }

    @Override
    String success(RelayAddress address, Object powered) {
      return "bank " + address.bank() + ", relay " + address.relay() + ": device "
          + (Boolean.TRUE.equals(powered) ? "on" : "off");
    }
  }

  @Command(name = "turnon", mixinStandardHelpOptions = true,
      description = "Power the device on (turns its relay off).")
  static final class TurnOn extends RelayOperation {
    @Override
    CompletionStage<?> operate(ProxrPowerControl power, RelayAddress address, Duration deadline) {
      return power.powerOn(address, deadline);
    }
  }

  @Command(name = "turnoff", mixinStandardHelpOptions = true,
      description = "Power the device off (turns its relay on).")
  static final class TurnOff extends RelayOperation {
    @Override
    CompletionStage<?> operate(ProxrPowerControl power, RelayAddress address, Duration deadline) {
      return power.powerOff(address, deadline);
    }
  }

  @Command(name = "test", mixinStandardHelpOptions = true,
      description = "Two-way test of the board (FE 21, expects 55).")
  static final class BoardTest implements java.util.concurrent.Callable<Integer> {
    @ParentCommand RelayCommand relay;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "HOST[:PORT]", description = "relay board (port 2101 by default)")
    String board;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30",
        description = "give up after this many seconds (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Override
    public Integer call() {
      try {
        RelayAddress.of(board, 1, 1);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage());
      }
      requireTimeout(spec, timeoutSeconds);
      return perform(spec, relay, Duration.ofSeconds(timeoutSeconds),
          (power, deadline) -> power.testBoard(board, deadline), result -> "OK");
    }
  }

  static void requireTimeout(CommandSpec spec, int timeoutSeconds) {
    if (timeoutSeconds < 1) {
      throw new ParameterException(spec.commandLine(),
          "--timeout must be at least 1 second, got " + timeoutSeconds);
    }
  }

  /** Runs one operation on a fresh power control and prints its outcome. */
  static int perform(CommandSpec spec, RelayCommand relay, Duration timeout,
      BiFunction<ProxrPowerControl, Duration, CompletionStage<?>> operation,
      java.util.function.Function<Object, String> success) {
    PrintWriter out = spec.commandLine().getOut();
    try (ProxrPowerControl power = relay.newPowerControl()) {
      Object result = operation.apply(power, timeout).toCompletableFuture()
          .get(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
      out.println(success.apply(result));
      out.flush();
      return MozpoolCli.OK;
    } catch (ExecutionException e) {
      return MozpoolCli.failed(spec, e.getCause().getMessage());
    } catch (TimeoutException e) {
      return MozpoolCli.failed(spec, "no result within " + timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return MozpoolCli.failed(spec, "interrupted");
    }
  }
}
