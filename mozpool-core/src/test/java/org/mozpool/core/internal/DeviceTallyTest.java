package org.mozpool.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mozpool.DeviceStates;
import org.mozpool.DeviceStatistics;
import org.mozpool.Image;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.spi.DeviceStatisticsRecord;

/** The arithmetic of device statistics: intervals, UTC days, the seven-day window, counts. */
class DeviceTallyTest {
  private static final Instant MONDAY_NOON = Instant.parse("2026-11-30T12:00:00Z");

  private static DeviceTally fresh(Instant at, String family) {
    return new InMemoryPoolStore().inTransaction(tx -> DeviceTally.read(tx, "panda-1", at,
        family));
  }

  @Test
  void anIntervalOverMidnightIsSplitBetweenTheTwoDays() {
    DeviceTally t = fresh(MONDAY_NOON, DeviceStatistics.READY);
    t.enterFamily(DeviceStatistics.IMAGING, Instant.parse("2026-12-01T02:00:00Z"));

    DeviceStatisticsRecord r = t.record();
    assertThat(r.familyTime()).containsExactly(Map.entry("ready", Duration.ofHours(14)));
    assertThat(r.dailyFamilyTime()).containsOnly(
        Map.entry(LocalDate.parse("2026-11-30"), Map.of("ready", Duration.ofHours(12))),
        Map.entry(LocalDate.parse("2026-12-01"), Map.of("ready", Duration.ofHours(2))));
    assertThat(r.family()).isEqualTo("imaging");
    assertThat(r.familySince()).isEqualTo(Instant.parse("2026-12-01T02:00:00Z"));
  }

  @Test
  void theViewAddsTheOpenStayUpToNowAndTheWindowStartsAtMidnightSixDaysAgo() {
    DeviceTally t = fresh(MONDAY_NOON, DeviceStatistics.FAILED);
    Instant left = MONDAY_NOON.plus(Duration.ofHours(3));
    t.enterFamily(DeviceStatistics.READY, left);
    Instant now = MONDAY_NOON.plus(Duration.ofDays(7)); // next Monday noon

    DeviceStatistics s = DeviceTally.view(t.record(), now);

    assertThat(s.timeInFamily()).containsOnly(Map.entry("failed", Duration.ofHours(3)),
        Map.entry("ready", Duration.between(left, now)));
    // window: from Tuesday 00:00 to Monday noon; the failed stay was on the Monday before
    assertThat(s.timeInFamilyLast7Days()).containsOnly(
        Map.entry("ready", Duration.ofDays(6).plusHours(12)));
    assertThat(s.family()).isEqualTo("ready");
    assertThat(s.asOf()).isEqualTo(now);
  }

  @Test
  void daysOlderThanTheWindowAreDroppedFromTheRecordButNotFromTheTotals() {
    DeviceTally t = fresh(MONDAY_NOON, DeviceStatistics.READY);
    t.enterFamily(DeviceStatistics.IMAGING, MONDAY_NOON.plus(Duration.ofHours(1)));
    t.enterFamily(DeviceStatistics.READY, MONDAY_NOON.plus(Duration.ofHours(2)));
    Instant later = MONDAY_NOON.plus(Duration.ofDays(30));
    t.enterFamily(DeviceStatistics.SELF_TEST, later);

    DeviceStatisticsRecord r = t.record();
    assertThat(r.dailyFamilyTime()).hasSizeLessThanOrEqualTo(DeviceTally.DAYS_KEPT)
        .allSatisfy((day, times) -> assertThat(day)
            .isAfter(LocalDate.parse("2026-12-30").minusDays(DeviceTally.DAYS_KEPT)));
    assertThat(r.familyTime()).containsEntry("imaging", Duration.ofHours(1))
        .containsEntry("ready", Duration.ofDays(30).minusHours(1));
  }

  @Test
  void aClockThatWentBackAddsNoTimeAndNoNegativeTime() {
    DeviceTally t = fresh(MONDAY_NOON, DeviceStatistics.READY);
    t.enterFamily(DeviceStatistics.IMAGING, MONDAY_NOON.minusSeconds(5));

    assertThat(t.record().familyTime()).isEmpty();
    assertThat(DeviceTally.view(t.record(), MONDAY_NOON.minusSeconds(60)).timeInFamily())
        .isEmpty();
  }

  @Test
  void enteringTheSameFamilyAgainChangesNothing() {
    DeviceStatisticsRecord stored = DeviceStatisticsRecord.starting("panda-1", MONDAY_NOON,
        "ready");
    InMemoryPoolStore store = new InMemoryPoolStore();
    store.inTransaction(tx -> {
      tx.putDeviceStatistics(stored);
      return null;
    });
    DeviceTally t = store.inTransaction(tx -> DeviceTally.read(tx, "panda-1",
        MONDAY_NOON.plusSeconds(60), "imaging"));

    t.enterFamily("ready", MONDAY_NOON.plusSeconds(60));

    assertThat(t.changed()).isFalse();
    assertThat(t.record()).isEqualTo(stored);
  }

