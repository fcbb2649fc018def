package org.mozpool.benchmarks;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.mozpool.core.SystemTimekeeper;
import org.mozpool.core.internal.MachineEngine;
import org.mozpool.core.internal.PoolMeters;
import org.mozpool.spi.MachineKind;

/**
 * What metrics cost: benchmark 2's engine loop (one persisted transition per step, {@code
 * concurrency} machines each with one event in flight) run twice side by side in one JVM, on two
 * stores of the same kind: <em>without</em> a registry (the default: no observer, the pool's meters
 * off) and <em>with</em> a {@link PrometheusMeterRegistry} as the server has (the engine's observer,
 * the pool's per-transition counter, and, on SQL stores, the store's transaction timer with its
 * histogram). Rounds alternate between the two so that both get the same machine weather; each
 * figure is the median. Halfway through every metered round the registry is scraped once, as
 * Prometheus would.
 *
 * <p>Arguments: {@code stores=memory,h2}, {@code concurrency=1,8}, {@code rounds=5} of {@code
 * seconds=3} per contender after {@code warmup=3}.
 */
public final class MetricsOverhead {
  private MetricsOverhead() {}

  public static void main(String[] args) throws Exception {
    Report.header(MetricsOverhead.class, args);
    int seconds = Report.intArg(args, "seconds", 3);
    int warmup = Report.intArg(args, "warmup", 3);
    int rounds = Report.intArg(args, "rounds", 5);
    hookCost();
    for (String storeName : Report.arg(args, "stores", "memory,h2").split(",")) {
      for (String level : Report.arg(args, "concurrency", "1,8").split(",")) {
        int concurrency = Integer.parseInt(level.trim());
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (Stores.Target plain = Stores.target(storeName.trim());
             Stores.Target metered = Stores.target(storeName.trim(), registry)) {
          measure(storeName.trim(), plain, metered, registry, concurrency, warmup, seconds,
              rounds);
        }
        registry.close();
      }
    }
    System.exit(0);
  }

