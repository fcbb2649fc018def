package org.mozpool.bmm.live;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A shell the live-image scripts must run under, with the tools around it. {@link #DASH} is
 * Debian's {@code dash} with the machine's own tools (curl, GNU coreutils); {@link #BUSYBOX} is
 * a BusyBox-only world, as in a live image's initramfs: a directory of BusyBox applets is the
 * whole PATH, so {@code sh}, {@code wget}, {@code awk}, {@code dd}, {@code sha256sum} and {@code
 * timeout} are all BusyBox's, and there is no curl.
 */
enum LiveShell {
  DASH("dash", "dash"),
  BUSYBOX("busybox", "busybox");

  private final String binary;
  private final String debianPackage;

  LiveShell(String binary, String debianPackage) {
    this.binary = binary;
    this.debianPackage = debianPackage;
  }

  /**
   * The directory of this shell's world, made once per test run under {@code target/} (not in
   * a test's temporary directory: its links point outside it). Its {@code sh} is the shell.
   * Skips the test when the shell is missing (fails under {@code CI=true}).
   */
  synchronized Path bin() {
    Path shell = LiveTools.require(binary, debianPackage);
    Path bin = Path.of("target", "live-shells", name().toLowerCase(java.util.Locale.ROOT))
        .toAbsolutePath();
    if (Files.exists(bin.resolve("sh"))) {
      return bin;
    }
    try {
      Files.createDirectories(bin);
      if (this == DASH) {
        for (String tool : LiveTools.DASH_RUN_TOOLS) {
          LiveTools.require(tool, tool.equals("curl") ? "curl" : "coreutils");
        }
        Files.createSymbolicLink(bin.resolve("sh"), shell);
        return bin;
      }
      Process list = new ProcessBuilder(shell.toString(), "--list").start();
      String applets = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      list.waitFor(10, TimeUnit.SECONDS);
      for (String applet : applets.split("\\s+")) {
        if (!applet.isEmpty() && !applet.contains("/") && !applet.equals("sh")
            && Files.notExists(bin.resolve(applet))) {
          Files.createSymbolicLink(bin.resolve(applet), shell);
        }
      }
      Files.createSymbolicLink(bin.resolve("sh"), shell); // last: its presence means complete
      return bin;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The PATH scripts run with in this shell's world. */
  String path() {
    Path bin = bin();
    return this == DASH ? bin + ":/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" : bin.toString();
  }

  /** The real {@code dd} of this shell's world (for test doubles that wrap it). */
  String realDd() {
    return this == DASH ? LiveTools.require("dd", "coreutils").toString()
        : LiveTools.require("busybox", "busybox") + " dd";
  }
}
