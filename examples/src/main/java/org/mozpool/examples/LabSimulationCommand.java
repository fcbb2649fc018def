package org.mozpool.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.mozpool.jdbc.JdbcPoolStore;
import org.mozpool.spi.PoolStore;
import org.mozpool.testkit.faults.FaultProfile;
import org.mozpool.testkit.report.HtmlReport;
import org.mozpool.testkit.report.LabReport;
import org.mozpool.testkit.sim.LabSimulation;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The command line of the lab simulation, the README's main job ({@code mozpool-lab.jar}'s main
 * class), over the testkit's {@link LabSimulation} (and, with {@code --wire}, {@link
 * WireModeRun}): a lab of pandas in chassis of 16 on relay boards, simulated on virtual time under
 * a CI-like workload and the realistic fault profile, reported as text and as an HTML page,
 * Mozpool side by side with a naive pool on the same seed and workload.
 *
 * <pre>
 * java -jar examples/target/mozpool-lab.jar                       # 800 pandas, 1 day, H2
 * java -jar examples/target/mozpool-lab.jar --devices 200 --days 1 --seed 7 --store memory
 * </pre>
 */
@Command(name = "mozpool-lab", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Simulates a lab of pandas under a CI workload and reports how Mozpool fares"
        + " against a naive pool on the same seed.")
public final class LabSimulationCommand implements Callable<Integer> {

  @Option(names = "--devices", description = "pandas in the lab (default ${DEFAULT-VALUE})")
  int devices = 800;

  @Option(names = "--chassis", description = "pandas per chassis and relay board"
      + " (default ${DEFAULT-VALUE})")
  int chassis = 16;

  @Option(names = "--days", description = "simulated days (default ${DEFAULT-VALUE})")
  double days = 1;

  @Option(names = "--seed", description = "seed of the lab, faults and workload"
      + " (default ${DEFAULT-VALUE})")
  long seed = 1;

  @Option(names = "--faults", description = "fault profile: realistic or none"
      + " (default ${DEFAULT-VALUE})")
  String faults = "realistic";

  @Option(names = "--store", description = "memory, h2 (a fresh embedded H2 database in a"
      + " temporary directory), h2:PATH (a new H2 file) or jdbc:URL (default ${DEFAULT-VALUE})")
  String store = "h2";

  @Option(names = "--db-user", description = "user for --store jdbc:URL")
  String dbUser = "";

  @Option(names = "--db-password", description = "password for --store jdbc:URL",
      interactive = false)
  String dbPassword = "";

  @Option(names = "--no-naive", description = "skip the naive-pool comparison run")
  boolean noNaive;

  @Option(names = "--html", description = "where to write the HTML report"
      + " (default ${DEFAULT-VALUE})")
  Path html = Path.of("lab-report.html");

  @Option(names = "--no-progress", description = "no progress bar on stderr")
  boolean noProgress;

  @Option(names = "--wire", description = "run real protocols over loopback in real time"
      + " (relay boards, TFTP, HTTP callbacks, SUT agents) with timeouts compressed 20x;"
      + " --devices defaults to 16 there")
  boolean wire;

  @Option(names = "--minutes", description = "with --wire: real minutes to run"
      + " (default ${DEFAULT-VALUE})")
  double minutes = 3;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec command;

  private final PrintStream out;
  private final PrintStream err;

  LabSimulationCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  /** Runs the simulation; exit code 0 on success, 1 on failure, 2 on bad usage. */
  public static void main(String[] args) {
    quietLogging();
    System.exit(commandLine(System.out, System.err).execute(args));
  }

  /** The command line, printing its report to {@code out} and progress and errors to {@code err}. */
  static CommandLine commandLine(PrintStream out, PrintStream err) {
    return new CommandLine(new LabSimulationCommand(out, err))
        .setOut(new java.io.PrintWriter(out, true))
        .setErr(new java.io.PrintWriter(err, true));
  }

  static void quietLogging() {
    // Devices needing a human are part of the report; the log would only tear the progress bar.
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
  }

