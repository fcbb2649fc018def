package org.mozpool.bmm.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.mozpool.DeviceSpec;
import org.mozpool.bmm.PxeBootControl;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code mozpool pxe set|clear}: a device's pxelinux config in a TFTP root. */
@Command(name = "pxe", mixinStandardHelpOptions = true,
    subcommands = {PxeCommand.Set.class, PxeCommand.Clear.class},
    description = "Write or remove a device's pxelinux config (pxelinux.cfg/01-aa-bb-cc-dd-ee-ff).")
final class PxeCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "a pxe command is required: set or clear");
  }

  static String mac(CommandSpec spec, String mac) {
    try {
      return DeviceSpec.normalizeMac(mac);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--mac: " + e.getMessage());
    }
  }

  @Command(name = "set", mixinStandardHelpOptions = true,
      description = "Install FILE as the device's PXE config, atomically; %%IPADDRESS%% and "
          + "%%MAC%% are substituted.")
  static final class Set implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--root", required = true, paramLabel = "DIR", description = "TFTP root")
    Path root;

    @Option(names = "--mac", required = true, paramLabel = "MAC", description = "device MAC address")
    String mac;

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "pxelinux config to install")
    Path config;

    @Option(names = "--ip", paramLabel = "ADDRESS",
        description = "value of %%IPADDRESS%% (default: this host's address)")
    String ip;

    @Override
    public Integer call() {
      String normalized = mac(spec, mac);
      if (!Files.isRegularFile(config)) {
        throw new ParameterException(spec.commandLine(), "--config " + config + " is not a file");
      }
      PrintWriter out = spec.commandLine().getOut();
      try {
        String contents = Files.readString(config, StandardCharsets.UTF_8);
        PxeBootControl boot = new PxeBootControl(root, ip != null ? ip : localAddress());
        Path file = boot.writeConfig(normalized, contents, Map.of());
        out.println("OK: wrote " + file);
        out.flush();
        return MozpoolCli.OK;
      } catch (IOException e) {
        return MozpoolCli.failed(spec, "cannot read " + config + ": " + e.getMessage());
      } catch (UncheckedIOException e) {
        return MozpoolCli.failed(spec, e.getMessage());
      }
    }

    private static String localAddress() {
      try {
        return InetAddress.getLocalHost().getHostAddress();
      } catch (UnknownHostException e) {
        return InetAddress.getLoopbackAddress().getHostAddress();
      }
    }
  }

  @Command(name = "clear", mixinStandardHelpOptions = true,
      description = "Remove the device's PXE config so it boots from its storage (idempotent).")
  static final class Clear implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--root", required = true, paramLabel = "DIR", description = "TFTP root")
    Path root;

    @Option(names = "--mac", required = true, paramLabel = "MAC", description = "device MAC address")
    String mac;

    @Override
    public Integer call() {
      String normalized = mac(spec, mac);
      PrintWriter out = spec.commandLine().getOut();
      try {
        PxeBootControl boot = new PxeBootControl(root, "0.0.0.0");
        Path file = boot.configFile(normalized);
        out.println(boot.clearConfig(normalized) ? "OK: removed " + file
            : "OK: no config at " + file);
        out.flush();
        return MozpoolCli.OK;
      } catch (UncheckedIOException e) {
        return MozpoolCli.failed(spec, e.getMessage());
      }
    }
  }
}
