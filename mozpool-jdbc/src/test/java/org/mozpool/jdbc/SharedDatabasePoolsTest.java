package org.mozpool.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mozpool.DeviceSpec;
import org.mozpool.HardwareType;
import org.mozpool.Image;
import org.mozpool.Lease;
import org.mozpool.Mozpool;
import org.mozpool.Pool;
import org.mozpool.PoolPolicy;
import org.mozpool.PxeConfig;
import org.mozpool.RequestSpec;
import org.mozpool.RequestStates;
import org.mozpool.RequestView;
import org.mozpool.core.SystemTimekeeper;
import org.mozpool.lifeguard.StandardLifeguard;
import org.mozpool.testkit.doubles.ScriptedHardware;

/**
 * Several pools in one JVM sharing one database (PostgreSQL, or one embedded H2 file), as several
 * Mozpool instances share
 * it: the claims' unique keys are the only lock between them, and no device is ever handed to
 * two leases at once.
 */
class SharedDatabasePoolsTest {
  private static final DatabaseServer SERVER = DatabaseServer.POSTGRESQL;
  @org.junit.jupiter.api.io.TempDir
  java.nio.file.Path dir;
  private static final int POOLS = 3;
  private static final int DEVICES = 12;
  private static final int REQUESTERS = 64;
  private static final int ROUNDS = 2;

  private String schema;
  private final List<AutoCloseable> resources = new ArrayList<>();

  @BeforeEach
  void freshSchema() {
    schema = DatabaseServer.freshSchemaName();
  }

  @AfterEach
  void closeEverything() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
    if (onPostgres) {
      SERVER.dropSchema(schema);
    }
  }

  private boolean onPostgres;

  @Test
  @Timeout(400)
  void threePoolsSharingOneDatabaseWithSixtyFourRequestersNeverHandOutOneDeviceTwice()
      throws Exception {
    SERVER.requireAvailable();
    onPostgres = true;
    threePoolsShareOneDatabase(() -> SERVER.store(schema));
  }

  @Test
  @Timeout(400)
  void threePoolsSharingOneEmbeddedH2FileNeverHandOutOneDeviceTwice() throws Exception {
    java.nio.file.Path file = dir.resolve("shared");
    threePoolsShareOneDatabase(() -> JdbcPoolStore.h2(file));
  }

  private void threePoolsShareOneDatabase(java.util.function.Supplier<JdbcPoolStore> stores)
      throws Exception {
    List<Pool> pools = new ArrayList<>();
    for (int i = 0; i < POOLS; i++) {
      JdbcPoolStore store = stores.get();
      SystemTimekeeper time = new SystemTimekeeper();
      // A device freed by one instance wakes only that instance's queue, so the others rely on
      // their own periodic re-check; keep it short for the test.
      AtomicReference<Pool> self = new AtomicReference<>();
      // Each instance drives the boards it powers; their live images call that instance back.
      ScriptedHardware boards = new ScriptedHardware(time)
          // 5 ms a live-image second: the first event 100 ms after the power cycle, not 20 ms,
          // which a busy store could beat to the commit into pxe_booting (the event is then
          // ignored and the board waits minutes for a timeout: 182 s once for this test)
          .runsLiveImages(() -> self.get().lifeguard(), Duration.ofMillis(5));
      Pool pool = Mozpool.builder().store(store).timekeeper(time).serverId("imaging-" + i)
          .lifeguard(StandardLifeguard.factory())
          .powerControl(boards).bootControl(boards).deviceProbe(boards)
          .policy(PoolPolicy.defaults().withQueueRecheck(Duration.ofMillis(200))).build();
      self.set(pool);
      resources.add(store);
      resources.add(time);
      resources.add(pool);
      pools.add(pool);
    }
    Pool first = pools.get(0);
    var inventory = first.inventory();
    inventory.registerHardwareType(HardwareType.of("panda"));
    inventory.registerImage(Image.builder("android").hasAgent(true).build());
    inventory.registerImage(Image.builder(Image.SELF_TEST).hidden(true).build());
    for (String image : List.of("android", Image.SELF_TEST)) {
      inventory.registerPxeConfig(PxeConfig.of(image + "-panda", "kernel " + image));
      inventory.mapPxeConfig(image, "panda", image + "-panda");
    }
    for (int i = 0; i < DEVICES; i++) {
      inventory.registerDevice(DeviceSpec.builder("panda-" + i)
          .mac(String.format("0000000000%02x", i)).hardwareType("panda")
          .powerAddress("sim://rack-1/" + i).build());
    }

    Set<String> held = ConcurrentHashMap.newKeySet();
    AtomicInteger doubleHandouts = new AtomicInteger();
    AtomicInteger served = new AtomicInteger();
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService requesters = Executors.newFixedThreadPool(REQUESTERS);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < REQUESTERS; t++) {
        Pool pool = pools.get(t % POOLS);
        done.add(requesters.submit(() -> {
          start.await();
          for (int round = 0; round < ROUNDS; round++) {
            try (Lease lease = pool.request(RequestSpec.any().image("android")
                .waitBudget(Duration.ofMinutes(5)).build())) {
              // Generous: this test is about double hand-outs, not latency, and a loaded CI machine can
              // make the last of 64 requesters wait minutes for one of 12 devices.
              String device = lease.awaitReady(Duration.ofMinutes(5)).name();
              if (!held.add(device)) {
                doubleHandouts.incrementAndGet();
              }
              Thread.sleep(2);
              served.incrementAndGet();
              held.remove(device);
            }
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get(390, TimeUnit.SECONDS);
      }
    } finally {
      requesters.shutdownNow();
    }

    assertThat(doubleHandouts).hasValue(0);
    assertThat(served).hasValue(REQUESTERS * ROUNDS);
    assertThat(first.requests()).hasSize(REQUESTERS * ROUNDS)
        .extracting(RequestView::state).containsOnly(RequestStates.CLOSED);
  }
}
