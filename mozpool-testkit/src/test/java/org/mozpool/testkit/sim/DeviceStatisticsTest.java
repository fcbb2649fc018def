package org.mozpool.testkit.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mozpool.DeviceStates;
import org.mozpool.DeviceStatistics;
import org.mozpool.Lease;
import org.mozpool.RequestSpec;
import org.mozpool.core.DeviceSelectors;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.spi.DeviceFailure;
import org.mozpool.testkit.faults.Fault;
import org.mozpool.testkit.faults.FaultProfile;

/**
 * Per-device statistics against a virtual lab whose faults are known: every number must match
 * what was injected, asked for or done by the simulated boards, exactly.
 */
class DeviceStatisticsTest {

  private static VirtualLab.Builder lab(int devices) {
    return VirtualLab.builder().devices(devices).faults(FaultProfile.none()).seed(5)
        .selector(DeviceSelectors.firstByName());
  }

  /** Power cycles Lifeguard did: the lab powers every board on once before Lifeguard starts. */
  private static long powerCyclesOf(VirtualLab lab, String device) {
    return lab.device(device).powerOns() - 1;
  }

  private static DeviceStatistics stats(VirtualLab lab, String device) {
    return lab.pool().inventory().statistics(device);
  }

  @Test
  void aFreshDeviceHasPassedOneSelfTestThroughOnePowerCycleAndWasSeenHealthy() {
    try (VirtualLab lab = lab(2).build()) {
      lab.settle(Duration.ofMinutes(30));

      DeviceStatistics s = stats(lab, "panda-0001");
      assertThat(s.family()).isEqualTo(DeviceStatistics.READY);
      assertThat(s.selfTestsPassed()).isEqualTo(1);
      assertThat(s.selfTestsFailed()).isZero();
      assertThat(s.powerCycles()).isEqualTo(1).isEqualTo(powerCyclesOf(lab, "panda-0001"));
      assertThat(s.failuresByState()).isEmpty();
      assertThat(s.quarantines()).isZero();
      assertThat(s.timesImaged()).isEmpty();
      assertThat(s.since()).isEqualTo(org.mozpool.core.VirtualTimekeeper.DEFAULT_START);
      assertThat(s.lastSeenHealthy()).isPresent();
      assertThat(s.meanTimeBetweenFailures()).isEmpty();
      assertThat(s.timeInFamily()).containsKeys(DeviceStatistics.SELF_TEST,
          DeviceStatistics.READY);
      assertThat(s.timeInFamily().keySet()).isSubsetOf(DeviceStatistics.OTHER,
          DeviceStatistics.SELF_TEST, DeviceStatistics.READY);
      assertThat(s.timeInFamily().values().stream().reduce(Duration.ZERO, Duration::plus))
          .as("every moment since registration is in exactly one family")
          .isEqualTo(Duration.between(s.since(), s.asOf()));
    }
  }

  @Test
  void everyPowerCycleAskedForIsCountedOnceAndMatchesThePowerOnsOfTheBoard() {
    try (VirtualLab lab = lab(2).build()) {
      lab.settle(Duration.ofMinutes(30));
      long before = stats(lab, "panda-0002").powerCycles();

      for (int i = 0; i < 5; i++) {
        lab.pool().lifeguard().pleasePowerCycle("panda-0002").toCompletableFuture().join();
        lab.settle(Duration.ofMinutes(30));
        assertThat(lab.pool().inventory().device("panda-0002").state())
            .isEqualTo(DeviceStates.READY);
      }

      DeviceStatistics s = stats(lab, "panda-0002");
      assertThat(s.powerCycles()).isEqualTo(before + 5)
          .isEqualTo(powerCyclesOf(lab, "panda-0002"));
      assertThat(s.timeInFamily()).containsKey(DeviceStatistics.POWER_CYCLING);
      assertThat(s.failures()).isZero();
      assertThat(stats(lab, "panda-0001").powerCycles()).as("the other device").isEqualTo(1);
    }
  }

  @Test
  void timesImagedAreCountedByImageAndMatchTheInstallsOfTheBoard() {
    try (VirtualLab lab = lab(1).build()) {
      lab.settle(Duration.ofMinutes(30));
      String[][] orders = {{"b2g", "1"}, {"android", ""}, {"b2g", "2"}, {"b2g", "3"}};
      for (String[] order : orders) {
        RequestSpec.Builder spec = RequestSpec.any().image(order[0]);
        if (!order[1].isEmpty()) {
          spec.bootConfig("b2gbase", "http://builds.lab/b2g/" + order[1]);
        }
        Lease lease = lab.pool().request(spec.build());
        lease.awaitReady(Duration.ofHours(1));
        lease.returnDevice();
        lab.settle(Duration.ofMinutes(30));
      }

      DeviceStatistics s = stats(lab, "panda-0001");
      assertThat(s.timesImaged()).containsExactlyInAnyOrderEntriesOf(
          Map.of("b2g", 3L, "android", 1L));
      assertThat(s.imagings()).isEqualTo(lab.device("panda-0001").imagesInstalled());
      assertThat(s.powerCycles()).isEqualTo(powerCyclesOf(lab, "panda-0001"));
      assertThat(s.timeInFamily()).containsKey(DeviceStatistics.IMAGING);
      assertThat(s.failures()).isZero();
    }
  }

