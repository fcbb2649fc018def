package org.mozpool.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What every benchmark prints: the machine it ran on, the exact command that reproduces it, and
 * its figures. Figures are printed as {@code key = value} lines so that BENCHMARKS.md can quote
 * them as they are.
 */
final class Report {
  static final String BUILD = "mvn -B -ntp -q -pl benchmarks -am package -DskipTests";
  private static final String CLASSPATH = "\"benchmarks/target/mozpool-benchmarks.jar:benchmarks/target/lib/*\"";

  private Report() {}

  /** Prints the header: which benchmark, when, on what, and how to run it again. */
  static void header(Class<?> benchmark, String[] args) {
    List<String> jvm = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("-X") || a.startsWith("-XX") || a.startsWith("-D"))
        .toList();
    String cmd = BUILD + " && java " + (jvm.isEmpty() ? "" : String.join(" ", jvm) + " ")
        + "-cp " + CLASSPATH + " " + benchmark.getName()
        + (args.length == 0 ? "" : " " + Arrays.stream(args).collect(Collectors.joining(" ")));
    System.out.println("# " + benchmark.getSimpleName() + " at " + Instant.now());
    System.out.println("# machine: " + Runtime.getRuntime().availableProcessors() + " cores, "
        + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", Java "
        + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + "), max heap "
        + mib(Runtime.getRuntime().maxMemory()) + " MiB, load average "
        + String.format(Locale.ROOT, "%.2f",
            ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
    System.out.println("# reproduce (from the repository root): " + cmd);
    System.out.flush();
  }

  static void figure(String key, Object value) {
    System.out.println(key + " = " + value);
    System.out.flush();
  }

  static void note(String line) {
    System.out.println("# " + line);
    System.out.flush();
  }

  static long mib(long bytes) {
    return bytes / (1024 * 1024);
  }

  /** Heap in use after a full collection, in MiB: what the live objects need. */
  static long heapUsedAfterGcMib() {
    MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
    for (int i = 0; i < 3; i++) {
      System.gc();
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return mib(mem.getHeapMemoryUsage().getUsed());
  }

  static String ms(double nanos) {
    return String.format(Locale.ROOT, "%.3f ms", nanos / 1e6);
  }

  static String fmt(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  /** An argument {@code name=value} from {@code args}, or the default. */
  static String arg(String[] args, String name, String dflt) {
    for (String a : args) {
      if (a.startsWith(name + "=")) {
        return a.substring(name.length() + 1);
      }
    }
    return dflt;
  }

  static int intArg(String[] args, String name, int dflt) {
    return Integer.parseInt(arg(args, name, Integer.toString(dflt)));
  }
}
