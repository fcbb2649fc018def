package org.mozpool.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.mozpool.DeviceSpec;
import org.mozpool.HardwareType;
import org.mozpool.Image;
import org.mozpool.InstancePolicy;
import org.mozpool.Lease;
import org.mozpool.Mozpool;
import org.mozpool.Pool;
import org.mozpool.PxeConfig;
import org.mozpool.RequestSpec;
import org.mozpool.core.SystemTimekeeper;
import org.mozpool.jdbc.JdbcPoolStore;
import org.mozpool.lifeguard.StandardLifeguard;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.PoolStore;
import org.mozpool.testkit.doubles.ScriptedHardware;

/**
 * Several instances on one PostgreSQL database (issue "Several instances", DESIGN §9): for 1, 2
 * and 3 instances in this JVM, each driving its own lab network's share of {@code devices} boards
 * (scripted hardware that answers at once; live images call their own instance back), {@code
 * clients} requesters spread over the instances file a request for {@code any} device, wait for it
 * and return it, for {@code seconds}: requests served per second, and how many were imaged by
 * another instance than the one they were filed with (through the outbox). Then one instance
 * stops (its heartbeat with it) and the time until the others have adopted all its devices and
 * requests is measured, with the default liveness (heartbeat 2 s, dead after 15 s) unless {@code
 * heartbeatMs}/{@code deadAfterMs} say otherwise.
 *
 * <p>Arguments: {@code instances=1,2,3 devices=48 clients=32 seconds=20 heartbeatMs=2000
 * deadAfterMs=15000 warmup=15}; the warm-up is a round with one instance whose figures are not
 * reported (a cold JIT served 40 % fewer requests per second in the first round). Needs PostgreSQL
 * ({@code -Dbench.pg.url}, as the other benchmarks).
 */
public final class SeveralInstances {
  private SeveralInstances() {}

