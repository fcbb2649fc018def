package org.mozpool.lifeguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mozpool.DeviceStates.READY;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mozpool.ImagingResult;
import org.mozpool.lifeguard.FakeHardware.Board;
import org.mozpool.lifeguard.FakeHardware.Outcome;

/** Retry limits of DESIGN §5.3–5.4 hold exactly: N failures retry, the (N+1)-th is permanent. */
class RetryLimitTest {
  private final Lab lab = new Lab();

  @AfterEach
  void close() {
    lab.close();
  }

  private Board imaging(String device) {
    lab.panda(device, READY);
    return lab.hw.board(device);
  }

  private void startImaging(String device) {
    lab.await(lab.lifeguard.pleaseImage(device, "b2g", Map.of("b2gbase", "u"), lab.sender(device)));
  }

  private long transitions(String device, String transition) {
    return lab.transitions.stream().filter(t -> t.equals(device + " " + transition)).count();
  }

  @Test
  void deviceThatTimesOutInPxeBootingThirtyTimesStillRetries() {
    imaging("panda-1").callsHome = false;
    startImaging("panda-1");

    lab.advanceSeconds(30 * 180 + 1);

    assertThat(lab.state("panda-1")).isEqualTo("pxe_booting");
    assertThat(lab.hw.count("power-cycle")).isEqualTo(31);
  }

  @Test
  void deviceThatTimesOutInPxeBootingThirtyOneTimesIsFailed() {
    imaging("panda-1").callsHome = false;
    String request = lab.claim("panda-1");
    startImaging("panda-1");

    lab.advanceSeconds(31 * 180);

    assertThat(lab.state("panda-1")).isEqualTo("failed_pxe_booting");
    assertThat(lab.hw.count("power-cycle")).isEqualTo(31);
    assertThat(lab.failures("panda-1")).singleElement()
        .satisfies(f -> assertThat(f.state()).isEqualTo("failed_pxe_booting"));
    assertThat(lab.results).containsExactly(request + " panda-1 failed-bad-device");
    assertThat(lab.attention).singleElement().satisfies(a -> {
      assertThat(a.device().name()).isEqualTo("panda-1");
      assertThat(a.device().state()).isEqualTo("failed_pxe_booting");
      assertThat(a.device().claimedBy()).contains(request);
      assertThat(a.recentLog()).hasSize(50);
      assertThat(a.recentLog().get(49).message()).isEqualTo("device needs a human (failed_pxe_booting)");
    });
    lab.advance(Duration.ofDays(1));
    assertThat(lab.state("panda-1")).isEqualTo("failed_pxe_booting");
  }

  @Test
  void pcPingingPowerCyclesAgainAfterTwelveMissesAndFailsAfterThreeFullRounds() {
    lab.panda("panda-1", READY);
    lab.hw.board("panda-1").ping = Outcome.FAIL;
    Instant start = lab.tk.now();

    lab.await(lab.lifeguard.pleasePowerCycle("panda-1"));
    lab.advanceSeconds(2 * (120 + 13 * 10) + 120 + 12 * 10 + 1);
    assertThat(lab.state("panda-1")).isEqualTo("pc_pinging");

    assertThat(lab.runUntilState("panda-1", "failed_pc_pinging", Duration.ofHours(1))).isTrue();
    assertThat(Duration.between(start, lab.tk.now())).isEqualTo(Duration.ofSeconds(3 * (120 + 13 * 10)));
    assertThat(lab.hw.count("power-cycle")).isEqualTo(3);
    assertThat(lab.hw.count("ping")).isEqualTo(3 * 13);
  }

  @Test
  void pcPowerCyclingFailsAfterTwoHundredRetries() {
    imaging("panda-1").power = Outcome.FAIL;

    lab.await(lab.lifeguard.pleasePowerCycle("panda-1"));
    lab.advanceSeconds(200 * 60 + 1);
    assertThat(lab.state("panda-1")).isEqualTo("pc_power_cycling");
    lab.advanceSeconds(60);

    assertThat(lab.state("panda-1")).isEqualTo("failed_power_cycling");
    assertThat(lab.hw.count("power-cycle")).isEqualTo(201);
  }

