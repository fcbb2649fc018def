package org.mozpool.benchmarks;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.mozpool.DeviceSpec;
import org.mozpool.HardwareType;
import org.mozpool.core.SystemTimekeeper;
import org.mozpool.core.internal.MachineEngine;
import org.mozpool.core.internal.MachineState;
import org.mozpool.core.internal.Step;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;

/**
 * Benchmark 2: persisted transitions per second. {@code concurrency} device machines each keep one
 * event in flight; each event is one engine step that reads the machine, moves it to the other of
 * two states (re-arming its timeout, as every Lifeguard state has one) and commits with the
 * version check: one committed transition per step. Beside it, in the same run and on the same
 * database, {@code concurrency} threads each loop over a plain JDBC {@code UPDATE} of one row and
 * {@code COMMIT}: the raw rate the store is held against. Between the two, the store alone: the
 * step's read and versioned write in one transaction, without the engine around it.
 *
 * <p>Arguments: {@code stores=memory,h2,postgres}, {@code concurrency=1,8}, {@code rounds=3} of
 * {@code seconds=3} per contender after {@code warmup=3}, {@code workers=0} (engine step threads; 0 = the
 * timekeeper's default, one per core, at least two).
 */
public final class TransitionsPerSecond {
  private TransitionsPerSecond() {}

  public static void main(String[] args) throws Exception {
    Report.header(TransitionsPerSecond.class, args);
    int seconds = Report.intArg(args, "seconds", 3);
    int warmup = Report.intArg(args, "warmup", 3);
    int rounds = Report.intArg(args, "rounds", 3);
    int workers = Report.intArg(args, "workers", 0);
    for (String storeName : Report.arg(args, "stores", "memory,h2,postgres").split(",")) {
      for (String level : Report.arg(args, "concurrency", "1,8").split(",")) {
        int concurrency = Integer.parseInt(level.trim());
        try (Stores.Target target = Stores.target(storeName.trim())) {
          measure(target, concurrency, workers, warmup, seconds, rounds);
        }
      }
    }
    System.exit(0);
  }

  /**
   * Warms each contender once, then runs {@code rounds} rounds of engine, store alone and raw loop
   * back to back, and reports the median of each: on a machine shared with other work the load
   * changes from one second to the next, and interleaving gives every contender the same weather.
   */
  private static void measure(Stores.Target target, int concurrency, int workers, int warmup,
      int seconds, int rounds) throws Exception {
    String prefix = "transitions." + target.name + ".concurrency_" + concurrency;
    setUp(target, concurrency);
    if (target.isSql()) {
      createRaw(target, concurrency);
    }
    List<Rate> engine = new ArrayList<>();
    List<Rate> store = new ArrayList<>();
    List<Rate> raw = new ArrayList<>();
    storeOnly(target, concurrency, warmup);
    engine(target, concurrency, workers, warmup);
    if (target.isSql()) {
      raw(target, concurrency, warmup);
    }
    for (int r = 0; r < rounds; r++) {
      engine.add(engine(target, concurrency, workers, seconds));
      store.add(storeOnly(target, concurrency, seconds));
      if (target.isSql()) {
        raw.add(raw(target, concurrency, seconds));
      }
    }
    report(prefix + ".engine", engine);
    report(prefix + ".store_only", store);
    if (target.isSql()) {
      dropRaw(target);
      report(prefix + ".raw_update_commits", raw);
      List<Double> share = new ArrayList<>();
      List<Double> cpuShare = new ArrayList<>();
      for (int r = 0; r < rounds; r++) {
        share.add(100 * engine.get(r).perSecond() / raw.get(r).perSecond());
        cpuShare.add(100 * raw.get(r).cpuMicros() / engine.get(r).cpuMicros());
      }
      Report.figure(prefix + ".engine_share_of_raw", median(share) + " %  (rounds: " + each(share) + ")");
      Report.figure(prefix + ".engine_share_of_raw_by_jvm_cpu", median(cpuShare)
          + " %  (raw CPU per commit / engine CPU per transition; rounds: " + each(cpuShare) + ")");
    }
  }

  private static void report(String prefix, List<Rate> rates) {
    List<Double> perSecond = rates.stream().map(Rate::perSecond).toList();
    List<Double> cpu = rates.stream().map(Rate::cpuMicros).toList();
    Report.figure(prefix + "_per_second", median(perSecond) + "  (rounds: " + each(perSecond) + ")");
    Report.figure(prefix + "_jvm_cpu_us", median(cpu) + "  (rounds: " + each(cpu) + ")");
  }

