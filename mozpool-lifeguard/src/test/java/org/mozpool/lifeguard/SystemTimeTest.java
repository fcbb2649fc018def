package org.mozpool.lifeguard;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mozpool.DeviceSpec;
import org.mozpool.DeviceView;
import org.mozpool.HardwareType;
import org.mozpool.Image;
import org.mozpool.Lease;
import org.mozpool.Mozpool;
import org.mozpool.Pool;
import org.mozpool.PxeConfig;
import org.mozpool.RequestSpec;
import org.mozpool.core.SystemTimekeeper;

/** The same machine on real threads and the system clock, with the lab's script sped up. */
class SystemTimeTest {
  private final SystemTimekeeper tk = new SystemTimekeeper();
  private final AtomicReference<Pool> poolRef = new AtomicReference<>();
  private final FakeHardware hw = new FakeHardware(tk, () -> poolRef.get().lifeguard(),
      Duration.ofMillis(5));
  private final Pool pool = Mozpool.builder()
      .lifeguard(StandardLifeguard.factory())
      .timekeeper(tk)
      .powerControl(hw).bootControl(hw).deviceProbe(hw)
      .build();

  @AfterEach
  void close() {
    pool.close();
    tk.close();
  }

  @Test
  @Timeout(30)
  void devicesSelfTestAndServeConcurrentRequestsOnRealThreads() {
    poolRef.set(pool);
    var inventory = pool.inventory();
    inventory.registerHardwareType(HardwareType.of("panda"));
    inventory.registerImage(Image.builder("b2g").hasAgent(true).build());
    inventory.registerImage(Image.builder(Image.SELF_TEST).hidden(true).build());
    for (String image : List.of("b2g", Image.SELF_TEST)) {
      inventory.registerPxeConfig(PxeConfig.of(image + "-panda", "kernel " + image));
      inventory.mapPxeConfig(image, "panda", image + "-panda");
    }
    for (int i = 1; i <= 4; i++) {
      inventory.registerDevice(DeviceSpec.builder("panda-" + i).hardwareType("panda")
          .mac(String.format("0011223344%02x", i)).powerAddress("relay://1/" + i).build());
    }

    List<Lease> leases = List.of(request(), request(), request(), request());
    List<DeviceView> devices = leases.stream().map(l -> l.awaitReady(Duration.ofSeconds(20))).toList();

    assertThat(devices).extracting(DeviceView::name)
        .containsExactlyInAnyOrder("panda-1", "panda-2", "panda-3", "panda-4");
    assertThat(devices).allSatisfy(d -> assertThat(d.image()).isEqualTo("b2g"));
  }

  @Test
  @Timeout(30)
  void shortTimeoutsFireOnTheSystemClock() {
    poolRef.set(pool);
    LifeguardPolicy fast = LifeguardPolicy.defaults()
        .withTimeout("pc_rebooting", Duration.ofMillis(37))
        .withTimeout("pc_pinging", Duration.ofMillis(23));
    try (SystemTimekeeper time = new SystemTimekeeper();
        Pool fastPool = Mozpool.builder().lifeguard(StandardLifeguard.factory(fast))
            .timekeeper(time).powerControl(hw).bootControl(hw).deviceProbe(hw).build()) {
      fastPool.inventory().registerHardwareType(HardwareType.of("tegra"));
      for (int i = 1; i <= 20; i++) {
        String name = "tegra-" + i;
        // No self-test PXE config for tegra: the first self-test is a plain power cycle whose
        // pc_rebooting and pc_pinging timeouts must fire.
        hw.board(name).ping = FakeHardware.Outcome.HANG;
        fastPool.inventory().registerDevice(DeviceSpec.builder(name).hardwareType("tegra")
            .mac(String.format("0011223355%02x", i)).powerAddress("relay://2/" + i).build());
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (System.nanoTime() < deadline && fastPool.inventory().devices().stream()
          .anyMatch(d -> !d.state().equals("failed_pc_pinging"))) {
        Thread.onSpinWait();
      }
      assertThat(fastPool.inventory().devices())
          .allSatisfy(d -> assertThat(d.state()).as(d.name()).isEqualTo("failed_pc_pinging"));
    }
  }

  private Lease request() {
    return pool.request(RequestSpec.any().image("b2g").leaseDuration(Duration.ofMinutes(5))
        .waitBudget(Duration.ofMinutes(1)).build());
  }
}