  @Test
  void deviceWithoutPowerAddressFailsPowerCyclingAtOnce() {
    lab.device("panda-1", "panda", READY, "");

    lab.await(lab.lifeguard.pleasePowerCycle("panda-1"));

    assertThat(lab.state("panda-1")).isEqualTo("failed_power_cycling");
    assertThat(lab.hw.journal).isEmpty();
  }

  @Test
  void pxeConfigThatCannotBeWrittenNeverCyclesPowerAndFailsAfterTwoHundredRetries() {
    imaging("panda-1").setPxe = Outcome.FAIL;
    startImaging("panda-1");

    lab.advanceSeconds(201 * 60);

    assertThat(lab.state("panda-1")).isEqualTo("failed_power_cycling");
    assertThat(lab.hw.count("set-pxe")).isEqualTo(201);
    assertThat(lab.hw.count("power-cycle")).isZero();
  }

  @Test
  void liveInitThatNeverFetchesItsScriptFailsOnTheEleventhTimeout() {
    imaging("panda-1").silentAfter = "mobile_init_started";
    startImaging("panda-1");

    assertThat(lab.runUntilState("panda-1", "failed_live_init", Duration.ofHours(2))).isTrue();

    assertThat(transitions("panda-1", "live_init_started->pxe_power_cycling")).isEqualTo(10);
    assertThat(lab.hw.count("power-cycle")).isEqualTo(11);
  }

  @Test
  void downloadThatHangsFailsOnTheFourthTimeoutThenSelfTests() {
    imaging("panda-1").silentAfter = "image_downloading";
    String request = lab.claim("panda-1");
    startImaging("panda-1");

    assertThat(lab.runUntilState("panda-1", "failed_image_downloading", Duration.ofHours(2))).isTrue();
    assertThat(transitions("panda-1", "image_downloading->pxe_power_cycling")).isEqualTo(3);
    assertThat(lab.claimResult("panda-1")).isEqualTo(ImagingResult.FAILED_BAD_DEVICE);
    assertThat(lab.results).containsExactly(request + " panda-1 failed-bad-device");

    lab.release(request);
    lab.hw.board("panda-1").silentAfter = null;
    assertThat(lab.runUntilState("panda-1", READY, Duration.ofHours(1))).isTrue();
    assertThat(transitions("panda-1", "failed_image_downloading->start_self_test")).isEqualTo(1);
    assertThat(lab.attention).isEmpty();
  }

  @Test
  void extractionThatHangsFailsOnTheEleventhTimeout() {
    imaging("panda-1").silentAfter = "image_extracting";
    startImaging("panda-1");

    assertThat(lab.runUntilState("panda-1", "failed_image_extracting", Duration.ofHours(3))).isTrue();

    assertThat(transitions("panda-1", "image_extracting->pxe_power_cycling")).isEqualTo(10);
  }

  @Test
  void verifyPowerCyclesOnEveryTenthTimeoutAndFailsOnTheThirtyFirst() {
    imaging("panda-1").verify = Outcome.FAIL;
    startImaging("panda-1");

    assertThat(lab.runUntilState("panda-1", "failed_verifying", Duration.ofHours(2))).isTrue();

    assertThat(transitions("panda-1", "verifying->verify_power_cycle")).isEqualTo(3);
    assertThat(transitions("panda-1", "verify_power_cycle->verifying")).isEqualTo(3);
    assertThat(lab.hw.count("verify")).isEqualTo(31);
    assertThat(lab.hw.count("power-cycle")).isEqualTo(1 + 3);
    assertThat(lab.log("panda-1")).anySatisfy(l ->
        assertThat(l.message()).isEqualTo("agent verify timed out 10 times; power-cycling"));
    lab.advanceSeconds(1);
    assertThat(lab.transitions).contains("panda-1 failed_verifying->start_self_test");
  }

