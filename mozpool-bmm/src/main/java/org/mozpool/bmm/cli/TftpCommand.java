package org.mozpool.bmm.cli;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.mozpool.bmm.TftpServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code mozpool tftp serve}: the embedded TFTP server on its own. */
@Command(name = "tftp", mixinStandardHelpOptions = true,
    subcommands = TftpCommand.Serve.class,
    description = "The embedded read-only TFTP server.")
final class TftpCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "a tftp command is required: serve");
  }

  @Command(name = "serve", mixinStandardHelpOptions = true,
      description = "Serve DIR read-only over TFTP until interrupted (Ctrl-C).")
  static final class Serve implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--root", required = true, paramLabel = "DIR", description = "directory to serve")
    Path root;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "69",
        description = "UDP port (default: ${DEFAULT-VALUE}; 0 picks a free one)")
    int port;

    @Option(names = "--bind", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
        description = "address to listen on (default: ${DEFAULT-VALUE}; 0.0.0.0 for all)")
    String bind;

    @Override
    public Integer call() {
      if (!Files.isDirectory(root)) {
        throw new ParameterException(spec.commandLine(), "--root " + root + " is not a directory");
      }
      if (port < 0 || port > 65535) {
        throw new ParameterException(spec.commandLine(), "--port must be 0..65535, got " + port);
      }
      InetAddress address;
      try {
        address = InetAddress.getByName(bind);
      } catch (UnknownHostException e) {
        throw new ParameterException(spec.commandLine(), "--bind: unknown address " + bind);
      }
      PrintWriter out = spec.commandLine().getOut();
      TftpServer server;
      try {
        server = TftpServer.builder(root).bindAddress(address).port(port).build().start();
      } catch (UncheckedIOException e) {
        return MozpoolCli.failed(spec, e.getMessage());
      }
      Thread hook = new Thread(server::close, "mozpool-tftp-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      try (server) {
        out.println("serving " + server.root() + " on " + address.getHostAddress() + ":"
            + server.port() + " (Ctrl-C to stop)");
        out.flush();
        new CountDownLatch(1).await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
          // the JVM is already shutting down: the hook closes the server
        }
      }
      out.println("stopped");
      out.flush();
      return MozpoolCli.OK;
    }
  }
}
