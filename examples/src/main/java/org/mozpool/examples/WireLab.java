package org.mozpool.examples;

import java.io.PrintStream;
import java.time.Duration;

/** The {@code --wire} mode of the lab simulation: real protocols over loopback, in real time. */
final class WireLab {
  private WireLab() {}

  static int run(int devices, Duration length, long seed, PrintStream out, PrintStream err) {
    err.println("--wire is not implemented yet: the wire-mode lab is still being built");
    return 1;
  }
}
