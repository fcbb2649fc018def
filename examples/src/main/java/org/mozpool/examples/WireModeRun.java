package org.mozpool.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.mozpool.Lease;
import org.mozpool.Pool;
import org.mozpool.PoolListener;
import org.mozpool.RequestSpec;
import org.mozpool.RequestStates;
import org.mozpool.testkit.faults.Fault;
import org.mozpool.testkit.faults.FaultProfile;
import org.mozpool.testkit.report.HtmlReport;
import org.mozpool.testkit.report.LabRecorder;
import org.mozpool.testkit.report.LabReport;
import org.mozpool.testkit.sim.WireLab;

/**
 * The {@code --wire} run of {@link LabSimulationCommand}: a {@link WireStack} (real relay protocol,
 * TFTP, HTTP callbacks and SUT agents over loopback, simulated boards of the testkit's {@link
 * WireLab}) in real time with every timeout compressed 20×, under a CI-like workload at about
 * 70 % utilisation, reported like the virtual run.
 */
final class WireModeRun {
  static final double COMPRESSION = 20;

  private WireModeRun() {}

  static int run(int devices, Duration length, long seed, Path html, PrintStream out,
      PrintStream err, boolean progress) throws IOException {
    Instant started = Instant.now();
    FaultProfile faults = FaultProfile.realistic();
    LabRecorder.Forwarder forward = new LabRecorder.Forwarder();
    try (WireStack stack = WireStack.start(WireLab.builder()
        .devices(devices).seed(seed).faults(faults), COMPRESSION)) {
      Pool pool = stack.pool();
      LabRecorder recorder = new LabRecorder(pool.clock());
      pool.addListener(recorder);
      Client client = new Client(pool, seed, devices);
      pool.addListener(client);
      ScheduledExecutorService ticks = Executors.newSingleThreadScheduledExecutor();
      try {
        Instant end = started.plus(length);
        ticks.scheduleAtFixedRate(recorder::sample, 0, 2, TimeUnit.SECONDS);
        client.start(ticks, end);
        while (Instant.now().isBefore(end)) {
          if (progress) {
            double f = (double) Duration.between(started, Instant.now()).toMillis()
                / length.toMillis();
            int filled = (int) Math.round(Math.min(1, f) * 30);
            err.printf("\rwire lab [%s%s] %3.0f%%  %s  served %d", "#".repeat(filled),
                ".".repeat(30 - filled), Math.min(1, f) * 100,
                new TreeMap<>(pool.inventory().deviceStateCounts()), client.served);
            err.flush();
          }
          Thread.sleep(500);
        }
        if (progress) {
          err.print("\r" + " ".repeat(140) + "\r");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        ticks.shutdownNow();
      }
      recorder.sample();
      LabReport report = client.report(stack, recorder, length, seed);
      out.print(report.text());
      Files.writeString(html, HtmlReport.render("Mozpool lab simulation (wire mode)",
          List.of(report)), StandardCharsets.UTF_8);
      out.printf("%nwire mode: %d devices over loopback, timeouts compressed %.0fx; wall-clock"
          + " time %s; HTML report: %s%n", devices, COMPRESSION,
          LabReport.human(Duration.between(started, Instant.now()).withNanos(0)),
          html.toAbsolutePath().normalize());
      return 0;
    }
  }

  /** A real-time CI client: Poisson arrivals, compressed jobs, leases returned at job end. */
  private static final class Client implements PoolListener {
    private final Pool pool;
    private final Random random;
    private final double arrivalsPerSecond;
    private final Map<String, Instant> filedAt = new ConcurrentHashMap<>();
    private final Map<String, Lease> leases = new ConcurrentHashMap<>();
    private final Set<String> ready = ConcurrentHashMap.newKeySet();
    private final Map<String, Integer> failures = new TreeMap<>();
    private final List<Long> ttr = new ArrayList<>();
    private ScheduledExecutorService ticks;
    private Instant end;
    private volatile int filed;
    private volatile int served;

    Client(Pool pool, long seed, int devices) {
      this.pool = pool;
      this.random = new Random(seed);
      double meanHoldSeconds = (45 + 4) * 60 / COMPRESSION;
      this.arrivalsPerSecond = 0.7 * devices / meanHoldSeconds;
    }

    void start(ScheduledExecutorService ticks, Instant end) {
      this.ticks = ticks;
      this.end = end;
      next();
    }

    private void next() {
      long gapMillis = Math.max(1, Math.round(-Math.log(1 - random.nextDouble())
          / arrivalsPerSecond * 1000));
      if (Instant.now().plusMillis(gapMillis).isBefore(end)) {
        ticks.schedule(() -> {
          file();
          next();
        }, gapMillis, TimeUnit.MILLISECONDS);
      }
    }

    private void file() {
      double r = random.nextDouble();
      RequestSpec.Builder b = r < 0.3 ? RequestSpec.any().image("android")
          : RequestSpec.any().image("b2g").bootConfig("b2gbase", r < 0.31
              ? "http://builds.lab/b2g/broken-1"
              : "http://builds.lab/b2g/nightly-" + (1 + random.nextInt(4)));
      try {
        Lease lease = pool.request(b.leaseDuration(Duration.ofMinutes(30))
            .waitBudget(Duration.ofMillis((long) (600_000 / COMPRESSION))).build());
        filed++;
        filedAt.put(lease.id(), Instant.now());
        leases.put(lease.id(), lease);
      } catch (RuntimeException e) {
        synchronized (this) {
          failures.merge("refused: " + e.getClass().getSimpleName(), 1, Integer::sum);
        }
      }
    }

    @Override
    public void requestStateChanged(String id, String from, String to) {
      Instant asked = filedAt.get(id);
      if (asked == null) {
        return;
      }
      if (to.equals(RequestStates.READY) && ready.add(id)) {
        served++;
        synchronized (this) {
          ttr.add(Duration.between(asked, Instant.now()).toMillis());
        }
        long jobMillis = (long) ((5 + -Math.log(1 - random.nextDouble()) * 40) * 60_000
            / COMPRESSION);
        ticks.schedule(() -> {
          Lease l = leases.remove(id);
          if (l != null) {
            l.close();
          }
        }, jobMillis, TimeUnit.MILLISECONDS);
      } else if (RequestStates.isTerminal(to) && !ready.contains(id)) {
        leases.remove(id);
        synchronized (this) {
          failures.merge(to, 1, Integer::sum);
        }
      }
    }

    synchronized LabReport report(WireStack stack, LabRecorder rec, Duration length, long seed) {
      long[] sorted = ttr.stream().mapToLong(Long::longValue).sorted().toArray();
      Set<String> defective = stack.lab().faultLog().defectiveDevices();
      Set<String> humans = rec.withHumans();
      Set<String> quarantined = rec.everQuarantined();
      List<LabReport.DefectOutcome> outcomes = new ArrayList<>();
      for (Fault f : Fault.values()) {
        if (f.persistent()) {
          Set<String> carriers = new HashSet<>(stack.lab().faultLog().targets(f));
          outcomes.add(new LabReport.DefectOutcome(f, carriers.size(),
              (int) carriers.stream().filter(rec.noticed()::contains).count(),
              (int) carriers.stream().filter(humans::contains).count()));
        }
      }
      int failedCount = failures.values().stream().mapToInt(Integer::intValue).sum();
      int trueHumans = (int) humans.stream().filter(defective::contains).count();
      int trueQ = (int) quarantined.stream().filter(defective::contains).count();
      return new LabReport("Mozpool (wire)", stack.lab().devices().size(), length, seed,
          "realistic", filed, served, failures, Math.max(0, filed - served - failedCount),
          quantile(sorted, 0.5), quantile(sorted, 0.95), quantile(sorted, 0.99),
          stack.lab().faultLog().counts(), outcomes, rec.everFailed().size(),
          rec.recovered().size(), humans.size(), trueHumans, humans.size() - trueHumans,
          quarantined.size(), trueQ, quarantined.size() - trueQ, rec.failedStateEntries(),
          rec.samples(), stack.pool().inventory().statistics());
    }

    private static Duration quantile(long[] sorted, double q) {
      if (sorted.length == 0) {
        return null;
      }
      int i = (int) Math.ceil(q * sorted.length) - 1;
      return Duration.ofMillis(sorted[Math.max(0, Math.min(sorted.length - 1, i))]);
    }
  }
}
