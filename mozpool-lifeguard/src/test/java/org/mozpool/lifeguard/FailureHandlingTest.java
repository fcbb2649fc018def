package org.mozpool.lifeguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mozpool.DeviceStates.FAILED_QUARANTINED;
import static org.mozpool.DeviceStates.READY;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mozpool.ImagingResult;
import org.mozpool.lifeguard.FakeHardware.Outcome;

/** Failure history, problem-child quarantine (§5.6), bad images, and calls for a human (§5.5). */
class FailureHandlingTest {
  private final Lab lab = new Lab();

  @AfterEach
  void close() {
    lab.close();
  }

  /** Images panda-1 with a storage check that fails: one more failure, then a self-test. */
  private void failOnceMore() {
    lab.hw.board("panda-1").storage = Outcome.FAIL;
    lab.await(lab.lifeguard.pleaseImage("panda-1", "b2g", Map.of("b2gbase", "u"), lab.sender("panda-1")));
    lab.runUntilState("panda-1", "failed_storage_verifying", Duration.ofHours(1));
    lab.hw.board("panda-1").storage = Outcome.OK;
  }

  private String settle() {
    lab.tk.runUntil(lab.tk.now().plus(Duration.ofHours(1)), () ->
        lab.state("panda-1").equals(READY) || lab.state("panda-1").equals(FAILED_QUARANTINED));
    return lab.state("panda-1");
  }

  @Test
  void deviceWithThreeFailuresInSevenDaysIsQuarantinedAfterItsSelfTestEvenIfItPasses() {
    lab.panda("panda-1", READY);
    lab.recordFailure("panda-1", "failed_verifying", Duration.ofDays(6));
    lab.recordFailure("panda-1", "failed_pxe_booting", Duration.ofDays(1));

    failOnceMore();

    assertThat(settle()).isEqualTo(FAILED_QUARANTINED);
    assertThat(lab.transitions).contains("panda-1 self_test_running->failed_quarantined");
    // The verdict is recorded too (§5.5), after the failures it judged.
    assertThat(lab.failures("panda-1")).extracting(f -> f.state()).containsExactly(
        "failed_verifying", "failed_pxe_booting", "failed_storage_verifying", FAILED_QUARANTINED);
    assertThat(lab.attention).singleElement().satisfies(a -> {
      assertThat(a.device().state()).isEqualTo(FAILED_QUARANTINED);
      assertThat(a.recentLog()).anySatisfy(l -> assertThat(l.message()).contains("problem child"));
    });
    lab.advance(Duration.ofDays(1));
    assertThat(lab.state("panda-1")).isEqualTo(FAILED_QUARANTINED);
  }

  @Test
  void deviceWithTwoFailuresInSevenDaysReturnsToReady() {
    lab.panda("panda-1", READY);
    lab.recordFailure("panda-1", "failed_verifying", Duration.ofDays(2));

    failOnceMore();

    assertThat(settle()).isEqualTo(READY);
    assertThat(lab.attention).isEmpty();
  }

  @Test
  void failuresOlderThanTheWindowDoNotCount() {
    lab.panda("panda-1", READY);
    lab.recordFailure("panda-1", "failed_verifying", Duration.ofDays(8));
    lab.recordFailure("panda-1", "failed_verifying", Duration.ofDays(9));

    failOnceMore();

    assertThat(settle()).isEqualTo(READY);
  }

  @Test
  void quarantineThresholdAndWindowAreConfigurable() {
    lab.lifeguard.close();
    lab.start(LifeguardPolicy.defaults().withQuarantine(1, Duration.ofHours(1)));
    lab.panda("panda-1", READY);

    failOnceMore();

    assertThat(settle()).isEqualTo(FAILED_QUARANTINED);
  }

  @Test
  void selfTestAHumanAsksForIsNotJudgedByHistory() {
    lab.panda("panda-1", FAILED_QUARANTINED);
    for (int i = 1; i <= 3; i++) {
      lab.recordFailure("panda-1", "failed_verifying", Duration.ofHours(i));
    }

    lab.await(lab.lifeguard.pleaseSelfTest("panda-1"));

    assertThat(settle()).isEqualTo(READY);
  }

  @Test
  void imageFailedBlamesTheImageNotTheDevice() {
    lab.panda("panda-1", READY);
    String request = lab.claim("panda-1");
    lab.hw.board("panda-1").imageFailure = "checksum mismatch";

    lab.await(lab.lifeguard.pleaseImage("panda-1", "b2g", Map.of("b2gbase", "u"), lab.sender("panda-1")));
    assertThat(lab.runUntilState("panda-1", "image_downloading", Duration.ofMinutes(5))).isTrue();
    assertThat(lab.runUntilState("panda-1", READY, Duration.ofMinutes(5))).isTrue();

    assertThat(lab.claimResult("panda-1")).isEqualTo(ImagingResult.FAILED_BAD_IMAGE);
    assertThat(lab.results).containsExactly(request + " panda-1 failed-bad-image");
    assertThat(lab.record("panda-1").image()).isEmpty();
    assertThat(lab.record("panda-1").nextImage()).isEmpty();
    assertThat(lab.failures("panda-1")).isEmpty();
    assertThat(lab.attention).isEmpty();
    assertThat(lab.log("panda-1")).anySatisfy(l -> {
      assertThat(l.source()).isEqualTo("device");
      assertThat(l.message()).isEqualTo("image failed: checksum mismatch");
    });
  }

  @Test
  void failedStatesThatSelfTestReportBadDeviceAndDoNotCallForAHuman() {
    lab.panda("panda-1", READY);
    String request = lab.claim("panda-1");

    failOnceMore();
    assertThat(lab.claimResult("panda-1")).isEqualTo(ImagingResult.FAILED_BAD_DEVICE);
    lab.release(request);

    assertThat(settle()).isEqualTo(READY);
    assertThat(lab.results).containsExactly(request + " panda-1 failed-bad-device");
    assertThat(lab.attention).isEmpty();
  }

  @Test
  void attentionListenerGetsTheConfiguredNumberOfRecentLogLines() {
    lab.lifeguard.close();
    lab.start(LifeguardPolicy.defaults().withRecentLogLines(3));
    lab.device("panda-1", "panda", READY, "");

    lab.await(lab.lifeguard.pleasePowerCycle("panda-1"));
    lab.advanceSeconds(1);

    assertThat(lab.attention).singleElement().satisfies(a -> {
      assertThat(a.recentLog()).hasSize(3);
      assertThat(a.recentLog().get(1).message()).isEqualTo("device has no power address; cannot power-cycle");
      assertThat(a.recentLog().get(2).message()).isEqualTo("device needs a human (failed_power_cycling)");
    });
  }
}
