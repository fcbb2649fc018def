package org.mozpool.testkit.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mozpool.DeviceStates;
import org.mozpool.DeviceView;
import org.mozpool.Lease;
import org.mozpool.LogEntry;
import org.mozpool.Pool;
import org.mozpool.RequestFailedException;
import org.mozpool.RequestSpec;
import org.mozpool.RequestStates;
import org.mozpool.core.DeviceSelectors;
import org.mozpool.testkit.faults.Fault;
import org.mozpool.testkit.faults.FaultProfile;
import org.mozpool.testkit.junit.MozpoolLabExtension;

/** The simulated devices under the standard Lifeguard, on virtual time. */
class VirtualLabTest {

  @RegisterExtension
  final MozpoolLabExtension extension = MozpoolLabExtension.virtual().devices(4).seed(11)
      .configure(b -> b.selector(DeviceSelectors.firstByName()));

  private static RequestSpec.Builder b2g(String build) {
    return RequestSpec.any().image("b2g").bootConfig("b2gbase", build);
  }

  @Test
  void freshLabSelfTestsEveryDeviceToReadyWithinMinutes(VirtualLab lab) {
    assertThat(lab.stateCounts()).containsExactly(Map.entry(DeviceStates.READY, 4));
    assertThat(lab.time().now())
        .isBefore(org.mozpool.core.VirtualTimekeeper.DEFAULT_START.plus(Duration.ofMinutes(10)));
  }

  @Test
  @Timeout(60) // a safety net: joining used to hang for ever on virtual time
  void pleaseSelfTestJoinedOnVirtualTimeCompletes(Pool pool, VirtualLab lab) {
    java.time.Instant before = lab.time().now();

    pool.lifeguard().pleaseSelfTest("panda-0001").toCompletableFuture().join();

    assertThat(pool.inventory().device("panda-0001").state()).isNotEqualTo(DeviceStates.READY);
    assertThat(lab.time().now()).as("joining a step runs only what is due").isEqualTo(before);
  }

  @Test
  @Timeout(60)
  void leaseWhenReadyJoinedOnVirtualTimeGivesTheImagedDevice(Pool pool, VirtualLab lab) {
    try (Lease lease = pool.request(b2g("http://builds.lab/b2g/1").build())) {
      DeviceView device = lease.whenReady().toCompletableFuture().join();

      assertThat(device.image()).isEqualTo("b2g");
      assertThat(lease.state()).isEqualTo(RequestStates.READY);
    }
  }

  @Test
  @Timeout(60)
  void joinOfAStageThatCanNeverCompleteFailsInsteadOfHangingWhileTheLabRuns(VirtualLab lab) {
    java.util.concurrent.CompletableFuture<Void> never = lab.time().newStage();

    assertThatThrownBy(never::join).isInstanceOf(org.mozpool.WaitTimedOutException.class)
        .hasMessageContaining("virtual time");
  }

  @Test
  void requestIsImagedThroughTheLiveImageFlow(Pool pool, VirtualLab lab) {
    try (Lease lease = pool.request(b2g("http://builds.lab/b2g/1").build())) {
      DeviceView device = lease.awaitReady(Duration.ofMinutes(30));

      assertThat(device.image()).isEqualTo("b2g");
      assertThat(lab.device(device.name()).sdImage()).get().extracting(InstallOrder::image)
          .isEqualTo("b2g");
      assertThat(pool.inventory().deviceLog(device.name())).extracting(LogEntry::message)
          .containsSubsequence("mobile_init_started", "image_downloading", "image_extracting",
              "image_rebooting");
    }
  }

  @Test
  void reusableImageIsHandedOutAgainAfterAMerePowerCycle(Pool pool, VirtualLab lab) {
    Lease first = pool.request(b2g("http://builds.lab/b2g/1").build());
    String device = first.awaitReady(Duration.ofMinutes(30)).name();
    first.returnDevice();

    try (Lease second = pool.request(b2g("http://builds.lab/b2g/1").build())) {
      assertThat(second.awaitReady(Duration.ofMinutes(30)).name()).isEqualTo(device);
      assertThat(lab.device(device).imagesInstalled()).isEqualTo(1);
    }
  }

  @Test
  void sdCardGoneBadSendsTheRequestToAnotherDeviceAndTheBadOneEndsFailed(Pool pool,
      VirtualLab lab) {
    lab.device("panda-0001").develop(Fault.BAD_SD_CARD);

    try (Lease lease = pool.request(RequestSpec.any().image("android").build())) {
      assertThat(lease.awaitReady(Duration.ofMinutes(60)).name()).isEqualTo("panda-0002");
      assertThat(lease.view().devicesTried()).containsExactly("panda-0001", "panda-0002");
      lab.settle(Duration.ofHours(2));
      assertThat(pool.inventory().device("panda-0001").state())
          .isEqualTo(DeviceStates.FAILED_SELF_TEST);
    }
  }

