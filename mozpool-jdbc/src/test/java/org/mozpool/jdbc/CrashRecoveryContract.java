package org.mozpool.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.mozpool.DeviceSpec;
import org.mozpool.DeviceStates;
import org.mozpool.DeviceView;
import org.mozpool.HardwareType;
import org.mozpool.Image;
import org.mozpool.Lease;
import org.mozpool.Mozpool;
import org.mozpool.Pool;
import org.mozpool.PxeConfig;
import org.mozpool.RequestSpec;
import org.mozpool.RequestStates;
import org.mozpool.RequestView;
import org.mozpool.core.VirtualTimekeeper;
import org.mozpool.lifeguard.StandardLifeguard;
import org.mozpool.testkit.doubles.ScriptedHardware;

/**
 * A pool that stops abruptly in the middle of imaging loses nothing: a new pool over the same
 * database resumes every device and request from its stored state and deadline, and serves every
 * request to the end. The real Lifeguard drives the testkit's scripted hardware, running live
 * images on virtual time. Run per database by subclasses.
 */
abstract class CrashRecoveryContract {
  private static final Set<String> STEADY = Set.of(DeviceStates.READY, DeviceStates.NEW);

  /** A new store over the same database each time it is called. */
  abstract JdbcPoolStore newStore();

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
  void aPoolStoppedAbruptlyMidImagingIsResumedToCompletionByANewPoolOverTheSameDatabase() {
    VirtualTimekeeper time1 = new VirtualTimekeeper();
    JdbcPoolStore store1 = newStore();
    Pool pool1 = pool(store1, time1);
    var inventory = pool1.inventory();
    inventory.registerHardwareType(HardwareType.of("panda"));
    inventory.registerImage(Image.builder("android").hasAgent(true).build());
    inventory.registerImage(Image.builder(Image.SELF_TEST).hidden(true).build());
    for (String image : List.of("android", Image.SELF_TEST)) {
      inventory.registerPxeConfig(PxeConfig.of(image + "-panda", "kernel " + image));
      inventory.mapPxeConfig(image, "panda", image + "-panda");
    }
    for (int i = 0; i < 6; i++) {
      inventory.registerDevice(DeviceSpec.builder("panda-" + i)
          .mac(String.format("0000000000%02x", i)).hardwareType("panda")
          .powerAddress("sim://rack-1/" + i).build());
    }
    time1.advance(Duration.ofMinutes(10));
    assertThat(pool1.inventory().devices()).extracting(DeviceView::state)
        .containsOnly(DeviceStates.READY);

    List<String[]> handles = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Lease lease = pool1.request(RequestSpec.any().image("android")
          .leaseDuration(Duration.ofHours(2))
          .waitBudget(Duration.ofHours(2)).requester("crash-" + i).build());
      handles.add(new String[] {lease.id(), lease.token()});
    }
    time1.advance(Duration.ofSeconds(90));
    assertThat(pool1.requests()).extracting(RequestView::state)
        .containsOnly(RequestStates.PENDING, RequestStates.FINDING_DEVICE)
        .filteredOn(RequestStates.PENDING::equals).hasSize(6);
    assertThat(pool1.inventory().devices()).extracting(DeviceView::state)
        .noneMatch(STEADY::contains).noneMatch(DeviceStates::isFailed);

    // The instance dies mid-imaging: its timers never fire again, its connections go away, and
    // the live images' calls to it are lost.
    store1.close();

    VirtualTimekeeper time2 = new VirtualTimekeeper(time1.now().plusSeconds(30));
    JdbcPoolStore store2 = newStore();
    try (Pool pool2 = pool(store2, time2)) {
      List<String> devicesServed = new ArrayList<>();
      for (String[] h : handles) {
        Lease lease = pool2.lease(h[0], h[1]);
        devicesServed.add(lease.awaitReady(Duration.ofHours(1)).name());
        lease.returnDevice();
      }
      assertThat(devicesServed).hasSize(8).allMatch(d -> d.startsWith("panda-"));
      assertThat(pool2.requests()).hasSize(8).extracting(RequestView::state)
          .containsOnly(RequestStates.CLOSED);
      time2.advance(Duration.ofMinutes(5));
      assertThat(pool2.inventory().devices()).allSatisfy(d -> {
        assertThat(d.state()).isEqualTo(DeviceStates.READY);
        assertThat(d.image()).isEqualTo("android");
      });
    } finally {
      store2.close();
    }
  }
}