  @Test
  void aBoardWhoseSdCardWentBadFailsEachSelfTestItIsGivenAndEachIsCounted() {
    try (VirtualLab lab = lab(2).build()) {
      lab.settle(Duration.ofMinutes(30));
      lab.device("panda-0001").develop(Fault.BAD_SD_CARD);

      int selfTests = 3;
      for (int i = 0; i < selfTests; i++) {
        lab.pool().lifeguard().pleaseSelfTest("panda-0001").toCompletableFuture().join();
        lab.settle(Duration.ofHours(2));
        assertThat(lab.pool().inventory().device("panda-0001").state())
            .isEqualTo(DeviceStates.FAILED_SELF_TEST);
      }

      DeviceStatistics s = stats(lab, "panda-0001");
      assertThat(s.selfTestsFailed()).isEqualTo(selfTests);
      assertThat(s.selfTestsPassed()).isEqualTo(1); // the one before the card went bad
      assertThat(s.failuresByState()).containsExactly(
          Map.entry(DeviceStates.FAILED_SELF_TEST, (long) selfTests));
      assertThat(s.family()).isEqualTo(DeviceStatistics.FAILED);
      assertThat(s.meanTimeBetweenFailures()).contains(s.timeInService().dividedBy(selfTests));
      assertThat(stats(lab, "panda-0002").failures()).as("the healthy device").isZero();
    }
  }

  @Test
  void aDeadBoardFailsItsFirstSelfTestInPxeBootingAndIsNeverSeenHealthy() {
    try (VirtualLab lab = lab(2).defect("panda-0002", Fault.DEAD_BOARD).build()) {
      lab.settle(Duration.ofHours(3));

      DeviceStatistics s = stats(lab, "panda-0002");
      assertThat(s.failuresByState()).containsExactly(
          Map.entry(DeviceStates.FAILED_PXE_BOOTING, 1L));
      assertThat(s.selfTestsFailed()).isEqualTo(1);
      assertThat(s.selfTestsPassed()).isZero();
      assertThat(s.lastSeenHealthy()).isEmpty();
      assertThat(s.family()).isEqualTo(DeviceStatistics.FAILED);
      // the relay works: every power cycle of the retries completed, though nothing booted
      assertThat(s.powerCycles()).isEqualTo(powerCyclesOf(lab, "panda-0002")).isGreaterThan(1);
    }
  }

  @Test
  void relayFaultsOfAFlakyRelayAreCountedAsFailuresInTheStateTheyHappenedIn() {
    FaultProfile misses = FaultProfile.none().toBuilder().relayMiss(0.5).build();
    try (VirtualLab lab = lab(1).faults(misses).defect("panda-0001", Fault.FLAKY_RELAY)
        .build()) {
      lab.settle(Duration.ofMinutes(30));
      // until its relay faults make it a problem child, which is quarantined
      for (int i = 0; i < 6 && lab.pool().inventory().device("panda-0001").state()
          .equals(DeviceStates.READY); i++) {
        lab.pool().lifeguard().pleasePowerCycle("panda-0001").toCompletableFuture().join();
        lab.settle(Duration.ofHours(1));
      }

      DeviceStatistics s = stats(lab, "panda-0001");
      int injected = lab.faultLog().counts().getOrDefault(Fault.RELAY_MISSED, 0);
      assertThat(injected).as("the seed injects some").isPositive();
      assertThat(s.failures()).isEqualTo(injected);
      assertThat(s.failuresByState()).containsKey(DeviceStates.PC_POWER_CYCLING);
      assertThat(s.failuresByState().keySet()).isSubsetOf(DeviceStates.PC_POWER_CYCLING,
          DeviceStates.PXE_POWER_CYCLING);
      assertThat(s.powerCycles()).isEqualTo(powerCyclesOf(lab, "panda-0001"));
    }
  }