  @Test
  void brokenBuildFailsTheRequestAsBadImageAndLeavesTheDevicesReady(Pool pool, VirtualLab lab) {
    Lease lease = pool.request(b2g("http://builds.lab/b2g/broken-7").build());

    assertThatThrownBy(() -> lease.awaitReady(Duration.ofMinutes(60)))
        .isInstanceOfSatisfying(RequestFailedException.class,
            e -> assertThat(e.state()).isEqualTo(RequestStates.FAILED_BAD_IMAGE));
    lab.settle(Duration.ofMinutes(30));
    assertThat(lab.stateCounts()).containsExactly(Map.entry(DeviceStates.READY, 4));
    assertThat(lab.faultLog().counts()).containsEntry(Fault.BAD_IMAGE, 2);
  }

  @Test
  void deadBoardIsSentToHumansAfterItsPxeBootRetries() {
    try (VirtualLab lab = VirtualLab.builder().devices(2).defect("panda-0002", Fault.DEAD_BOARD)
        .build()) {
      lab.settle(Duration.ofHours(3));

      assertThat(lab.stateCounts()).containsEntry(DeviceStates.READY, 1)
          .containsEntry(DeviceStates.FAILED_PXE_BOOTING, 1);
      assertThat(lab.device("panda-0002").phase()).isEqualTo(SimulatedDevice.Phase.DEAD);
    }
  }

  @Test
  void problemChildIsQuarantinedThoughItsSelfTestsPass() {
    FaultProfile alwaysFails = FaultProfile.none().toBuilder().problemChildFailure(1.0).build();
    try (VirtualLab lab = VirtualLab.builder().devices(3).faults(alwaysFails)
        .defect("panda-0001", Fault.PROBLEM_CHILD).selector(DeviceSelectors.firstByName())
        .build()) {
      lab.settle(Duration.ofMinutes(30));

      for (int i = 0; i < 4; i++) {
        // The pool waits for Lifeguard's verdict on the problem child (its retries may take
        // hours) before substituting: the lease must outlast them.
        Lease lease = lab.pool().request(RequestSpec.any().image("android")
            .leaseDuration(Duration.ofHours(6)).build());
        assertThat(lease.awaitReady(Duration.ofHours(6)).name()).isNotEqualTo("panda-0001");
        lease.returnDevice();
        lab.settle(Duration.ofHours(1));
      }

      assertThat(lab.pool().inventory().device("panda-0001").state())
          .isEqualTo(DeviceStates.FAILED_QUARANTINED);
      assertThat(lab.faultLog().counts().get(Fault.STORAGE_DROPPED_WRITES)).isGreaterThanOrEqualTo(3);
    }
  }

  @Test
  void flakyRelayBoardIsQuarantinedAndHotBoardFailsItsSelfTestWhileAHealthyNeighbourServes() {
    try (VirtualLab lab = VirtualLab.builder().devices(3).faults(FaultProfile.none())
        .defect("panda-0001", Fault.FLAKY_RELAY).defect("panda-0002", Fault.OVERHEATING)
        .build()) {
      lab.settle(Duration.ofMinutes(30));

      // Two days: every hour a ten-minute lease of the flaky-relay board (while it is still in
      // service) and of the healthy one; the overheating board sits idle, powered.
      int served = 0;
      for (int hour = 0; hour < 48; hour++) {
        for (String device : new String[] {"panda-0001", "panda-0003"}) {
          if (!lab.pool().inventory().device(device).state().equals(DeviceStates.READY)) {
            continue;
          }
          Lease lease = lab.pool().request(RequestSpec.device(device).image("android").build());
          lease.awaitReady(Duration.ofHours(1));
          served++;
          lab.advance(Duration.ofMinutes(10));
          lease.returnDevice();
        }
        lab.advance(Duration.ofMinutes(30));
        lab.settle(Duration.ofMinutes(20));
      }

      assertThat(lab.pool().inventory().device("panda-0001").state())
          .isEqualTo(DeviceStates.FAILED_QUARANTINED);
      // The overheating board hangs once (8 h powered), misses its idle probe, and the self-test
      // that follows finds it hot: out of service at its first hang, not its third.
      assertThat(lab.pool().inventory().device("panda-0002").state())
          .isEqualTo(DeviceStates.FAILED_SELF_TEST);
      assertThat(lab.pool().inventory().device("panda-0003").state())
          .isEqualTo(DeviceStates.READY);
      assertThat(served).isGreaterThan(48);
      assertThat(lab.pool().inventory().deviceLog("panda-0001")).extracting(LogEntry::message)
          .contains("recorded a relay fault in pxe_power_cycling in the failure history");
      assertThat(lab.pool().inventory().deviceLog("panda-0002")).extracting(LogEntry::message)
          .contains("recorded an idle health probe the device did not answer at all in the failure"
              + " history")
          .anyMatch(m -> m.matches("temperature \\d+\\.\\d C reported with mobile_init_started is"
              + " at or over the limit of 85\\.0 C \\(overheating\\); out of service"));
      assertThat(lab.pool().inventory().deviceLog("panda-0003")).extracting(LogEntry::message)
          .noneMatch(m -> m.contains("in the failure history"));
      assertThat(lab.faultLog().counts().get(Fault.RELAY_MISSED)).isGreaterThanOrEqualTo(3);
      assertThat(lab.faultLog().counts().get(Fault.OVERHEATED)).isGreaterThanOrEqualTo(1);
    }
  }
}