  public static void main(String[] args) throws Exception {
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
    }
    Report.header(SeveralInstances.class, args);
    int devices = Report.intArg(args, "devices", 48);
    int clients = Report.intArg(args, "clients", 32);
    int seconds = Report.intArg(args, "seconds", 20);
    Duration heartbeat = Duration.ofMillis(Report.intArg(args, "heartbeatMs", 2000));
    Duration deadAfter = Duration.ofMillis(Report.intArg(args, "deadAfterMs", 15000));
    int warmup = Report.intArg(args, "warmup", 15);
    if (warmup > 0) {
      run(1, devices, clients, warmup, heartbeat, deadAfter, false);
    }
    for (String n : Report.arg(args, "instances", "1,2,3").split(",")) {
      run(Integer.parseInt(n.trim()), devices, clients, seconds, heartbeat, deadAfter, true);
    }
  }

  private record Instance(String id, Pool pool, PoolStore store) {}

  private static void run(int n, int devices, int clients, int seconds, Duration heartbeat,
      Duration deadAfter, boolean report) throws Exception {
    Stores.Target db = Stores.target("postgres");
    List<AutoCloseable> open = new ArrayList<>();
    try {
      List<Instance> instances = new ArrayList<>();
      for (int i = 1; i <= n; i++) {
        instances.add(start("imaging-" + i, n, i, db, heartbeat, deadAfter, open));
      }
      register(instances.get(0).pool(), n, devices);
      awaitAllReady(instances.get(0).pool(), devices);

      AtomicLong served = new AtomicLong();
      AtomicLong failed = new AtomicLong();
      AtomicBoolean stop = new AtomicBoolean();
      ExecutorService requesters = Executors.newFixedThreadPool(clients);
      long started = System.nanoTime();
      for (int c = 0; c < clients; c++) {
        Pool pool = instances.get(c % n).pool();
        requesters.submit(() -> {
          while (!stop.get()) {
            try (Lease lease = pool.request(RequestSpec.any().image("android")
                .waitBudget(Duration.ofMinutes(5)).build())) {
              lease.awaitReady(Duration.ofMinutes(5));
              served.incrementAndGet();
            } catch (RuntimeException e) {
              failed.incrementAndGet();
            }
          }
        });
      }
      Thread.sleep(seconds * 1000L);
      stop.set(true);
      requesters.shutdown();
      requesters.awaitTermination(5, TimeUnit.MINUTES);
      double elapsed = (System.nanoTime() - started) / 1e9;
      long elsewhere = imagedElsewhere(instances.get(0).store());
      if (!report) {
        Report.note("warm-up: " + served.get() + " served in " + Report.fmt(elapsed) + " s");
        return;
      }
      Report.figure("instances=" + n + " served/s", Report.fmt(served.get() / elapsed));
      Report.figure("instances=" + n + " served", served.get() + " (failed " + failed.get()
          + ", imaged by another instance than the one filed with: " + elsewhere + ")");

      if (n > 1) {
        Instance last = instances.get(n - 1);
        // one request left open on the instance that stops, for its adoption to be timed too
        Lease held = last.pool().request(RequestSpec.any().image("android")
            .leaseDuration(Duration.ofHours(1)).build());
        held.awaitReady(Duration.ofMinutes(5));
        PoolStore watcher = instances.get(0).store();
        long stopped = System.nanoTime();
        last.pool().close();
        while (watcher.inTransaction(tx -> !tx.drivenBy(MachineKind.DEVICE, last.id()).isEmpty()
            || !tx.drivenBy(MachineKind.REQUEST, last.id()).isEmpty())) {
          Thread.sleep(10);
        }
        Report.figure("instances=" + n + " adoption", Report.ms(System.nanoTime() - stopped)
            + " after the instance stopped (dead after " + deadAfter.toMillis() + " ms, heartbeat "
            + heartbeat.toMillis() + " ms)");
      }
    } finally {
      for (int i = open.size() - 1; i >= 0; i--) {
        try {
          open.get(i).close();
        } catch (Exception e) {
          // closed already
        }
      }
      db.close();
    }
  }

  private static Instance start(String id, int n, int i, Stores.Target db, Duration heartbeat,
      Duration deadAfter, List<AutoCloseable> open) {
    PoolStore store = JdbcPoolStore.forUrl(Stores.PG_URL, Stores.PG_USER, Stores.PG_PASSWORD,
        JdbcPoolStore.Options.builder().schema(db.schema).build());
    SystemTimekeeper time = new SystemTimekeeper();
    AtomicReference<Pool> self = new AtomicReference<>();
    ScriptedHardware hardware = new ScriptedHardware(time)
        .runsLiveImages(() -> self.get().lifeguard(), Duration.ofMillis(1));
    open.add(store);
    open.add(time);
    Set<String> others = new java.util.TreeSet<>();
    for (int j = 1; j <= n; j++) {
      if (j != i) {
        others.add("net" + j);
      }
    }
    Pool pool = Mozpool.builder().store(store).timekeeper(time).serverId(id)
        .lifeguard(StandardLifeguard.factory())
        .powerControl(hardware).bootControl(hardware).deviceProbe(hardware)
        .instancePolicy(InstancePolicy.on("net" + i).withStandbyFor(others)
            .withLiveness(heartbeat, deadAfter))
        .build();
    self.set(pool);
    open.add(pool);
    return new Instance(id, pool, store);
  }

  private static void register(Pool pool, int n, int devices) {
    var inventory = pool.inventory();
    inventory.registerHardwareType(HardwareType.of("panda"));
    inventory.registerImage(Image.builder("android").hasAgent(true).build());
    inventory.registerImage(Image.builder(Image.SELF_TEST).hidden(true).build());
    for (String image : List.of("android", Image.SELF_TEST)) {
      inventory.registerPxeConfig(PxeConfig.of(image + "-panda", "kernel " + image));
      inventory.mapPxeConfig(image, "panda", image + "-panda");
    }
    for (int d = 0; d < devices; d++) {
      int home = d % n + 1;
      inventory.registerDevice(DeviceSpec.builder(String.format("panda-%04d", d))
          .mac(String.format("%012x", d + 1)).hardwareType("panda")
          .powerAddress("sim://net" + home + "/" + d).server("imaging-" + home).build());
    }
  }

  private static void awaitAllReady(Pool pool, int devices) throws InterruptedException {
    long giveUp = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (pool.inventory().devices().stream().filter(d -> d.state().equals("ready")).count()
        < devices) {
      if (System.nanoTime() > giveUp) {
        throw new IllegalStateException("the boards did not all get ready within 5 minutes");
      }
      Thread.sleep(50);
    }
  }

  /** Requests whose device was driven by another instance than the request. */
  private static long imagedElsewhere(PoolStore store) {
    return store.inTransaction(tx -> tx.requests().stream().filter(r -> !r.devicesTried().isEmpty()
        && tx.device(r.devicesTried().get(r.devicesTried().size() - 1))
            .map(d -> !d.spec().server().equals(r.server())).orElse(false)).count());
  }
}
