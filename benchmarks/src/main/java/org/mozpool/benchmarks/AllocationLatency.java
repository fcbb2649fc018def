package org.mozpool.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.mozpool.Lease;
import org.mozpool.Mozpool;
import org.mozpool.Pool;
import org.mozpool.PoolListener;
import org.mozpool.RequestSpec;
import org.mozpool.RequestStates;
import org.mozpool.core.SystemTimekeeper;
import org.mozpool.spi.PoolStore;
import org.mozpool.testkit.doubles.ScriptedLifeguard;

/**
 * Benchmark 3: allocation latency, from {@link Pool#request} to the committed claim (the request
 * entering {@code contacting_lifeguard}), with 1, 8 and 64 requesters in a closed loop: each
 * requests any device, waits for its claim, waits until it is ready, holds it, returns it, and
 * asks again.
 *
 * <p>How long a requester holds its device sets the load. With {@code hold=0} every requester
 * asks again at once, so all of them are always allocating: the pool runs flat out and, by
 * Little's law, a claim waits behind the other requesters' steps (latency = requesters /
 * throughput). With a hold (drawn from an exponential distribution of that mean, seeded, so that
 * requesters do not fall into lock-step) requests arrive the way CI jobs file them, each one
 * while the others hold their devices, and the figure is the latency of an allocation on a pool
 * that is not saturated. Both are printed, per level. The warm-up always runs without a hold, so
 * that the code is compiled before a held run, which sees few leases, is measured; a held run then
 * settles for three mean holds before its measured window.
 * The device layer answers at once (the testkit's {@link ScriptedLifeguard#completingAtOnce()},
 * one store transaction per please-event), so the figure is the pool's own cost. There are twice as many devices as requesters, so a request never waits for a device to
 * free: queueing would measure the workload, not the pool.
 *
 * <p>Also printed: {@code request_to_filed}, until {@link Pool#request} returns. Filing runs the
 * request's first step in its own transaction, so a request that finds a free device is claimed
 * when the call returns and the two figures are nearly the same (before that change, the claim
 * was a second transaction, started by a timer, after the filing had committed).
 *
 * <p>Double claims: every requester adds its device to a shared set when claimed and removes it
 * before returning it; finding it already there means two live leases hold one device.
 *
 * <p>On a SQL store it first measures the latency of a plain single-row UPDATE + COMMIT on the same
 * database: the floor under an allocation, which commits once (the request with its claim).
 *
 * <p>Arguments ({@code name=value}): {@code store=memory|h2|postgres} (default memory),
 * {@code requesters=1,8,64}, {@code hold=0,1000} (mean hold in milliseconds, one run per value
 * and level), {@code seconds=10} measured per level after {@code warmup=3}.
 */
public final class AllocationLatency {
  private AllocationLatency() {}

  public static void main(String[] args) throws Exception {
    Report.header(AllocationLatency.class, args);
    String storeName = Report.arg(args, "store", "memory");
    int seconds = Report.intArg(args, "seconds", 10);
    int warmup = Report.intArg(args, "warmup", 3);
    if (!storeName.equals("memory")) {
      commitFloor(storeName, seconds);
    }
    int totalDoubleClaims = 0;
    for (String hold : Report.arg(args, "hold", "0,1000").split(",")) {
      for (String level : Report.arg(args, "requesters", "1,8,64").split(",")) {
        int requesters = Integer.parseInt(level.trim());
        totalDoubleClaims += run(storeName, requesters, Integer.parseInt(hold.trim()), warmup,
            seconds);
      }
    }
    Report.figure("double_claims_total", totalDoubleClaims);
    System.exit(0);
  }

  /**
   * The floor under request -> claimed on a SQL store: the latency of one plain single-row UPDATE
   * and COMMIT on the same database, one thread. Filing a request and claiming its device is one
   * transaction of nine statements, so the allocation cannot beat one of these.
   */
  private static void commitFloor(String storeName, int seconds) throws Exception {
    try (Stores.Target target = Stores.target(storeName)) {
      target.store.start();
      String table = target.table("bench_floor");
      Samples commit = new Samples();
      try (java.sql.Connection c = target.connect(); java.sql.Statement s = c.createStatement()) {
        s.execute("CREATE TABLE " + table + " (id INT PRIMARY KEY, n BIGINT NOT NULL)");
        s.execute("INSERT INTO " + table + " VALUES (1, 0)");
        c.commit();
        try (java.sql.PreparedStatement ps = c.prepareStatement(
            "UPDATE " + table + " SET n = n + 1 WHERE id = 1")) {
          long end = System.nanoTime() + Math.min(seconds, 5) * 1_000_000_000L;
          while (System.nanoTime() < end) {
            long t0 = System.nanoTime();
            ps.executeUpdate();
            c.commit();
            commit.add(System.nanoTime() - t0);
          }
        }
        s.execute("DROP TABLE " + table);
        c.commit();
      }
      Report.figure("allocation." + storeName + ".raw_update_commit_latency", commit.summary());
    }
  }

