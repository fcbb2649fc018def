package org.mozpool.server.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import java.util.function.Consumer;
import picocli.CommandLine;

/** One run of {@code mozpool} in-process: its exit code and what it printed. */
record CliRun(int exit, String out, String err) {

  static CliRun run(Map<String, String> env, String... args) {
    return run(env, s -> { }, args);
  }

  static CliRun run(Map<String, String> env, Consumer<AutoCloseable> onServerStarted,
      String... args) {
    MozpoolCommand root = new MozpoolCommand(env);
    root.shutdownHook = false;
    root.onServerStarted = onServerStarted;
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = MozpoolCommand.commandLine(root);
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(args);
    return new CliRun(exit, out.toString(), err.toString());
  }

  /** Standard output's lines. */
  String[] lines() {
    return out.split("\\R");
  }
}