  @Test
  void verifyPowerCycleRetriesThreeTimesThenFailsPowerCycling() {
    Board board = imaging("panda-1");
    board.verify = Outcome.FAIL;
    startImaging("panda-1");
    assertThat(lab.runUntilState("panda-1", "verify_power_cycle", Duration.ofHours(1))).isTrue();
    board.power = Outcome.FAIL;
    long cycles = lab.hw.count("power-cycle");

    lab.advanceSeconds(3 * 60 + 1);
    assertThat(lab.state("panda-1")).isEqualTo("verify_power_cycle");
    lab.advanceSeconds(60);

    assertThat(lab.state("panda-1")).isEqualTo("failed_power_cycling");
    assertThat(lab.hw.count("power-cycle") - cycles).isEqualTo(1 + 3); // first try, 3 retries
  }

  @Test
  void storageVerifyRetriesTwiceThenFailsAndSelfTests() {
    imaging("panda-1").storage = Outcome.FAIL;
    String request = lab.claim("panda-1");
    startImaging("panda-1");

    assertThat(lab.runUntilState("panda-1", "failed_storage_verifying", Duration.ofHours(1))).isTrue();
    assertThat(lab.hw.count("storage")).isEqualTo(3);
    assertThat(lab.results).containsExactly(request + " panda-1 failed-bad-device");

    assertThat(lab.runUntilState("panda-1", READY, Duration.ofHours(1))).isTrue();
    assertThat(lab.failures("panda-1")).extracting(f -> f.state())
        .containsExactly("failed_storage_verifying");
    assertThat(lab.results).hasSize(1);
  }

  @Test
  void storageVerifyThatTimesOutRetriesToo() {
    imaging("panda-1").storage = Outcome.HANG;
    startImaging("panda-1");

    assertThat(lab.runUntilState("panda-1", "storage_verifying", Duration.ofHours(1))).isTrue();
    lab.advanceSeconds(3 * 200 - 1);
    assertThat(lab.state("panda-1")).isEqualTo("storage_verifying");
    lab.advanceSeconds(1);
    assertThat(lab.state("panda-1")).isNotEqualTo("storage_verifying");
    assertThat(lab.transitions).contains("panda-1 storage_verifying->failed_storage_verifying");
  }

  @Test
  void stalePowerCycleOkFromAnEarlierAttemptIsIgnored() {
    lab.panda("panda-1", READY);
    lab.hw.board("panda-1").power = Outcome.MANUAL;
    lab.await(lab.lifeguard.pleasePowerCycle("panda-1"));
    lab.advanceSeconds(10);
    lab.await(lab.lifeguard.changeState("panda-1", "pc_power_cycling", "pc_power_cycling"));
    lab.advanceSeconds(1);
    assertThat(lab.hw.pending).hasSize(2);

    lab.hw.completePending(0);
    lab.advanceSeconds(1);

    assertThat(lab.state("panda-1")).isEqualTo("pc_power_cycling");
    assertThat(lab.log("panda-1")).anySatisfy(l ->
        assertThat(l.message()).startsWith("ignored power_cycle_ok from attempt"));

    lab.hw.completePending(1);
    lab.advanceSeconds(1);
    assertThat(lab.state("panda-1")).isEqualTo("pc_rebooting");
  }

  @Test
  void countersStartAfreshWithEachWorkflow() {
    Board board = imaging("panda-1");
    board.callsHome = false;
    startImaging("panda-1");
    lab.advanceSeconds(20 * 180 + 1); // 20 of 30 pxe_booting retries used
    board.callsHome = true;
    assertThat(lab.runUntilState("panda-1", READY, Duration.ofHours(1))).isTrue();

    board.callsHome = false;
    startImaging("panda-1");
    lab.advanceSeconds(30 * 180 + 1);

    assertThat(lab.state("panda-1")).isEqualTo("pxe_booting");
  }
}