  private static int run(String storeName, int requesters, int holdMillis, int warmup, int seconds)
      throws Exception {
    int devices = requesters * 2;
    Map<String, CompletableFuture<Long>> claimed = new ConcurrentHashMap<>();
    Samples latency = new Samples();
    Samples toFiled = new Samples();
    Samples toReady = new Samples();
    Set<String> held = ConcurrentHashMap.newKeySet();
    AtomicInteger doubleClaims = new AtomicInteger();
    AtomicInteger failures = new AtomicInteger();
    AtomicInteger served = new AtomicInteger();
    try (PoolStore store = Stores.open(storeName);
         SystemTimekeeper time = new SystemTimekeeper();
         Pool pool = Mozpool.builder().store(store).timekeeper(time)
             .lifeguard(ScriptedLifeguard.completingAtOnce()).build()) {
      pool.addListener(new PoolListener() {
        @Override
        public void requestStateChanged(String id, String from, String to) {
          if (RequestStates.CONTACTING_LIFEGUARD.equals(to)
              && RequestStates.FINDING_DEVICE.equals(from)) {
            long now = System.nanoTime();
            claimed.computeIfAbsent(id, k -> new CompletableFuture<>()).complete(now);
          }
        }
      });
      Lab.register(pool.inventory(), devices);

      AtomicBoolean measuring = new AtomicBoolean();
      AtomicBoolean holding = new AtomicBoolean();
      AtomicLong measuredFrom = new AtomicLong(Long.MAX_VALUE);
      AtomicBoolean stop = new AtomicBoolean();
      CountDownLatch done = new CountDownLatch(requesters);
      RequestSpec spec = RequestSpec.any().image(Lab.IMAGE).waitBudget(Duration.ofMinutes(1))
          .requester("bench").build();
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < requesters; t++) {
        Random random = new Random(t);
        Thread th = new Thread(() -> {
          try {
            while (!stop.get()) {
              long t0 = System.nanoTime();
              try (Lease lease = pool.request(spec)) {
                long filed = System.nanoTime();
                long t1 = claimed.computeIfAbsent(lease.id(), k -> new CompletableFuture<>())
                    .get(30, TimeUnit.SECONDS);
                claimed.remove(lease.id());
                String device = lease.device().orElseThrow();
                if (!held.add(device)) {
                  doubleClaims.incrementAndGet();
                }
                lease.awaitReady(Duration.ofSeconds(30));
                long t2 = System.nanoTime();
                if (measuring.get() && t0 >= measuredFrom.get()) {
                  latency.add(t1 - t0);
                  toFiled.add(filed - t0);
                  toReady.add(t2 - t0);
                  served.incrementAndGet();
                }
                if (holdMillis > 0 && holding.get()) {
                  Thread.sleep((long) (-holdMillis * Math.log(1 - random.nextDouble())));
                }
                held.remove(device);
              } catch (Exception e) {
                failures.incrementAndGet();
                if (failures.get() < 5) {
                  e.printStackTrace();
                }
              }
            }
          } finally {
            done.countDown();
          }
        }, "requester-" + t);
        th.setDaemon(true);
        threads.add(th);
        th.start();
      }
      Thread.sleep(warmup * 1000L);
      if (holdMillis > 0) {
        // From flat out to held: let the backlog of the warm-up drain before measuring.
        holding.set(true);
        Thread.sleep(Math.max(2_000L, 3L * holdMillis));
      }
      long start = System.nanoTime();
      measuredFrom.set(start); // a request filed during the warm-up is not measured
      measuring.set(true);
      Thread.sleep(seconds * 1000L);
      measuring.set(false);
      double elapsed = (System.nanoTime() - start) / 1e9;
      stop.set(true);
      done.await(60, TimeUnit.SECONDS);

      String prefix = "allocation." + storeName + ".requesters_" + requesters + ".hold_"
          + holdMillis + "ms";
      Report.figure(prefix + ".request_to_claimed", latency.summary());
      // Of that, filing: Pool.request() returning, its transaction committed. The rest is the
      // claim step, from the timer that starts it to its commit.
      Report.figure(prefix + ".request_to_filed", toFiled.summary());
      Report.figure(prefix + ".request_to_ready", toReady.summary());
      Report.figure(prefix + ".leases_per_second", Report.fmt(served.get() / elapsed));
      Report.figure(prefix + ".double_claims", doubleClaims.get());
      Report.figure(prefix + ".failed_requests", failures.get());
      return doubleClaims.get();
    }
  }
}
