package org.mozpool.lifeguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mozpool.DeviceStates.FAILED_SELF_TEST;
import static org.mozpool.DeviceStates.MAINTENANCE_MODE;
import static org.mozpool.DeviceStates.NEW;
import static org.mozpool.DeviceStates.READY;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mozpool.ImagingResult;
import org.mozpool.spi.DeviceFailure;

/**
 * An overheating board runs hot before it hangs: the live image reports the board's temperature
 * with its events, and a reading at or over the device's limit takes it out of service at once
 * ({@code failed_self_test}, the state the live image's own self-test ends in for a hot board),
 * with the reading in its log and the failure in its history. A reading under the limit changes
 * nothing.
 */
class TemperatureLimitTest {
  private Lab lab = new Lab();

  @AfterEach
  void close() {
    lab.close();
  }

  private void image(String device) {
    lab.await(lab.lifeguard.pleaseImage(device, "b2g", Map.of("b2gbase", "u"),
        lab.sender(device)));
  }

  @Test
  void theDefaultLimitIsTheLiveImagesOwn85Degrees() {
    assertThat(LifeguardPolicy.defaults().temperatureLimit()).hasValue(85.0);
  }

  @Test
  void theLimitIsPartOfThePolicysValueAndMustBeAFiniteNumber() {
    LifeguardPolicy d = LifeguardPolicy.defaults();

    assertThat(d.withTemperatureLimit(95)).isNotEqualTo(d)
        .isEqualTo(d.withTemperatureLimit(95.0));
    assertThat(d.withTemperatureLimit(95).temperatureLimit()).hasValue(95.0);
    assertThat(d.withoutTemperatureLimit().temperatureLimit()).isEmpty();
    assertThat(d.withoutTemperatureLimit().toString()).contains("temperatureLimit=none");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> d.withTemperatureLimit(Double.NaN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("temperature limit must be a finite number of degrees Celsius, got NaN");
  }

  @Test
  void hotBoardReportingWhileInstallingIsOutOfServiceWithTheReadingInItsLogAndHistory() {
    lab.panda("panda-1", READY);
    lab.claim("panda-1");
    lab.hw.board("panda-1").temperature = "97.0";

    image("panda-1");
    assertThat(lab.runUntilState("panda-1", FAILED_SELF_TEST, Duration.ofMinutes(10))).isTrue();
    lab.advance(Duration.ofDays(1));

    assertThat(lab.state("panda-1")).isEqualTo(FAILED_SELF_TEST);
    assertThat(lab.transitions).contains("panda-1 pxe_booting->failed_self_test");
    assertThat(lab.log("panda-1")).anySatisfy(l -> assertThat(l.message())
        .isEqualTo("ignored event image_downloading in state failed_self_test"));
    assertThat(lab.log("panda-1")).anySatisfy(l -> assertThat(l.message()).isEqualTo(
        "temperature 97.0 C reported with mobile_init_started is at or over the limit of 85.0 C"
            + " (overheating); out of service"));
    assertThat(lab.failures("panda-1")).extracting(DeviceFailure::state)
        .containsExactly(FAILED_SELF_TEST);
    assertThat(lab.claimResult("panda-1")).isEqualTo(ImagingResult.FAILED_BAD_DEVICE);
    assertThat(lab.attention).singleElement().satisfies(a -> assertThat(a.recentLog())
        .anySatisfy(l -> assertThat(l.message()).contains("(overheating)")));
  }

  @Test
  void aReadingExactlyAtTheLimitIsOverheating() {
    lab.panda("panda-1", READY);
    lab.hw.board("panda-1").temperature = "85";

    image("panda-1");

    assertThat(lab.runUntilState("panda-1", FAILED_SELF_TEST, Duration.ofMinutes(10))).isTrue();
  }

  @Test
  void selfTestThatPassesWithAReadingOverThePolicysLimitFails() {
    // The live image's MOZPOOL_MAX_TEMP_C may be set higher than the Lifeguard's limit: the
    // Lifeguard's limit decides. Only the self-test's own verdict carries the reading here.
    lab.close();
    lab = new Lab(LifeguardPolicy.defaults().withTemperatureLimit(70));
    lab.panda("panda-1", NEW);
    lab.hw.board("panda-1").temperature = null;

    assertThat(lab.runUntilState("panda-1", READY, Duration.ofMinutes(10))).isTrue();
    lab.hw.board("panda-1").temperature = "75.5";
    lab.await(lab.lifeguard.pleaseSelfTest("panda-1"));

    assertThat(lab.runUntilState("panda-1", FAILED_SELF_TEST, Duration.ofMinutes(10))).isTrue();
    assertThat(lab.log("panda-1")).anySatisfy(l -> assertThat(l.message()).isEqualTo(
        "temperature 75.5 C reported with mobile_init_started is at or over the limit of 70.0 C"
            + " (overheating); out of service"));
  }

  @Test
  void readingUnderTheLimitChangesNothing() {
    lab.panda("panda-1", READY);
    lab.claim("panda-1");
    lab.hw.board("panda-1").temperature = "84.9";

    image("panda-1");

    assertThat(lab.runUntilState("panda-1", READY, Duration.ofMinutes(10))).isTrue();
    assertThat(lab.claimResult("panda-1")).isEqualTo(ImagingResult.COMPLETE);
    assertThat(lab.failures("panda-1")).isEmpty();
    assertThat(lab.attention).isEmpty();
    assertThat(lab.log("panda-1")).noneSatisfy(l -> assertThat(l.message())
        .contains("overheating"));
  }

  @Test
  void boardWithoutASensorReportsUnknownAndIsNotJudged() {
    lab.panda("panda-1", NEW);
    lab.hw.board("panda-1").temperature = "unknown";

    assertThat(lab.runUntilState("panda-1", READY, Duration.ofMinutes(10))).isTrue();
    assertThat(lab.failures("panda-1")).isEmpty();
  }

  @Test
  void withoutALimitReadingsAreNotActedOn() {
    lab.close();
    lab = new Lab(LifeguardPolicy.defaults().withoutTemperatureLimit());
    lab.panda("panda-1", READY);
    lab.hw.board("panda-1").temperature = "120.0";

    image("panda-1");

    assertThat(lab.runUntilState("panda-1", READY, Duration.ofMinutes(10))).isTrue();
    assertThat(lab.failures("panda-1")).isEmpty();
  }

  @Test
  void eachHardwareTypeIsJudgedAgainstItsOwnLimit() {
    lab.close();
    lab = new Lab(LifeguardPolicies.of(LifeguardPolicy.defaults())
        .withHardwareType("tegra", LifeguardPolicy.defaults().withTemperatureLimit(70)));
    lab.panda("panda-1", READY);
    lab.device("tegra-1", "tegra", READY, "relay://bank/2/relay/1");
    lab.hw.board("panda-1").temperature = "75.0";
    lab.hw.board("tegra-1").temperature = "75.0";

    lab.await(lab.lifeguard.pleaseImage("panda-1", "android", Map.of()));
    lab.await(lab.lifeguard.pleaseImage("tegra-1", "android", Map.of()));
    lab.advance(Duration.ofMinutes(15));

    assertThat(lab.state("panda-1")).isEqualTo(READY);
    assertThat(lab.state("tegra-1")).isEqualTo(FAILED_SELF_TEST);
  }

  @Test
  void maintenanceAHumanAskedForGoesAheadWithTheReadingInTheLog() {
    lab.panda("panda-1", READY);
    lab.hw.board("panda-1").temperature = "97.0";

    lab.await(lab.lifeguard.pleaseStartMaintenance("panda-1"));

    assertThat(lab.runUntilState("panda-1", MAINTENANCE_MODE, Duration.ofMinutes(10))).isTrue();
    assertThat(lab.log("panda-1")).anySatisfy(l -> assertThat(l.message()).isEqualTo(
        "temperature 97.0 C reported with mobile_init_started is at or over the limit of 85.0 C"
            + " (overheating); maintenance goes ahead"));
    assertThat(lab.failures("panda-1")).isEmpty();
  }
}
