package org.mozpool.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.mozpool.DeviceSpec;
import org.mozpool.DeviceStates;
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
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.StoreTransaction;

/**
 * A pool that stops abruptly in the middle of imaging loses nothing: a new pool over the same
 * database resumes every device and request from its stored state and deadline, and serves every
 * request to the end. Run per database by subclasses.
 */
abstract class CrashRecoveryContract {
  private static final Duration WORK = Duration.ofMinutes(5);

  /** A new store over the same database each time it is called. */
  abstract JdbcPoolStore newStore();

  private static Pool pool(JdbcPoolStore store, VirtualTimekeeper time) {
    return Mozpool.builder().store(store).timekeeper(time).serverId("imaging-1")
        .lifeguard(StubLifeguard.factory(WORK)).build();
  }

  @Test
  void aPoolStoppedAbruptlyMidImagingIsResumedToCompletionByANewPoolOverTheSameDatabase() {
    VirtualTimekeeper time1 = new VirtualTimekeeper();
    JdbcPoolStore store1 = newStore();
    Pool pool1 = pool(store1, time1);
    pool1.inventory().registerHardwareType(HardwareType.of("panda"));
    pool1.inventory().registerPxeConfig(PxeConfig.of("android", "kernel android"));
    pool1.inventory().registerImage(Image.builder("android").build());
    pool1.inventory().mapPxeConfig("android", "panda", "android");
    for (int i = 0; i < 6; i++) {
      pool1.inventory().registerDevice(DeviceSpec.builder("panda-" + i)
          .mac(String.format("0000000000%02x", i)).hardware("panda", "").build());
    }
    List<String[]> handles = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Lease lease = pool1.request(RequestSpec.any().image("android").bootConfig("build", "b" + i)
          .lease(Duration.ofHours(2)).waitUpTo(Duration.ofHours(1)).requester("crash-" + i).build());
      handles.add(new String[] {lease.id(), lease.token()});
    }
    time1.advance(Duration.ofMinutes(1));
    assertThat(pool1.requests()).extracting(RequestView::state)
        .containsOnly(RequestStates.PENDING, RequestStates.FINDING_DEVICE)
        .filteredOn(RequestStates.PENDING::equals).hasSize(6);
    assertThat(store1.inTransaction(StoreTransaction::devices)).extracting(d -> d.machine().state())
        .containsOnly(DeviceStates.PXE_POWER_CYCLING);

    // The instance dies: its timers never fire again and its connections go away.
    store1.close();

    VirtualTimekeeper time2 = new VirtualTimekeeper(time1.now().plusSeconds(30));
    JdbcPoolStore store2 = newStore();
    try (Pool pool2 = pool(store2, time2)) {
      time2.advance(WORK.plusMinutes(2));
      List<Lease> leases = new ArrayList<>();
      for (String[] h : handles) {
        leases.add(pool2.lease(h[0], h[1]));
      }
      Set<String> held = new HashSet<>();
      List<Lease> served = new ArrayList<>();
      List<Lease> waiting = new ArrayList<>();
      for (Lease lease : leases) {
        if (RequestStates.READY.equals(lease.state())) {
          assertThat(held.add(lease.device().orElseThrow())).isTrue();
          served.add(lease);
        } else {
          assertThat(lease.state()).isEqualTo(RequestStates.FINDING_DEVICE);
          waiting.add(lease);
        }
      }
      assertThat(served).hasSize(6);
      served.forEach(Lease::returnDevice);
      for (Lease lease : waiting) {
        String device = lease.awaitReady(Duration.ofMinutes(30)).name();
        assertThat(device).startsWith("panda-");
        lease.returnDevice();
      }
      assertThat(pool2.requests()).hasSize(8).extracting(RequestView::state)
          .containsOnly(RequestStates.CLOSED);
      assertThat(store2.inTransaction(StoreTransaction::devices)).extracting(DeviceRecord::image)
          .containsOnly("android");
    } finally {
      store2.close();
    }
  }
}
