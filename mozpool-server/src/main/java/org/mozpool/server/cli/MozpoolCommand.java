package org.mozpool.server.cli;

import java.io.PrintWriter;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.mozpool.bmm.cli.MozpoolCli;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code mozpool} command line: the executable jar's entry point.
 *
 * <pre>
 * mozpool server --config lab.yaml
 * mozpool server --demo [--devices N] [--listen HOST:PORT] [--compression FACTOR]
 * mozpool device list|show|log|power-cycle|self-test|maintenance|state-change ...
 * mozpool request list|show|new|renew|return ...
 * mozpool relay|pxe|tftp ...            (the hardware, without a server)
 * </pre>
 *
 * <p>The {@code device} and {@code request} commands call a running server at {@code --server}
 * (default {@code $MOZPOOL_SERVER}, else {@code http://127.0.0.1:8080}) with the bearer token in
 * {@code $MOZPOOL_TOKEN} (never a command-line option, so that it stays out of shell histories and
 * process lists). They print tables, or with {@code --json} the API's JSON as it came.
 *
 * <p>Exit codes: {@value #OK} success; {@value #FAILED} the operation failed or the server refused
 * it (the reason, with the server's own error message, is printed as {@code FAILED: <reason>});
 * {@value #USAGE} bad arguments (the problem and the usage go to standard error); {@value
 * #UNREACHABLE} the server cannot be reached (refused connection, unknown host, no answer in
 * time).
 */
@Command(name = "mozpool", mixinStandardHelpOptions = true, version = "mozpool 0.1",
    description = "Run a Mozpool server, operate its devices and requests, or drive lab"
        + " hardware directly.",
    subcommands = {ServerCommand.class, DeviceCommand.class, RequestCommand.class},
    footer = {"", "Exit codes: 0 ok, 1 failed or refused (FAILED: reason), 2 bad arguments,"
        + " 3 server unreachable."})
public final class MozpoolCommand implements Runnable {

  /** Exit code of a successful command. */
  public static final int OK = 0;
  /** Exit code of a command whose operation failed or that the server refused. */
  public static final int FAILED = 1;
  /** Exit code of a command with bad arguments. */
  public static final int USAGE = 2;
  /** Exit code of a command that could not reach the server. */
  public static final int UNREACHABLE = 3;

  /** The variable holding the server's base URL. */
  public static final String SERVER_VARIABLE = "MOZPOOL_SERVER";
  /** The variable holding the API token. */
  public static final String TOKEN_VARIABLE = "MOZPOOL_TOKEN";
  /** The server called when neither {@code --server} nor {@code $MOZPOOL_SERVER} is given. */
  public static final String DEFAULT_SERVER = "http://127.0.0.1:8080";

  final Map<String, String> environment;
  /** Called with each server {@code mozpool server} starts (tests stop it through this). */
  Consumer<AutoCloseable> onServerStarted = s -> { };
  /** Whether {@code mozpool server} registers a JVM shutdown hook (not in tests). */
  boolean shutdownHook = true;

  @Spec CommandSpec spec;

  /** The command line of this process: environment from {@link System#getenv()}. */
  public MozpoolCommand() {
    this(System.getenv());
  }

  MozpoolCommand(Map<String, String> environment) {
    this.environment = Map.copyOf(Objects.requireNonNull(environment, "environment"));
  }

  /** Runs {@code mozpool} with {@code args} and exits with its exit code. */
  public static void main(String[] args) {
    // diagnostics go to standard error (slf4j-simple's default); Jetty's start-up chatter is
    // turned down unless the user asked otherwise with -D in $MOZPOOL_JAVA_OPTS
    defaultProperty("org.slf4j.simpleLogger.showDateTime", "true");
    defaultProperty("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
    defaultProperty("org.slf4j.simpleLogger.log.org.eclipse.jetty", "warn");
    defaultProperty("org.slf4j.simpleLogger.log.io.javalin", "warn");
    System.exit(execute(args));
  }

  private static void defaultProperty(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }

  /** Runs {@code mozpool} with {@code args} on standard output and error; returns the exit code. */
  public static int execute(String... args) {
    return commandLine(new MozpoolCommand()).execute(args);
  }

  /** The whole command tree under {@code root}, hardware commands included. */
  static CommandLine commandLine(MozpoolCommand root) {
    CommandLine cli = new CommandLine(root);
    MozpoolCli.addHardwareCommands(cli);
    return cli;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "a command is required: server, device, request, relay, pxe or tftp");
  }

  /** The root command of {@code spec}'s command line. */
  static MozpoolCommand root(CommandSpec spec) {
    return (MozpoolCommand) spec.root().userObject();
  }

  /** Prints {@code FAILED: reason} on standard output and returns {@link #FAILED}. */
  static int failed(CommandSpec spec, String reason) {
    return failed(spec, reason, FAILED);
  }

  /** Prints {@code FAILED: reason} on standard output and returns {@code code}. */
  static int failed(CommandSpec spec, String reason, int code) {
    PrintWriter out = spec.commandLine().getOut();
    out.println("FAILED: " + reason);
    out.flush();
    return code;
  }
}
