package org.mozpool.benchmarks;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicLong;
import org.mozpool.DeviceStates;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.core.SystemTimekeeper;
import org.mozpool.core.internal.MachineEngine;
import org.mozpool.core.internal.MachineState;
import org.mozpool.core.internal.Step;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.PoolStore;

/**
 * Benchmark 1: how many devices one instance drives on real timers. Every device sits in
 * {@code ready} with a short idle-probe timeout ({@code period}, default 10 s), first deadlines
 * staggered evenly over one period. Each timeout is a step that starts a health probe (a no-op that
 * succeeds at once, run on the I/O executor with its own deadline timer, as Lifeguard does); the
 * probe's {@code ping_ok} comes back as a second step that re-enters {@code ready}, re-arming the
 * timeout. So each device costs two committed steps, one I/O task and two timers per period.
 *
 * <p>Figures: timeout lag (the step's start time minus the stored deadline) p50/p99/p99.9/max over
 * every timeout after the first period (a line per period shows how it varies), devices whose timer stopped firing (stuck), and heap in
 * use after a full GC with every device armed.
 *
 * <p>Two modes. {@code mode=lifeguard} (default): a real pool with the standard Lifeguard
 * ({@link LifeguardFleet}), whose {@code ready} timeout re-arms itself and starts the probe; its
 * {@code probe_ok} step reads but writes nothing. {@code mode=light}: the core engine alone
 * ({@link MachineEngine}) with a light machine shaped like Lifeguard's {@code ready}, on the
 * in-memory store.
 *
 * <p>Arguments: {@code mode=lifeguard|light}, {@code store=memory|h2} (lifeguard mode),
 * {@code devices=1000,10000,100000}, {@code period=10} (seconds), {@code seconds=60} (per level,
 * including the first period).
 */
public final class DevicesPerInstance {
  static final String PROBE_OK = "ping_ok";
  static final String PROBE_FAILED = "ping_failed";

  private DevicesPerInstance() {}

  public static void main(String[] args) throws Exception {
    Report.header(DevicesPerInstance.class, args);
    int period = Report.intArg(args, "period", 10);
    int seconds = Report.intArg(args, "seconds", 60);
    String mode = Report.arg(args, "mode", "lifeguard");
    String store = Report.arg(args, "store", "memory");
    for (String level : Report.arg(args, "devices", "1000,10000,100000").split(",")) {
      int devices = Integer.parseInt(level.trim());
      if (mode.equals("light")) {
        run(devices, Duration.ofSeconds(period), seconds);
      } else {
        runLifeguard(store, devices, Duration.ofSeconds(period), seconds);
      }
    }
    System.exit(0);
  }

  /** Lifeguard's {@code ready}, reduced to its idle health probe. */
  static final class Ready implements MachineState {
    private final Duration period;
    private final LagHistogram lag;
    private final Instant measureFrom;
    private final AtomicLongArray lastFired;
    private final AtomicLong timeouts = new AtomicLong();
    volatile LagHistogram window = new LagHistogram();

    Ready(Duration period, LagHistogram lag, Instant measureFrom, AtomicLongArray lastFired) {
      this.period = period;
      this.lag = lag;
      this.measureFrom = measureFrom;
      this.lastFired = lastFired;
    }

    @Override
    public String name() {
      return DeviceStates.READY;
    }

    @Override
    public Duration timeout() {
      return period;
    }

    @Override
    public void onTimeout(Step step) {
      Instant now = step.now();
      long lagNanos = Duration.between(step.deadline(), now).toNanos();
      if (!now.isBefore(measureFrom)) {
        lag.add(lagNanos);
      }
      window.add(lagNanos);
      timeouts.incrementAndGet();
      lastFired.set(index(step.id()), System.nanoTime());
      step.startOperation("ping", () -> CompletableFuture.completedFuture(null),
          Duration.ofSeconds(10), PROBE_OK, PROBE_FAILED);
    }

    @Override
    public void onEvent(Step step, String event, Map<String, Object> args) {
      if (PROBE_OK.equals(event) || PROBE_FAILED.equals(event)) {
        step.goTo(DeviceStates.READY);
      }
    }
  }

  static int index(String name) {
    return Integer.parseInt(name.substring(name.indexOf('-') + 1));
  }