  @Test
  void countsAndTheLatestHealthyMomentAreKept() {
    DeviceTally t = fresh(MONDAY_NOON, DeviceStatistics.READY);
    t.powerCycled();
    t.powerCycled();
    t.imaged("b2g");
    t.imaged("android");
    t.imaged("b2g");
    t.failed(DeviceStates.FAILED_PXE_BOOTING);
    t.failed(DeviceStates.READY);
    t.failed(DeviceStates.FAILED_QUARANTINED);
    t.selfTestPassed();
    t.selfTestFailed();
    t.seenHealthy(MONDAY_NOON.plusSeconds(10));
    t.seenHealthy(MONDAY_NOON.plusSeconds(5)); // an older report does not move it back

    DeviceStatistics s = DeviceTally.view(t.record(), MONDAY_NOON.plus(Duration.ofHours(4)));
    assertThat(s.powerCycles()).isEqualTo(2);
    assertThat(s.timesImaged()).containsOnly(Map.entry("b2g", 2L), Map.entry("android", 1L));
    assertThat(s.imagings()).isEqualTo(3);
    assertThat(s.failuresByState()).containsOnly(Map.entry("failed_pxe_booting", 1L),
        Map.entry("ready", 1L));
    assertThat(s.quarantines()).isEqualTo(1);
    assertThat(s.selfTestsPassed()).isEqualTo(1);
    assertThat(s.selfTestsFailed()).isEqualTo(1);
    assertThat(s.lastSeenHealthy()).contains(MONDAY_NOON.plusSeconds(10));
    assertThat(s.meanTimeBetweenFailures()).contains(Duration.ofHours(2));
  }

  @Test
  void meanTimeBetweenFailuresCountsOnlyTimeInService() {
    DeviceTally t = fresh(MONDAY_NOON, DeviceStatistics.READY);
    t.enterFamily(DeviceStatistics.FAILED, MONDAY_NOON.plus(Duration.ofHours(6)));
    t.failed(DeviceStates.FAILED_SELF_TEST);
    t.enterFamily(DeviceStatistics.MAINTENANCE, MONDAY_NOON.plus(Duration.ofHours(30)));

    DeviceStatistics s = DeviceTally.view(t.record(), MONDAY_NOON.plus(Duration.ofHours(40)));
    assertThat(s.timeInService()).isEqualTo(Duration.ofHours(6));
    assertThat(s.meanTimeBetweenFailures()).contains(Duration.ofHours(6));
  }

  @Test
  void statesMapToTheirFamiliesAndThePxeWorkflowByWhatItBoots() {
    assertThat(DeviceTally.familyOf(DeviceStates.READY, "", false)).isEqualTo("ready");
    assertThat(DeviceTally.familyOf(DeviceStates.OPERATION_COMPLETE, "", true)).isEqualTo("ready");
    assertThat(DeviceTally.familyOf(DeviceStates.PXE_BOOTING, "b2g", false)).isEqualTo("imaging");
    assertThat(DeviceTally.familyOf(DeviceStates.PXE_BOOTING, Image.SELF_TEST, false))
        .isEqualTo("self-test");
    assertThat(DeviceTally.familyOf(DeviceStates.PXE_BOOTING, Image.MAINTENANCE, false))
        .isEqualTo("maintenance");
    assertThat(DeviceTally.familyOf(DeviceStates.PC_PINGING, "", false))
        .isEqualTo("power-cycling");
    assertThat(DeviceTally.familyOf(DeviceStates.PC_PINGING, "", true)).isEqualTo("self-test");
    assertThat(DeviceTally.familyOf(DeviceStates.FAILED_QUARANTINED, "", false))
        .isEqualTo("quarantined");
    assertThat(DeviceTally.familyOf(DeviceStates.FAILED_VERIFYING, "b2g", false))
        .isEqualTo("failed");
    assertThat(DeviceTally.familyOf(DeviceStates.TROUBLESHOOTING, "", false))
        .isEqualTo("maintenance");
    assertThat(DeviceTally.familyOf(DeviceStates.RETIRED, "", false)).isEqualTo("retired");
    assertThat(DeviceTally.familyOf(DeviceStates.NEW, "", false)).isEqualTo("other");
    assertThat(DeviceTally.familyOf("no_such_state", "", false)).isEqualTo("imaging");
  }
}
