package org.mozpool;

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
import org.junit.jupiter.api.Test;
import org.mozpool.core.SystemTimekeeper;

/** Real threads racing for few devices: a device is never held by two leases at once. */
class ConcurrentRequestsTest {

  @Test
  void sixtyFourThreadsRequestingSixteenDevicesNeverShareADevice() throws Exception {
    ScriptedLifeguard lifeguard = new ScriptedLifeguard();
    lifeguard.workTime = Duration.ofMillis(2);
    try (SystemTimekeeper time = new SystemTimekeeper();
         Pool pool = Mozpool.builder().lifeguard(lifeguard).timekeeper(time).build()) {
      pool.inventory().registerHardwareType(HardwareType.of("panda"));
      pool.inventory().registerPxeConfig(PxeConfig.of("android", "kernel"));
      pool.inventory().registerImage(Image.builder("android").build());
      pool.inventory().mapPxeConfig("android", "panda", "android");
      for (int i = 0; i < 16; i++) {
        pool.inventory().registerDevice(DeviceSpec.builder("panda-" + i)
            .mac(String.format("0000000000%02x", i)).hardwareType("panda").build());
      }

      Set<String> held = ConcurrentHashMap.newKeySet();
      AtomicInteger doubleClaims = new AtomicInteger();
      AtomicInteger served = new AtomicInteger();
      CountDownLatch start = new CountDownLatch(1);
      ExecutorService clients = Executors.newFixedThreadPool(64);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 64; t++) {
        done.add(clients.submit(() -> {
          start.await();
          for (int round = 0; round < 3; round++) {
            try (Lease lease = pool.request(RequestSpec.any().image("android")
                .waitBudget(Duration.ofMinutes(5)).build())) {
              String device = lease.awaitReady(Duration.ofSeconds(60)).name();
              if (!held.add(device)) {
                doubleClaims.incrementAndGet();
              }
              served.incrementAndGet();
              held.remove(device);
            }
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get(120, TimeUnit.SECONDS);
      }
      clients.shutdown();

      assertThat(doubleClaims).hasValue(0);
      assertThat(served).hasValue(64 * 3);
      assertThat(pool.requests()).hasSize(64 * 3)
          .allSatisfy(r -> assertThat(r.state()).isEqualTo(RequestStates.CLOSED));
    }
  }
}