  /**
   * The work metrics add to one persisted transition, alone and single-threaded, so that machine
   * load does not drown it: the pool's transition counter (a cached lookup by from/to and an
   * increment) and one store-transaction timer record with its histogram; without a registry, the
   * same calls on the no-op meters. Reported in nanoseconds per transition, median of 5 runs.
   */
  private static void hookCost() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    PoolMeters off = PoolMeters.of(Optional.empty());
    PoolMeters on = PoolMeters.of(Optional.of(registry));
    io.micrometer.core.instrument.Timer storeTimer = io.micrometer.core.instrument.Timer
        .builder("mozpool.store.transactions").tag("outcome", "committed").tag("database", "h2")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(100_000))
        .maximumExpectedValue(Duration.ofSeconds(30)).register(registry);
    String[] states = {"ready", "pc_power_cycling", "pc_rebooting", "pc_pinging"};
    int n = 2_000_000;
    List<Double> offNs = new ArrayList<>();
    List<Double> counterNs = new ArrayList<>();
    List<Double> onNs = new ArrayList<>();
    for (int run = 0; run < 6; run++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        off.deviceTransitioned(states[i & 3], states[(i + 1) & 3]);
      }
      long t1 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        on.deviceTransitioned(states[i & 3], states[(i + 1) & 3]);
      }
      long t2 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        on.deviceTransitioned(states[i & 3], states[(i + 1) & 3]);
        storeTimer.record(1000 + (i & 1023), TimeUnit.MICROSECONDS);
      }
      long t3 = System.nanoTime();
      if (run > 0) { // the first run warms up
        offNs.add((t1 - t0) / (double) n);
        counterNs.add((t2 - t1) / (double) n);
        onNs.add((t3 - t2) / (double) n);
      }
    }
    Report.figure("metrics.hook_ns_per_transition.without_registry", median(offNs)
        + "  (runs: " + each(offNs) + ")");
    Report.figure("metrics.hook_ns_per_transition.with_prometheus_registry_counter_only",
        median(counterNs) + "  (runs: " + each(counterNs) + "; in-memory store: no store timer)");
    Report.figure("metrics.hook_ns_per_transition.with_prometheus_registry", median(onNs)
        + "  (runs: " + each(onNs) + "; transition counter + one histogram timer record)");
    registry.close();
  }

  private static void measure(String store, Stores.Target plain, Stores.Target metered,
      PrometheusMeterRegistry registry, int concurrency, int warmup, int seconds, int rounds)
      throws Exception {
    String prefix = "metrics." + store + ".concurrency_" + concurrency;
    TransitionsPerSecond.setUp(plain, concurrency);
    TransitionsPerSecond.setUp(metered, concurrency);
    run(plain, null, concurrency, warmup);
    run(metered, registry, concurrency, warmup);
    List<Rate> without = new ArrayList<>();
    List<Rate> with = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      // alternate which goes first, so that neither always follows the other's garbage
      if (r % 2 == 0) {
        without.add(run(plain, null, concurrency, seconds));
        with.add(run(metered, registry, concurrency, seconds));
      } else {
        with.add(run(metered, registry, concurrency, seconds));
        without.add(run(plain, null, concurrency, seconds));
      }
    }
    List<Double> ratio = new ArrayList<>();
    List<Double> cpuRatio = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      ratio.add(100 * (with.get(r).perSecond() - without.get(r).perSecond())
          / without.get(r).perSecond());
      cpuRatio.add(100 * (with.get(r).cpuMicros() - without.get(r).cpuMicros())
          / without.get(r).cpuMicros());
    }
    List<Double> w = without.stream().map(Rate::perSecond).toList();
    List<Double> m = with.stream().map(Rate::perSecond).toList();
    List<Double> wc = without.stream().map(Rate::cpuMicros).toList();
    List<Double> mc = with.stream().map(Rate::cpuMicros).toList();
    Report.figure(prefix + ".without_registry_per_second", median(w) + "  (rounds: " + each(w)
        + ")");
    Report.figure(prefix + ".with_prometheus_registry_per_second", median(m) + "  (rounds: "
        + each(m) + ")");
    Report.figure(prefix + ".throughput_difference", median(ratio) + " %  (per round: "
        + each(ratio) + ")");
    Report.figure(prefix + ".without_registry_jvm_cpu_us", median(wc) + "  (rounds: " + each(wc)
        + ")");
    Report.figure(prefix + ".with_prometheus_registry_jvm_cpu_us", median(mc) + "  (rounds: "
        + each(mc) + ")");
    Report.figure(prefix + ".cpu_per_transition_difference", median(cpuRatio)
        + " %  (per round: " + each(cpuRatio) + ")");
    Report.figure(prefix + ".meters_registered", registry.getMeters().size());
  }

  /** Transitions per second over a window and the JVM's CPU time per transition in it. */
  private record Rate(double perSecond, double cpuMicros) {}

  private static Rate run(Stores.Target target, PrometheusMeterRegistry registry,
      int concurrency, int seconds) throws Exception {
    AtomicLong committed = new AtomicLong();
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch drained = new CountDownLatch(concurrency);
    PoolMeters meters = PoolMeters.of(Optional.ofNullable(registry));
    MachineEngine.Observer observer = PoolMeters.engineObserver(Optional.ofNullable(registry),
        MachineKind.DEVICE);
    try (SystemTimekeeper time = new SystemTimekeeper();
         MachineEngine engine = new MachineEngine(MachineKind.DEVICE, target.store, time,
             Map.of("a", TransitionsPerSecond.state("a", "b"),
                 "b", TransitionsPerSecond.state("b", "a")),
             TransitionsPerSecond.state("unknown", "a"), "bench",
             (id, from, to) -> {
               meters.deviceTransitioned(from, to); // what the pool does for every transition
               committed.incrementAndGet();
             }, observer)) {
      for (int i = 0; i < concurrency; i++) {
        TransitionsPerSecond.flipForever(engine, Lab.name(i), stop, new AtomicLong(), drained);
      }
      Thread.sleep(200);
      var os = (com.sun.management.OperatingSystemMXBean)
          java.lang.management.ManagementFactory.getOperatingSystemMXBean();
      long c0 = committed.get();
      long cpu0 = os.getProcessCpuTime();
      long t0 = System.nanoTime();
      Thread.sleep(seconds * 500L);
      if (registry != null) {
        registry.scrape();
      }
      Thread.sleep(seconds * 500L);
      long c1 = committed.get();
      long cpu1 = os.getProcessCpuTime();
      long t1 = System.nanoTime();
      stop.set(true);
      drained.await(30, TimeUnit.SECONDS);
      long n = Math.max(1, c1 - c0);
      return new Rate(n * 1e9 / (t1 - t0), (cpu1 - cpu0) / 1e3 / n);
    }
  }

  private static String median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int n = sorted.size();
    return Report.fmt(n % 2 == 1 ? sorted.get(n / 2)
        : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2);
  }

  private static String each(List<Double> values) {
    return String.join(", ", values.stream().map(Report::fmt).toList());
  }
}