  private static void runLifeguard(String storeName, int devices, Duration period, int seconds)
      throws Exception {
    LagHistogram lag = new LagHistogram();
    long heapBefore = Report.heapUsedAfterGcMib();
    long t0 = System.nanoTime();
    Instant start = Instant.now().plusMillis(2000 + devices / (storeName.equals("memory") ? 25L : 5L));
    try (LifeguardFleet fleet = new LifeguardFleet(storeName, devices, period, start,
        start.plus(period), lag)) {
      long setupMs = (System.nanoTime() - t0) / 1_000_000;
      long nanoStart = System.nanoTime();
      long end = nanoStart + seconds * 1_000_000_000L;
      while (end - System.nanoTime() > 1_000_000_000L) {
        LagHistogram window = new LagHistogram();
        fleet.window = window;
        Thread.sleep(Math.min(period.toMillis(), Math.max(1, (end - System.nanoTime()) / 1_000_000)));
        Report.note("window to t+" + (System.nanoTime() - nanoStart) / 1_000_000_000 + " s: lag "
            + window.summary());
      }
      long elapsed = System.nanoTime() - nanoStart;
      long heapAfter = Report.heapUsedAfterGcMib();
      long nowMicros = LifeguardFleet.micros(Instant.now());
      int stuck = 0;
      for (int i = 0; i < devices; i++) {
        if (nowMicros - fleet.deadlineMicros.get(i) > 2 * period.toNanos() / 1000) {
          stuck++;
        }
      }
      String prefix = "devices.lifeguard." + storeName + "." + devices;
      Report.figure(prefix + ".timeout_lag", lag.summary());
      Report.figure(prefix + ".timeouts_per_second", Report.fmt(fleet.timeouts.get() * 1e9 / elapsed)
          + " (probes " + Report.fmt(fleet.probes.get() * 1e9 / elapsed) + "/s)");
      Report.figure(prefix + ".expected_timeouts_per_second", Report.fmt(devices / (double) period.toSeconds()));
      Report.figure(prefix + ".stuck_devices", stuck);
      Report.figure(prefix + ".heap_used_mib", heapAfter + " (before: " + heapBefore + "; max heap "
          + Report.mib(Runtime.getRuntime().maxMemory()) + ")");
      Report.figure(prefix + ".setup_ms", setupMs);
    }
  }

  private static void run(int devices, Duration period, int seconds) throws Exception {
    LagHistogram lag = new LagHistogram();
    AtomicLongArray lastFired = new AtomicLongArray(devices);
    long heapBefore = Report.heapUsedAfterGcMib();
    PoolStore store = new InMemoryPoolStore();
    SystemTimekeeper time = new SystemTimekeeper();
    // The first deadlines fall after the store is filled and every timer armed, so that setup
    // does not count as lag: a lead of 2 s, plus 1 s per 25,000 devices.
    Instant start = time.now().plusMillis(2000 + devices / 25L);
    Ready ready = new Ready(period, lag, start.plus(period), lastFired);
    MachineEngine engine = new MachineEngine(MachineKind.DEVICE, store, time,
        Map.of(DeviceStates.READY, ready), ready, "lifeguard", (id, from, to) -> {});
    try {
      long t0 = System.nanoTime();
      Lab.storeReadyFleet(store, devices, start, period);
      engine.resume();
      long setupMs = (System.nanoTime() - t0) / 1_000_000;
      long nanoStart = System.nanoTime();
      for (int i = 0; i < devices; i++) {
        lastFired.set(i, nanoStart);
      }
      // One line per period: where in the run the lag comes from (a steady figure, or bursts).
      long end = nanoStart + seconds * 1_000_000_000L;
      while (end - System.nanoTime() > 1_000_000_000L) {
        LagHistogram window = new LagHistogram();
        ready.window = window;
        Thread.sleep(Math.min(period.toMillis(), Math.max(1, (end - System.nanoTime()) / 1_000_000)));
        Report.note("window to t+" + (System.nanoTime() - nanoStart) / 1_000_000_000 + " s: lag "
            + window.summary());
      }
      long heapAfter = Report.heapUsedAfterGcMib();
      long now = System.nanoTime();
      int stuck = 0;
      for (int i = 0; i < devices; i++) {
        if (now - lastFired.get(i) > 3 * period.toNanos()) {
          stuck++;
        }
      }
      String prefix = "devices.light.memory." + devices;
      Report.figure(prefix + ".timeout_lag", lag.summary());
      Report.figure(prefix + ".timeouts_per_second", Report.fmt(ready.timeouts.get() * 1e9 / (now - nanoStart)));
      Report.figure(prefix + ".expected_timeouts_per_second", Report.fmt(devices / (double) period.toSeconds()));
      Report.figure(prefix + ".stuck_devices", stuck);
      Report.figure(prefix + ".heap_used_mib", heapAfter + " (before the store was built: " + heapBefore
          + "; max heap " + Report.mib(Runtime.getRuntime().maxMemory()) + ")");
      Report.figure(prefix + ".setup_ms", setupMs);
    } finally {
      engine.close();
      time.close();
      store.close();
    }
  }
}
