package org.mozpool.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
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
import org.mozpool.spi.TransientStoreException;
import org.mozpool.testkit.doubles.ScriptedLifeguard;

/**
 * A pool keeps serving while its PostgreSQL sessions are killed again and again: steps that hit
 * a dropped connection are retried on fresh connections, and no device is handed out twice.
 */
class PostgresOutagePoolTest {
  private static final DatabaseServer SERVER = DatabaseServer.POSTGRESQL;
  private String schema;
  private JdbcPoolStore store;
  private SystemTimekeeper time;
  private Pool pool;

  @BeforeEach
  void start() {
    SERVER.requireAvailable();
    schema = DatabaseServer.freshSchemaName();
    store = JdbcPoolStore.forUrl(SERVER.url() + (SERVER.url().contains("?") ? "&" : "?")
        + "ApplicationName=" + schema, SERVER.user(), SERVER.password(),
        JdbcPoolStore.Options.builder().schema(schema).poolSize(6).build());
    time = new SystemTimekeeper();
    // A wake-up lost to a dropped connection (RequestQueue does not retry its store reads) is
    // made up by the waiting request's own re-check; keep that short for the test.
    // A ScriptedLifeguard, not StandardLifeguard: a device event whose step is retried after a
    // dropped connection can be overtaken by the device's next event (the engine does not keep
    // a machine's events in order across retries), and with boards that script a whole
    // live image in milliseconds that happens at once (reported to core).
    pool = Mozpool.builder().store(store).timekeeper(time)
        .policy(PoolPolicy.defaults().withQueueRecheck(Duration.ofSeconds(1)))
        .lifeguard(ScriptedLifeguard.completingAfter(Duration.ofMillis(5))).build();
  }

  @AfterEach
  void stop() throws Exception {
    if (pool != null) {
      pool.close();
      time.close();
      store.close();
      SERVER.dropSchema(schema);
    }
  }

  /** What a client of a pool over a flaky database does: retry what failed transiently. */
  private static <T> T retrying(Supplier<T> call) {
    for (int attempt = 1; ; attempt++) {
      try {
        return call.get();
      } catch (TransientStoreException e) {
        if (attempt == 20) {
          throw e;
        }
        try {
          Thread.sleep(20);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  private int killSessions() throws Exception {
    try (Connection c = SERVER.connect();
        PreparedStatement st = c.prepareStatement("SELECT pg_terminate_backend(pid)"
            + " FROM pg_stat_activity WHERE application_name = ?")) {
      st.setString(1, schema);
      int n = 0;
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          n++;
        }
      }
      return n;
    }
  }

  @Test
  @Timeout(120)
  void requestsAreServedWhileTheStoreSessionsAreKilledRepeatedly() throws Exception {
    pool.inventory().registerHardwareType(HardwareType.of("panda"));
    pool.inventory().registerPxeConfig(PxeConfig.of("android", "kernel"));
    pool.inventory().registerImage(Image.builder("android").build());
    pool.inventory().mapPxeConfig("android", "panda", "android");
    for (int i = 0; i < 8; i++) {
      pool.inventory().registerDevice(DeviceSpec.builder("panda-" + i)
          .mac(String.format("0000000000%02x", i)).hardwareType("panda").build());
    }

    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger kills = new AtomicInteger();
    Set<String> held = ConcurrentHashMap.newKeySet();
    AtomicInteger doubleHandouts = new AtomicInteger();
    AtomicInteger served = new AtomicInteger();
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService threads = Executors.newFixedThreadPool(17);
    try {
      Future<?> killer = threads.submit(() -> {
        go.await();
        while (running.get()) {
          kills.addAndGet(killSessions());
          Thread.sleep(150);
        }
        return null;
      });
      List<Future<?>> clients = new ArrayList<>();
      for (int t = 0; t < 16; t++) {
        clients.add(threads.submit(() -> {
          go.await();
          for (int round = 0; round < 3; round++) {
            Lease lease = retrying(() -> pool.request(RequestSpec.any().image("android")
                .waitBudget(Duration.ofMinutes(2)).build()));
            String device = retrying(() -> lease.awaitReady(Duration.ofSeconds(60))).name();
            if (!held.add(device)) {
              doubleHandouts.incrementAndGet();
            }
            Thread.sleep(5);
            served.incrementAndGet();
            held.remove(device);
            retrying(() -> {
              lease.close();
              return null;
            });
          }
          return null;
        }));
      }
      go.countDown();
      try {
        for (Future<?> f : clients) {
          f.get(100, TimeUnit.SECONDS);
        }
      } catch (Exception e) {
        running.set(false);
        for (RequestView r : retrying(pool::requests)) {
          if (!RequestStates.CLOSED.equals(r.state())) {
            System.out.println("STUCK " + r);
            retrying(() -> pool.requestLog(r.id())).forEach(l -> System.out.println("   " + l));
            r.device().ifPresent(d -> {
              System.out.println("  DEVICE " + retrying(() -> pool.inventory().device(d)));
              retrying(() -> pool.inventory().deviceLog(d)).forEach(l -> System.out.println("   " + l));
            });
          }
        }
        throw e;
      }
      running.set(false);
      killer.get(10, TimeUnit.SECONDS);
    } finally {
      running.set(false);
      threads.shutdownNow();
    }

    assertThat(kills.get()).as("sessions killed").isPositive();
    assertThat(doubleHandouts).hasValue(0);
    assertThat(served).hasValue(48);
    List<RequestView> requests = retrying(pool::requests);
    assertThat(requests).hasSize(48).extracting(RequestView::state)
        .containsOnly(RequestStates.CLOSED);
  }
}
