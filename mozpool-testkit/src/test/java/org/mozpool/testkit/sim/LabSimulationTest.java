package org.mozpool.testkit.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.mozpool.DeviceStates;
import org.mozpool.DeviceStatistics;
import org.mozpool.testkit.report.HtmlReport;
import org.mozpool.testkit.report.LabReport;

/** The lab simulation: reproducible, fast, and a fair comparison with a naive pool. */
class LabSimulationTest {

  @Test
  void sameSeedGivesTheSameReport() {
    LabSimulation sim = LabSimulation.builder().devices(48).duration(Duration.ofHours(12))
        .seed(42).build();

    LabReport first = sim.run();
    LabReport second = sim.run();

    assertThat(second).isEqualTo(first);
    assertThat(second.text()).isEqualTo(first.text());
    assertThat(first.requests()).isGreaterThan(100);
  }

  @Test
  void perDeviceStatisticsAgreeWithTheStateChangesTheRecorderHeard() {
    LabReport r = LabSimulation.builder().devices(48).duration(Duration.ofDays(1)).seed(7)
        .faults("realistic").build().run();

    assertThat(r.deviceStatistics()).hasSize(48);
    // every failed state entered is a failure in the statistics, and quarantines are counted apart
    long failedStatesEntered = r.failedStateEntries().entrySet().stream()
        .filter(e -> !e.getKey().equals(DeviceStates.FAILED_QUARANTINED))
        .mapToLong(java.util.Map.Entry::getValue).sum();
    long failuresInFailedStates = r.deviceStatistics().stream()
        .flatMap(d -> d.failuresByState().entrySet().stream())
        .filter(e -> DeviceStates.isFailed(e.getKey())).mapToLong(java.util.Map.Entry::getValue)
        .sum();
    assertThat(failuresInFailedStates).isEqualTo(failedStatesEntered).isPositive();
    assertThat(r.total(DeviceStatistics::quarantines)).isEqualTo(
        (long) r.failedStateEntries().getOrDefault(DeviceStates.FAILED_QUARANTINED, 0));
    // a reusable image already on a device is handed out after a mere power cycle
    assertThat(r.total(DeviceStatistics::imagings)).isPositive().isLessThanOrEqualTo(r.served())
        .isLessThan(r.total(DeviceStatistics::powerCycles));
    assertThat(r.familyShares().values().stream().mapToDouble(Double::doubleValue).sum())
        .isCloseTo(100.0, org.assertj.core.data.Offset.offset(0.01));
    assertThat(r.worstDevices()).isNotEmpty().hasSizeLessThanOrEqualTo(LabReport.WORST_DEVICES)
        .isSortedAccordingTo(java.util.Comparator.comparingLong(DeviceStatistics::failures)
            .reversed());
    assertThat(r.text()).contains("per-device statistics", "Devices that failed most",
        r.worstDevices().get(0).device());
  }

  @Test
  void differentSeedsGiveDifferentRuns() {
    LabReport a = LabSimulation.builder().devices(48).duration(Duration.ofHours(6)).seed(1)
        .build().run();
    LabReport b = LabSimulation.builder().devices(48).duration(Duration.ofHours(6)).seed(2)
        .build().run();

    assertThat(a.text()).isNotEqualTo(b.text());
  }

  @Test
  void aDayOfTwoHundredDevicesRunsInSeconds() {
    long started = System.nanoTime();

    LabReport report = LabSimulation.builder().devices(200).duration(Duration.ofDays(1)).seed(3)
        .build().run();

    Duration wall = Duration.ofNanos(System.nanoTime() - started);
    assertThat(wall).isLessThan(Duration.ofSeconds(60));
    assertThat(report.served()).isGreaterThan(3000);
    assertThat(report.servedPercent()).isGreaterThan(95);
    assertThat(report.occupancy()).hasSizeGreaterThanOrEqualTo(48);
  }

  @Test
  void mozpoolServesMoreThanTheNaivePoolOnTheSameSeedAndWorkload() {
    LabSimulation sim = LabSimulation.builder().devices(96).duration(Duration.ofDays(1)).seed(5)
        .build();

    LabReport mozpool = sim.run();
    LabReport naive = sim.runNaive();

    assertThat(naive.requests()).isEqualTo(mozpool.requests());
    assertThat(mozpool.servedPercent()).isGreaterThan(naive.servedPercent());
    assertThat(naive.failures()).containsKey(CiWorkload.GAVE_UP);
    String html = HtmlReport.render("lab", java.util.List.of(mozpool, naive));
    assertThat(html).startsWith("<!DOCTYPE html>").contains("<svg", "naive pool")
        .doesNotContain("<script", "http://www.w3.org/1999/xhtml");
  }
}