  @Test
  void aProblemChildIsCountedAsQuarantinedOnceAndItsFailuresMatchItsFailureHistory() {
    InMemoryPoolStore store = new InMemoryPoolStore();
    FaultProfile alwaysFails = FaultProfile.none().toBuilder().problemChildFailure(1.0).build();
    try (VirtualLab lab = lab(3).store(store).faults(alwaysFails)
        .defect("panda-0001", Fault.PROBLEM_CHILD).build()) {
      lab.settle(Duration.ofMinutes(30));
      for (int i = 0; i < 4; i++) {
        Lease lease = lab.pool().request(RequestSpec.any().image("android")
            .leaseDuration(Duration.ofHours(6)).build());
        lease.awaitReady(Duration.ofHours(6));
        lease.returnDevice();
      }
      lab.settle(Duration.ofHours(3));
      assertThat(lab.pool().inventory().device("panda-0001").state())
          .isEqualTo(DeviceStates.FAILED_QUARANTINED);

      DeviceStatistics s = stats(lab, "panda-0001");
      var history = store.inTransaction(tx -> tx.failures("panda-0001", Instant.EPOCH));
      assertThat(s.quarantines()).isEqualTo(1);
      assertThat(s.failures()).isEqualTo(history.stream()
          .filter(f -> !f.state().equals(DeviceStates.FAILED_QUARANTINED)).count());
      assertThat(s.failures()).isGreaterThanOrEqualTo(3);
      assertThat(s.failuresByState()).allSatisfy((state, n) -> assertThat(n).isEqualTo(
          history.stream().map(DeviceFailure::state).filter(state::equals).count()));
      assertThat(s.selfTestsPassed())
          .as("the first, and the automatic one after each failed install, the last of which"
              + " led to quarantine")
          .isEqualTo(1 + history.stream()
              .filter(f -> DeviceStates.FAILED_THEN_SELF_TEST.contains(f.state())).count());
      assertThat(s.family()).isEqualTo(DeviceStatistics.QUARANTINED);
    }
  }

  @Test
  void timeInEachFamilyFollowsTheVirtualClockAndTheLastSevenDaysStartAtMidnightSixDaysAgo() {
    try (VirtualLab lab = lab(1).build()) {
      lab.settle(Duration.ofMinutes(30));
      DeviceStatistics before = stats(lab, "panda-0001");
      Duration readyBefore = before.timeInFamily().get(DeviceStatistics.READY);

      lab.advance(Duration.ofHours(5));
      DeviceStatistics later = stats(lab, "panda-0001");
      assertThat(later.timeInFamily().get(DeviceStatistics.READY))
          .isEqualTo(readyBefore.plus(Duration.between(before.asOf(), later.asOf())));

      lab.advance(Duration.ofDays(10));
      DeviceStatistics s = stats(lab, "panda-0001");
      Instant windowStart = LocalDate.ofInstant(s.asOf(), ZoneOffset.UTC).minusDays(6)
          .atStartOfDay(ZoneOffset.UTC).toInstant();
      assertThat(s.timeInFamilyLast7Days()).containsExactly(
          Map.entry(DeviceStatistics.READY, Duration.between(windowStart, s.asOf())));
      assertThat(s.timeInFamily().get(DeviceStatistics.READY))
          .isGreaterThan(Duration.ofDays(10));
      assertThat(s.lastSeenHealthy()).as("idle health probes answered")
          .hasValueSatisfying(t -> assertThat(t).isAfter(s.asOf().minus(Duration.ofHours(1))));
    }
  }

  @Test
  void timeInAFamilyLeftDaysAgoLeavesTheWindowButStaysInTheTotals() {
    try (VirtualLab lab = lab(1).build()) {
      lab.settle(Duration.ofMinutes(30));
      lab.pool().lifeguard().pleaseStartMaintenance("panda-0001").toCompletableFuture().join();
      lab.settle(Duration.ofMinutes(30));
      lab.advance(Duration.ofHours(30));
      lab.pool().lifeguard().pleaseSelfTest("panda-0001").toCompletableFuture().join();
      lab.settle(Duration.ofHours(1));
      DeviceStatistics fresh = stats(lab, "panda-0001");
      Duration maintenance = fresh.timeInFamily().get(DeviceStatistics.MAINTENANCE);
      assertThat(maintenance).isGreaterThan(Duration.ofHours(30));
      assertThat(fresh.timeInFamilyLast7Days()).containsEntry(DeviceStatistics.MAINTENANCE,
          maintenance);

      lab.advance(Duration.ofDays(9));
      DeviceStatistics s = stats(lab, "panda-0001");
      assertThat(s.timeInFamily()).containsEntry(DeviceStatistics.MAINTENANCE, maintenance);
      assertThat(s.timeInFamilyLast7Days()).doesNotContainKey(DeviceStatistics.MAINTENANCE);
      assertThat(s.selfTestsPassed()).isEqualTo(2);
    }
  }
}
