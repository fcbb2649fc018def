package org.mozpool.server.internal;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.search.Search;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.mozpool.bmm.TftpServer;
import org.mozpool.spi.PoolStore;
import org.mozpool.spi.Timekeeper;

/**
 * What {@code GET /healthz} checks, each within a deadline, so that a load balancer or systemd
 * gets an answer even when what it asks about hangs:
 *
 * <ul>
 *   <li>{@code database}: one cheap read transaction (a lookup by key) completes within the
 *       database deadline. Only one probe runs at a time: while a hung one is still out, later
 *       checks fail at once instead of piling up threads;
 *   <li>{@code engine}: a task scheduled on the pool's timekeeper for "now" runs on its workers
 *       within the lag limit, and no machine timer recorded in {@code mozpool.engine.lag} over the
 *       last minutes fired later than that limit;
 *   <li>{@code tftp}: the TFTP server is serving;
 *   <li>{@code http}: the API and device-callback listener (one port) — up, since it answered;
 *   <li>{@code instance}, with several instances on one database: this instance's heartbeat is
 *       current, so it may act on hardware (a lapsed one's work may be adopted by another).
 * </ul>
 *
 * <p>Thread safe. {@link #close()} stops the probe thread.
 */
public final class HealthChecks implements AutoCloseable {

  /** One check's verdict. */
  public record Check(String name, boolean ok, String detail) {}

  /** All verdicts; healthy when every one is ok. */
  public record Report(List<Check> checks) {
    /** Whether every check passed. */
    public boolean healthy() {
      return checks.stream().allMatch(Check::ok);
    }
  }

  private final PoolStore store;
  private final Timekeeper timekeeper;
  private final BooleanSupplier tftpServing;
  private final MeterRegistry meters;
  private final Duration databaseDeadline;
  private final Duration lagLimit;
  private final ExecutorService probes = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "mozpool-healthz");
    t.setDaemon(true);
    return t;
  });
  private CompletableFuture<Void> databaseProbe;
  private volatile BooleanSupplier acting;

  /**
   * @param tftpServing whether the TFTP server serves (e.g. {@link TftpServer#isServing})
   * @param meters where {@code mozpool.engine.lag} is recorded
   */
  public HealthChecks(PoolStore store, Timekeeper timekeeper, BooleanSupplier tftpServing,
      MeterRegistry meters, Duration databaseDeadline, Duration lagLimit) {
    this.store = Objects.requireNonNull(store, "store");
    this.timekeeper = Objects.requireNonNull(timekeeper, "timekeeper");
    this.tftpServing = Objects.requireNonNull(tftpServing, "tftpServing");
    this.meters = Objects.requireNonNull(meters, "meters");
    this.databaseDeadline = databaseDeadline;
    this.lagLimit = lagLimit;
  }

  /**
   * Adds the {@code instance} check: {@code acting} says whether this instance's heartbeat is
   * current (several instances on one database).
   */
  public HealthChecks instance(BooleanSupplier acting) {
    this.acting = Objects.requireNonNull(acting, "acting");
    return this;
  }

  /** Runs every check; blocks at most the database deadline plus the lag limit. */
  public Report check(int httpPort) {
    List<Check> checks = new ArrayList<>();
    checks.add(database());
    checks.add(engine());
    checks.add(tftpServing.getAsBoolean() ? new Check("tftp", true, "serving")
        : new Check("tftp", false, "the TFTP server is not serving"));
    checks.add(new Check("http", true, "API and device callbacks served on port " + httpPort));
    BooleanSupplier instance = acting;
    if (instance != null) {
      checks.add(instance.getAsBoolean()
          ? new Check("instance", true, "heartbeat current: this instance drives its devices")
          : new Check("instance", false, "heartbeat lapsed: this instance sends no hardware"
              + " command, and its work may be adopted by another instance"));
    }
    return new Report(List.copyOf(checks));
  }

  private Check database() {
    CompletableFuture<Void> probe;
    synchronized (this) {
      if (databaseProbe != null && !databaseProbe.isDone()) {
        return new Check("database", false, "an earlier probe has not come back yet (over "
            + databaseDeadline + ")");
      }
      probe = CompletableFuture.runAsync(() -> store.inTransaction(tx -> tx.hardwareType(
          "healthz")), probes);
      databaseProbe = probe;
    }
    long start = System.nanoTime();
    try {
      probe.get(databaseDeadline.toMillis(), TimeUnit.MILLISECONDS);
      return new Check("database", true, "read in "
          + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms");
    } catch (TimeoutException e) {
      return new Check("database", false, "no answer within " + databaseDeadline);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      return new Check("database", false, cause.getClass().getSimpleName() + ": "
          + cause.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Check("database", false, "interrupted");
    }
  }

  private Check engine() {
    CompletableFuture<Void> ran = new CompletableFuture<>();
    long start = System.nanoTime();
    try {
      timekeeper.schedule(timekeeper.now(), () -> timekeeper.workers().execute(() ->
          ran.complete(null)));
      ran.get(lagLimit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      return new Check("engine", false, "a task due now did not run within " + lagLimit);
    } catch (ExecutionException | RuntimeException e) {
      return new Check("engine", false, "cannot schedule: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Check("engine", false, "interrupted");
    }
    long heartbeatMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    double worstMs = Search.in(meters).name("mozpool.engine.lag").timers().stream()
        .mapToDouble(t -> t.max(TimeUnit.MILLISECONDS)).max().orElse(0);
    long timers = Search.in(meters).name("mozpool.engine.lag").timers().stream()
        .mapToLong(Timer::count).sum();
    if (worstMs > lagLimit.toMillis()) {
      return new Check("engine", false, String.format(
          "a machine timer fired %.0f ms late recently (limit %s)", worstMs, lagLimit));
    }
    return new Check("engine", true, String.format(
        "a task due now ran in %d ms; worst recent timer lag %.0f ms over %d timers (limit %s)",
        heartbeatMs, worstMs, timers, lagLimit));
  }

  @Override
  public void close() {
    probes.shutdownNow();
  }
}