  @Override
  public Integer call() throws Exception {
    if (wire) {
      return WireModeRun.run(devices == 800 ? 16 : devices,
          Duration.ofMillis((long) (minutes * 60_000)), seed, html, out, err, !noProgress);
    }
    if (devices < 1 || days <= 0) {
      throw new CommandLine.ParameterException(command.commandLine(),
          "--devices and --days must be positive, got " + devices + " and " + days);
    }
    FaultProfile.named(faults); // fails early on an unknown name
    Duration duration = Duration.ofMinutes(Math.round(days * 24 * 60));
    List<Path> cleanup = new ArrayList<>();
    Supplier<PoolStore> mozpoolStore = storeFor(store, "mozpool", cleanup);
    // The naive run is only the baseline: it keeps its state in memory whatever --store says (the
    // store changes how fast a run goes, never what happens in it: same seed, same report).
    Supplier<PoolStore> naiveStore = null;

    long started = System.nanoTime();
    Progress progress = new Progress(err, !noProgress, noNaive ? 1 : 2);
    LabSimulation.Builder b = LabSimulation.builder().devices(devices).chassisSize(chassis).duration(duration).seed(seed)
        .faults(faults).progress(progress::update);
    if (mozpoolStore != null) {
      b.stores(mozpoolStore, naiveStore != null ? naiveStore : org.mozpool.core.InMemoryPoolStore::new);
    }
    LabSimulation sim = b.build();

    List<LabReport> reports = new ArrayList<>();
    try {
      if (noNaive) {
        reports.add(sim.run());
      } else {
        // The two runs are independent single-threaded simulations: run them side by side.
        ExecutorService two = Executors.newFixedThreadPool(2);
        try {
          Future<LabReport> mozpool = two.submit(sim::run);
          Future<LabReport> naive = two.submit(sim::runNaive);
          reports.add(mozpool.get());
          reports.add(naive.get());
        } catch (ExecutionException e) {
          throw e.getCause() instanceof Exception ex ? ex : e;
        } finally {
          two.shutdownNow();
        }
      }
    } finally {
      progress.done();
      cleanup.forEach(LabSimulationCommand::deleteTree);
    }
    Duration wall = Duration.ofNanos(System.nanoTime() - started);

    out.print(LabReport.sideBySide(reports));
    Files.writeString(html, HtmlReport.render("Mozpool lab simulation", reports),
        StandardCharsets.UTF_8);
    out.printf(Locale.ROOT, "%nstore: %s; wall-clock time: %s; HTML report: %s%n",
        describeStore(), LabReport.human(Duration.ofSeconds(Math.max(1, wall.toSeconds()))),
        html.toAbsolutePath().normalize());
    return 0;
  }

  private String describeStore() {
    String naive = noNaive || store.equals("memory") ? "" : " (naive run in memory)";
    if (store.startsWith("jdbc:")) {
      return store.replaceAll("(?i)(password|pwd)=[^&;]*", "$1=***") + naive;
    }
    return (store.equals("h2") ? "embedded H2 (a temporary file)" : store) + naive;
  }

  /** A fresh store per run, or null for the in-memory default. */
  private Supplier<PoolStore> storeFor(String spec, String run, List<Path> cleanup)
      throws IOException {
    if (spec.equals("memory")) {
      return null;
    }
    if (spec.equals("h2")) {
      Path dir = Files.createTempDirectory("mozpool-lab-");
      cleanup.add(dir);
      return () -> JdbcPoolStore.h2(dir.resolve(run));
    }
    if (spec.startsWith("h2:")) {
      Path base = Path.of(spec.substring(3));
      Path file = base.resolveSibling(base.getFileName() + "-" + run);
      if (Files.exists(file.resolveSibling(file.getFileName() + ".mv.db"))) {
        throw new CommandLine.ParameterException(command.commandLine(), "H2 database " + file
            + ".mv.db already exists: a simulation needs a new one; choose another path");
      }
      return () -> JdbcPoolStore.h2(file);
    }
    if (spec.startsWith("jdbc:")) {
      return () -> JdbcPoolStore.forUrl(spec, dbUser, dbPassword);
    }
    throw new CommandLine.ParameterException(command.commandLine(),
        "--store must be memory, h2, h2:PATH or jdbc:URL, got '" + spec + "'");
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A one-line progress bar on stderr for one or two runs. */
  static final class Progress {
    private final PrintStream err;
    private final boolean enabled;
    private final double[] fractions;
    private final String[] labels;
    private final long started = System.nanoTime();
    private long lastPrint;

    Progress(PrintStream err, boolean enabled, int runs) {
      this.err = err;
      this.enabled = enabled;
      this.fractions = new double[runs];
      this.labels = runs == 1 ? new String[] {"Mozpool"} : new String[] {"Mozpool", "naive pool"};
    }

    synchronized void update(String run, double fraction) {
      for (int i = 0; i < labels.length; i++) {
        if (labels[i].equals(run)) {
          fractions[i] = fraction;
        }
      }
      long now = System.nanoTime();
      if (!enabled || now - lastPrint < 200_000_000L) {
        return;
      }
      lastPrint = now;
      StringBuilder line = new StringBuilder("\r");
      for (int i = 0; i < labels.length; i++) {
        int filled = (int) Math.round(fractions[i] * 30);
        line.append(String.format(Locale.ROOT, "%s [%s%s] %3.0f%%  ", labels[i],
            "#".repeat(filled), ".".repeat(30 - filled), fractions[i] * 100));
      }
      line.append(String.format(Locale.ROOT, "%ds", (now - started) / 1_000_000_000L));
      err.print(line);
      err.flush();
    }

    synchronized void done() {
      if (enabled && lastPrint != 0) {
        err.print("\r" + " ".repeat(120) + "\r");
        err.flush();
      }
    }
  }
}
