package org.mozpool.server.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.mozpool.server.ConfigException;
import org.mozpool.server.ConfigLoader;
import org.mozpool.server.MozpoolServer;
import org.mozpool.server.ServerConfig;
import org.mozpool.server.demo.DemoLab;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code mozpool server}: a server from a config file, or the demo lab. */
@Command(name = "server", mixinStandardHelpOptions = true,
    description = {"Run a Mozpool server until interrupted (Ctrl-C or SIGTERM).",
        "--config runs the lab a YAML config describes (relative paths in it are resolved"
            + " against its directory); --demo runs a simulated lab on loopback, with generated"
            + " tokens printed at start-up, in a temporary directory deleted on exit."})
final class ServerCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  static final class Mode {
    @Option(names = "--config", paramLabel = "FILE", required = true,
        description = "the lab's config (YAML)")
    Path config;

    @Option(names = "--demo", required = true,
        description = "run the demo lab: simulated pandas on loopback")
    boolean demo;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Mode mode;

  @Option(names = "--devices", paramLabel = "N",
      description = "demo: how many simulated pandas (default: 16)")
  Integer devices;

  @Option(names = "--listen", paramLabel = "HOST:PORT",
      description = "demo: where the server listens (default: 127.0.0.1:8080; port 0 picks a"
          + " free one)")
  String listen;

  @Option(names = "--compression", paramLabel = "FACTOR",
      description = "demo: every timeout divided by FACTOR (default: 20)")
  Double compression;

  @Override
  public Integer call() throws InterruptedException {
    return mode.demo ? demo() : fromConfig(mode.config);
  }

  private int fromConfig(Path file) throws InterruptedException {
    if (devices != null || listen != null || compression != null) {
      throw new ParameterException(spec.commandLine(),
          "--devices, --listen and --compression go with --demo; a config sets its own");
    }
    PrintWriter err = spec.commandLine().getErr();
    if (!Files.isRegularFile(file)) {
      throw new ParameterException(spec.commandLine(), "--config " + file + ": no such file");
    }
    MozpoolServer server;
    try {
      ServerConfig config = ConfigLoader.load(file);
      Path base = file.toAbsolutePath().normalize().getParent();
      server = MozpoolServer.builder(config).configDirectory(base).start();
    } catch (ConfigException e) {
      err.println("mozpool server: " + e.getMessage());
      err.flush();
      return MozpoolCommand.USAGE;
    } catch (RuntimeException e) {
      return MozpoolCommand.failed(spec, "cannot start the server: " + e.getMessage());
    }
    PrintWriter out = spec.commandLine().getOut();
    out.println("Mozpool server " + server.config().instance() + " serving " + server.uri()
        + " (" + server.pool().inventory().devices().size() + " devices; Ctrl-C to stop)");
    out.flush();
    return serve(server, server);
  }

  private int demo() throws InterruptedException {
    DemoLab.Options options = DemoLab.options().listen("127.0.0.1:8080");
    try {
      if (devices != null) {
        options.devices(devices);
      }
      if (listen != null) {
        options.listen(listen);
      }
      if (compression != null) {
        options.compression(compression);
      }
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    DemoLab demo;
    try {
      demo = DemoLab.start(options);
    } catch (ConfigException e) {
      String hint = listen == null ? " (another port: --listen 127.0.0.1:0)" : "";
      return MozpoolCommand.failed(spec, "cannot start the demo lab: "
          + String.join("; ", e.problems()) + hint);
    } catch (RuntimeException e) {
      return MozpoolCommand.failed(spec, "cannot start the demo lab: " + e.getMessage());
    }
    PrintWriter out = spec.commandLine().getOut();
    out.print(demo.banner());
    out.flush();
    return serve(demo, demo.server());
  }

  /** Runs until {@code server} stops, closing {@code running} on SIGTERM or Ctrl-C. */
  private int serve(AutoCloseable running, MozpoolServer server) throws InterruptedException {
    MozpoolCommand root = MozpoolCommand.root(spec);
    Thread hook = new Thread(() -> closeQuietly(running), "mozpool-server-shutdown");
    if (root.shutdownHook) {
      Runtime.getRuntime().addShutdownHook(hook);
    }
    try {
      root.onServerStarted.accept(running);
      server.awaitStop();
    } finally {
      if (root.shutdownHook) {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
          // the JVM is shutting down: the hook closes the server
        }
      }
      closeQuietly(running);
    }
    return MozpoolCommand.OK;
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // stopping anyway
    }
  }
}
