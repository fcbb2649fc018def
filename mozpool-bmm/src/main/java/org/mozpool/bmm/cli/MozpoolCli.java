package org.mozpool.bmm.cli;

import java.io.PrintWriter;
import java.util.Objects;
import java.util.function.UnaryOperator;
import org.mozpool.bmm.ProxrPowerControl;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The hardware commands of the {@code mozpool} operator command line, on their own: relay-board
 * power operations, a standalone TFTP server and PXE config files. The distributed {@code mozpool}
 * (the {@code mozpool-server} CLI jar) includes them beside its server, device and request
 * commands through {@link #addHardwareCommands(CommandLine)}; this class is their root for tests
 * and for programs that want only them.
 *
 * <pre>
 * mozpool relay powercycle|status|turnon|turnoff HOST[:PORT] BANK RELAY [--timeout SECONDS]
 * mozpool relay test HOST[:PORT]
 * mozpool tftp serve --root DIR [--port PORT] [--bind ADDRESS]
 * mozpool pxe set --root DIR --mac MAC --config FILE [--ip ADDRESS]
 * mozpool pxe clear --root DIR --mac MAC
 * </pre>
 *
 * <p>Exit codes: 0 success, 1 the operation failed (the reason is printed as {@code FAILED:
 * <reason>}), 2 bad arguments (the usage is printed on standard error).
 */
@Command(name = "mozpool", mixinStandardHelpOptions = true, version = "mozpool 0.1",
    description = "Operate Mozpool hardware: relay boards, TFTP, PXE configs.",
    subcommands = {RelayCommand.class, TftpCommand.class, PxeCommand.class})
public final class MozpoolCli implements Runnable {

  /** Exit code of a successful command. */
  public static final int OK = 0;
  /** Exit code of a command whose operation failed. */
  public static final int FAILED = 1;
  /** Exit code of a command with bad arguments. */
  public static final int USAGE = 2;

  private final UnaryOperator<ProxrPowerControl.Builder> powerSettings;

  @Spec CommandSpec spec;

  /** A command line with the production settings. */
  public MozpoolCli() {
    this(UnaryOperator.identity());
  }

  /** A command line whose relay operations use {@code powerSettings} (tests shorten the delays). */
  MozpoolCli(UnaryOperator<ProxrPowerControl.Builder> powerSettings) {
    this.powerSettings = Objects.requireNonNull(powerSettings, "powerSettings");
  }

  /** Runs {@code mozpool} with {@code args} and exits with its exit code. */
  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs {@code mozpool} with {@code args} on standard output and error; returns the exit code. */
  public static int execute(String... args) {
    return new CommandLine(new MozpoolCli()).execute(args);
  }

  /**
   * Adds the {@code relay}, {@code tftp} and {@code pxe} commands to {@code root}, another
   * command line's root; they run with the production relay settings there. Returns {@code root}.
   */
  public static CommandLine addHardwareCommands(CommandLine root) {
    return root.addSubcommand(new RelayCommand()).addSubcommand(new TftpCommand())
        .addSubcommand(new PxeCommand());
  }

  ProxrPowerControl newPowerControl() {
    return powerSettings.apply(ProxrPowerControl.builder()).build();
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "a command is required: relay, tftp or pxe");
  }

  /** Prints {@code FAILED: reason} and returns {@link #FAILED}. */
  static int failed(CommandSpec spec, String reason) {
    PrintWriter out = spec.commandLine().getOut();
    out.println("FAILED: " + reason);
    out.flush();
    return FAILED;
  }
}
