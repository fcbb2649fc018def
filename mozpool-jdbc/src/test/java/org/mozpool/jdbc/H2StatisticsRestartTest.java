package org.mozpool.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.DeviceSpec;
import org.mozpool.DeviceStates;
import org.mozpool.DeviceStatistics;
import org.mozpool.HardwareType;
import org.mozpool.Image;
import org.mozpool.Lease;
import org.mozpool.Mozpool;
import org.mozpool.Pool;
import org.mozpool.PxeConfig;
import org.mozpool.RequestSpec;
import org.mozpool.core.VirtualTimekeeper;
import org.mozpool.lifeguard.StandardLifeguard;
import org.mozpool.testkit.doubles.ScriptedHardware;

/**
 * Device statistics are kept in the H2 file with the state changes that cause them: a new pool
 * over the same file after the first stopped abruptly reads the same numbers and counts on from
 * them.
 */
class H2StatisticsRestartTest {
  @TempDir
  Path dir;

  private static Pool pool(JdbcPoolStore store, VirtualTimekeeper time) {
    AtomicReference<Pool> pool = new AtomicReference<>();
    ScriptedHardware boards = new ScriptedHardware(time)
        .runsLiveImages(() -> pool.get().lifeguard(), Duration.ofSeconds(1));
    pool.set(Mozpool.builder().store(store).timekeeper(time).serverId("imaging-1")
        .lifeguard(StandardLifeguard.factory())
        .powerControl(boards).bootControl(boards).deviceProbe(boards).build());
    return pool.get();
  }

  @Test
  void statisticsSurviveAnAbruptStopAndCountOnInTheNextPool() {
    VirtualTimekeeper time1 = new VirtualTimekeeper();
    JdbcPoolStore store1 = JdbcPoolStore.h2(dir.resolve("mozpool"));
    Pool pool1 = pool(store1, time1);
    var inventory = pool1.inventory();
    inventory.registerHardwareType(HardwareType.of("panda"));
    inventory.registerImage(Image.builder("android").hasAgent(true).build());
    inventory.registerImage(Image.builder(Image.SELF_TEST).hidden(true).build());
    for (String image : List.of("android", Image.SELF_TEST)) {
      inventory.registerPxeConfig(PxeConfig.of(image + "-panda", "kernel " + image));
      inventory.mapPxeConfig(image, "panda", image + "-panda");
    }
    inventory.registerDevice(DeviceSpec.builder("panda-0").mac("000000000001")
        .hardwareType("panda").powerAddress("sim://rack-1/0").build());
    time1.advance(Duration.ofMinutes(10));
    for (int i = 0; i < 3; i++) {
      pool1.lifeguard().pleasePowerCycle("panda-0").toCompletableFuture().join();
      time1.advance(Duration.ofMinutes(10));
    }
    Lease lease = pool1.request(RequestSpec.any().image("android").build());
    lease.awaitReady(Duration.ofHours(1));
    lease.returnDevice();
    time1.advance(Duration.ofMinutes(10));
    assertThat(pool1.inventory().device("panda-0").state()).isEqualTo(DeviceStates.READY);
    DeviceStatistics before = pool1.inventory().statistics("panda-0");
    assertThat(before.selfTestsPassed()).isEqualTo(1);
    assertThat(before.timesImaged()).containsExactly(java.util.Map.entry("android", 1L));
    assertThat(before.powerCycles()).isGreaterThanOrEqualTo(1 + 3 + 1);

    // The instance stops abruptly: nothing is closed but the store's connections.
    store1.close();

    VirtualTimekeeper time2 = new VirtualTimekeeper(time1.now().plus(Duration.ofHours(1)));
    JdbcPoolStore store2 = JdbcPoolStore.h2(dir.resolve("mozpool"));
    try (Pool pool2 = pool(store2, time2)) {
      DeviceStatistics after = pool2.inventory().statistics("panda-0");
      assertThat(after.since()).isEqualTo(before.since());
      assertThat(after.powerCycles()).isEqualTo(before.powerCycles());
      assertThat(after.timesImaged()).isEqualTo(before.timesImaged());
      assertThat(after.selfTestsPassed()).isEqualTo(before.selfTestsPassed());
      assertThat(after.failuresByState()).isEqualTo(before.failuresByState());
      assertThat(after.lastSeenHealthy()).isEqualTo(before.lastSeenHealthy());
      // the device stayed ready while no instance ran: its stay goes on
      assertThat(after.timeInFamily().get(DeviceStatistics.READY)).isEqualTo(
          before.timeInFamily().get(DeviceStatistics.READY)
              .plus(Duration.between(before.asOf(), after.asOf())));

      pool2.lifeguard().pleasePowerCycle("panda-0").toCompletableFuture().join();
      time2.advance(Duration.ofMinutes(10));
      assertThat(pool2.inventory().statistics("panda-0").powerCycles())
          .isEqualTo(before.powerCycles() + 1);
    } finally {
      store2.close();
    }
  }
}