  private static String median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int n = sorted.size();
    return Report.fmt(n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2);
  }

  private static String each(List<Double> values) {
    return String.join(", ", values.stream().map(Report::fmt).toList());
  }

  /** Two states that flip on {@code flip}, each with a timeout (never reached) to re-arm. */
  static MachineState state(String name, String other) {
    return new MachineState() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Duration timeout() {
        return Duration.ofHours(1);
      }

      @Override
      public void onEvent(Step step, String event, Map<String, Object> args) {
        if ("flip".equals(event)) {
          step.goTo(other);
        }
      }
    };
  }

  static void setUp(Stores.Target target, int concurrency) {
    target.store.start();
    target.store.inTransaction(tx -> {
      tx.putHardwareType(HardwareType.of("panda"));
      for (int i = 0; i < concurrency; i++) {
        tx.insertDevice(new DeviceRecord(DeviceSpec.builder(Lab.name(i))
            .mac(String.format("%012x", i)).hardwareType("panda").build(), "", Map.of(), "",
            Map.of(), "", MachineRecord.initial("a", null)));
      }
      return null;
    });
  }

  private static Rate engine(Stores.Target target, int concurrency, int workers, int seconds)
      throws Exception {
    AtomicLong committed = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch drained = new CountDownLatch(concurrency);
    try (SystemTimekeeper time = workers > 0 ? new SystemTimekeeper(Clock.systemUTC(), workers)
            : new SystemTimekeeper();
         MachineEngine engine = new MachineEngine(MachineKind.DEVICE, target.store, time,
             Map.of("a", state("a", "b"), "b", state("b", "a")), state("unknown", "a"), "bench",
             (id, from, to) -> committed.incrementAndGet())) {
      for (int i = 0; i < concurrency; i++) {
        flipForever(engine, Lab.name(i), stop, failed, drained);
      }
      Thread.sleep(200); // threads and lanes start
      Rate rate = Rate.over(committed, seconds);
      stop.set(true);
      drained.await(30, TimeUnit.SECONDS);
      if (failed.get() > 0) {
        Report.note(target.name + ": " + failed.get() + " steps failed");
      }
      return rate;
    }
  }

  static void flipForever(MachineEngine engine, String id, AtomicBoolean stop,
      AtomicLong failed, CountDownLatch drained) {
    engine.send(id, "flip", Map.of()).whenComplete((v, e) -> {
      if (e != null) {
        failed.incrementAndGet();
      }
      if (stop.get()) {
        drained.countDown();
      } else {
        flipForever(engine, id, stop, failed, drained);
      }
    });
  }

  /**
   * The store alone, without the engine: {@code concurrency} threads, each running the step's two
   * statements (read the machine, write it with the version check) in one transaction, in a loop.
   */
  private static Rate storeOnly(Stores.Target target, int concurrency, int seconds)
      throws Exception {
    AtomicLong committed = new AtomicLong();
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < concurrency; i++) {
      String id = Lab.name(i);
      Thread t = new Thread(() -> {
        while (!stop.get()) {
          target.store.inTransaction(tx -> {
            MachineRecord m = tx.machine(MachineKind.DEVICE, id).orElseThrow();
            String next = m.state().equals("a") ? "b" : "a";
            tx.updateMachine(MachineKind.DEVICE, id, m.version(), new MachineRecord(next,
                m.counters(), java.time.Instant.now().plus(Duration.ofHours(1)), m.version(),
                m.attempt() + 1));
            return null;
          });
          committed.incrementAndGet();
        }
      });
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    return commitsPerSecond(committed, stop, threads, seconds);
  }

  /** {@code concurrency} threads, each committing single-row UPDATEs on its own row. */
  private static void createRaw(Stores.Target target, int concurrency) throws Exception {
    String table = target.table("bench_raw");
    try (Connection c = target.connect(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE " + table + " (id INT PRIMARY KEY, n BIGINT NOT NULL)");
      for (int i = 0; i < concurrency; i++) {
        s.execute("INSERT INTO " + table + " VALUES (" + i + ", 0)");
      }
      c.commit();
    }
  }

  private static void dropRaw(Stores.Target target) throws Exception {
    try (Connection c = target.connect(); Statement s = c.createStatement()) {
      s.execute("DROP TABLE " + target.table("bench_raw"));
      c.commit();
    }
  }

  private static Rate raw(Stores.Target target, int concurrency, int seconds) throws Exception {
    String table = target.table("bench_raw");
    AtomicLong committed = new AtomicLong();
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < concurrency; i++) {
      int row = i;
      Thread t = new Thread(() -> {
        try (Connection c = target.connect();
             PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET n = n + 1 WHERE id = ?")) {
          while (!stop.get()) {
            ps.setInt(1, row);
            ps.executeUpdate();
            c.commit();
            committed.incrementAndGet();
          }
        } catch (Exception e) {
          e.printStackTrace();
        }
      });
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    return commitsPerSecond(committed, stop, threads, seconds);
  }

  /** Lets the started threads run, counts their commits over {@code seconds}, then stops them. */
  private static Rate commitsPerSecond(AtomicLong committed, AtomicBoolean stop,
      List<Thread> threads, int seconds) throws InterruptedException {
    Thread.sleep(200); // threads start and connect
    Rate rate = Rate.over(committed, seconds);
    stop.set(true);
    for (Thread t : threads) {
      t.join(10_000);
    }
    return rate;
  }

  /**
   * Commits per second over a window, and the CPU time this JVM spent per commit in it (every
   * thread: callers, step workers, the embedded database, GC). The CPU figure is what other work
   * on a shared machine disturbs least; on PostgreSQL it leaves out the server's share.
   */
  private record Rate(double perSecond, double cpuMicros) {
    static Rate over(AtomicLong committed, int seconds) throws InterruptedException {
      var os = (com.sun.management.OperatingSystemMXBean)
          java.lang.management.ManagementFactory.getOperatingSystemMXBean();
      long c0 = committed.get();
      long cpu0 = os.getProcessCpuTime();
      long t0 = System.nanoTime();
      Thread.sleep(seconds * 1000L);
      long c1 = committed.get();
      long cpu1 = os.getProcessCpuTime();
      long t1 = System.nanoTime();
      long n = Math.max(1, c1 - c0);
      return new Rate(n * 1e9 / (t1 - t0), (cpu1 - cpu0) / 1e3 / n);
    }
  }
}
