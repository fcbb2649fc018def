package org.mozpool.testkit.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.mozpool.testkit.report.LabReport;

class LabSimulationTest {

  @Test
  void aDayOfTwoHundredDevicesRunsInSeconds() {
    long t0 = System.nanoTime();
    LabReport report = LabSimulation.builder().devices(200).duration(Duration.ofDays(1)).seed(3)
        .build().run();
    long ms = (System.nanoTime() - t0) / 1_000_000;
    System.out.println(report.text() + "\nwall " + ms + " ms");
    assertThat(report.served()).isGreaterThan(1000);
  }
}
