package org.mozpool.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.mozpool.spi.DeviceTarget;
import org.mozpool.spi.PowerControl;
import org.mozpool.spi.RelayFaultException;

/**
 * A custom {@link PowerControl}: power-cycles a device by running the lab's own command-line tool
 * (a PDU's CLI, an IPMI wrapper), for hardware that {@code mozpool-bmm}'s ProXR driver does not
 * speak. Each argument may contain {@code {device}} and {@code {address}} (the device's power
 * address), replaced before the command runs:
 *
 * <pre>{@code
 * new CommandPowerControl(List.of("pdu", "cycle", "{address}"))
 * }</pre>
 *
 * <p>Exit status 0 is success; {@value #RELAY_DID_NOT_SWITCH} means the tool switched the outlet
 * and read back the wrong state, which the SPI reports as a {@link RelayFaultException} so that
 * Lifeguard counts it against the device; any other status, or a command still running at the
 * deadline (it is then killed), is a fault of the PDU and fails with an {@link
 * IllegalStateException} or a {@link TimeoutException}. A call cancelled before its command
 * started never starts it. Thread safe; {@link #close()} stops its threads.
 */
public final class CommandPowerControl implements PowerControl, AutoCloseable {
  /** The exit status that means "the outlet read back the wrong state". */
  public static final int RELAY_DID_NOT_SWITCH = 3;

  private final List<String> command;
  private final ExecutorService runner = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "command-power-control");
    t.setDaemon(true);
    return t;
  });

  /**
   * @param command the program and its arguments, with {@code {device}} and {@code {address}}
   * @throws IllegalArgumentException if {@code command} is empty
   */
  public CommandPowerControl(List<String> command) {
    if (command.isEmpty()) {
      throw new IllegalArgumentException("a power command needs at least a program name");
    }
    this.command = List.copyOf(command);
  }

  @Override
  public CompletionStage<Void> powerCycle(DeviceTarget device, Duration deadline) {
    Objects.requireNonNull(device, "device");
    // supplyAsync does not run the task of a future that was cancelled while it waited
    return CompletableFuture.supplyAsync(() -> {
      run(device, deadline);
      return null;
    }, runner);
  }

  private void run(DeviceTarget device, Duration deadline) {
    List<String> argv = command.stream().map(arg -> arg.replace("{device}", device.device())
        .replace("{address}", device.powerAddress())).toList();
    try {
      Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
      if (!process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new CompletionException(new TimeoutException(argv.get(0) + " for device "
            + device.device() + " still running after " + deadline));
      }
      String output = new String(process.getInputStream().readAllBytes(),
          StandardCharsets.UTF_8).strip();
      int status = process.exitValue();
      if (status == RELAY_DID_NOT_SWITCH) {
        throw new RelayFaultException(device.device(), "outlet of " + device.device()
            + " did not switch: " + output);
      } else if (status != 0) {
        throw new IllegalStateException(argv.get(0) + " for device " + device.device()
            + " failed with status " + status + ": " + output);
      }
    } catch (IOException e) {
      throw new CompletionException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CompletionException(e);
    }
  }

  @Override
  public void close() {
    runner.shutdownNow();
  }
}
