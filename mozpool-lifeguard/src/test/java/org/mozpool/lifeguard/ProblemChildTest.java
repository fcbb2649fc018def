package org.mozpool.lifeguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mozpool.DeviceStates.FAILED_QUARANTINED;
import static org.mozpool.DeviceStates.READY;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mozpool.lifeguard.FakeHardware.Outcome;
import org.mozpool.spi.DeviceFailure;

/**
 * The intermittent board that keeps burning requests (DESIGN §5.6): faults Lifeguard retries past
 * (a relay that misses, a failed idle probe) still count in the failure history, and a device with
 * K failures in the window is taken out of service at the next moment no request holds it.
 */
class ProblemChildTest {
  private final Lab lab = new Lab();

  @AfterEach
  void close() {
    lab.close();
  }

  private void powerCycleUntilSettled(String device) {
    lab.await(lab.lifeguard.pleasePowerCycle(device));
    lab.tk.runUntil(lab.tk.now().plus(Duration.ofHours(2)), () ->
        lab.state(device).equals(READY) || lab.state(device).startsWith("failed_"));
  }

  private void carry(String device, String image) {
    lab.store.inTransaction(tx -> {
      tx.updateDeviceImages(device, image, Map.of(), "", Map.of());
      return null;
    });
  }

  private void threeFailures(String device) {
    for (int i = 1; i <= 3; i++) {
      lab.recordFailure(device, "pc_power_cycling", Duration.ofHours(i));
    }
  }

  @Test
  void relayThatReadsBackTheWrongStateIsRecordedAgainstItsDeviceAndThePowerCycleIsRetried() {
    lab.panda("panda-1", READY);
    lab.hw.board("panda-1").relayFaults = 1;

    powerCycleUntilSettled("panda-1");

    assertThat(lab.state("panda-1")).isEqualTo(READY);
    assertThat(lab.hw.count("power-cycle")).isEqualTo(2);
    assertThat(lab.failures("panda-1")).extracting(DeviceFailure::state)
        .containsExactly("pc_power_cycling");
    assertThat(lab.log("panda-1")).anySatisfy(l -> assertThat(l.message())
        .isEqualTo("recorded a relay fault in pc_power_cycling in the failure history"));
    assertThat(lab.attention).isEmpty();
  }

  @Test
  void relayFaultWhileInstallingAnImageIsRecordedInPxePowerCycling() {
    lab.panda("panda-1", READY);
    lab.hw.board("panda-1").relayFaults = 1;

    lab.await(lab.lifeguard.pleaseImage("panda-1", "b2g", Map.of("b2gbase", "u")));
    assertThat(lab.runUntilState("panda-1", READY, Duration.ofHours(1))).isTrue();

    assertThat(lab.failures("panda-1")).extracting(DeviceFailure::state)
        .containsExactly("pxe_power_cycling");
  }

  @Test
  void failingRelayBoardIsNotCountedAgainstTheDevice() {
    lab.panda("panda-1", READY);
    lab.hw.board("panda-1").boardFaults = 5;

    powerCycleUntilSettled("panda-1");

    assertThat(lab.state("panda-1")).isEqualTo(READY);
    assertThat(lab.hw.count("power-cycle")).isEqualTo(6);
    assertThat(lab.failures("panda-1")).isEmpty();
  }

  @Test
  void unansweredIdlePingOfAnUnclaimedDeviceIsRecordedAndTheDeviceSelfTests() {
    lab.panda("panda-1", READY);
    lab.hw.board("panda-1").ping = Outcome.FAIL;

    lab.advanceSeconds(600);
    lab.hw.board("panda-1").ping = Outcome.OK;

    assertThat(lab.failures("panda-1")).extracting(DeviceFailure::state).containsExactly(READY);
    assertThat(lab.runUntilState("panda-1", READY, Duration.ofMinutes(30))).isTrue();
    assertThat(lab.failures("panda-1")).hasSize(1);
  }

  @Test
  void idleAgentThatDoesNotAnswerOnABoardThatAnswersPingsIsSelfTestedButNotCounted() {
    lab.panda("panda-1", READY);
    carry("panda-1", "b2g");
    lab.hw.board("panda-1").verify = Outcome.FAIL;

    lab.advanceSeconds(600);
    lab.hw.board("panda-1").verify = Outcome.OK;

    assertThat(lab.hw.journal).startsWith("verify panda-1", "ping panda-1");
    assertThat(lab.transitions).contains("panda-1 ready->start_self_test");
    assertThat(lab.runUntilState("panda-1", READY, Duration.ofMinutes(30))).isTrue();
    assertThat(lab.failures("panda-1")).isEmpty();
  }

  @Test
  void idleBoardThatAnswersNeitherItsAgentNorPingsIsCounted() {
    lab.panda("panda-1", READY);
    carry("panda-1", "b2g");
    lab.hw.board("panda-1").verify = Outcome.FAIL;
    lab.hw.board("panda-1").ping = Outcome.FAIL;

    lab.advanceSeconds(600);
    lab.hw.board("panda-1").verify = Outcome.OK;
    lab.hw.board("panda-1").ping = Outcome.OK;

    assertThat(lab.runUntilState("panda-1", READY, Duration.ofMinutes(30))).isTrue();
    assertThat(lab.failures("panda-1")).extracting(DeviceFailure::state).containsExactly(READY);
  }

  @Test
  void deviceWhoseRelayMissesThreeTimesIsQuarantinedAfterItsThirdPowerCycle() {
    lab.panda("panda-1", READY);

    for (int i = 1; i <= 2; i++) {
      lab.hw.board("panda-1").relayFaults = 1;
      powerCycleUntilSettled("panda-1");
      assertThat(lab.state("panda-1")).isEqualTo(READY);
    }
    lab.hw.board("panda-1").relayFaults = 1;
    lab.await(lab.lifeguard.pleasePowerCycle("panda-1"));
    assertThat(lab.runUntilState("panda-1", FAILED_QUARANTINED, Duration.ofHours(2))).isTrue();

    assertThat(lab.transitions).contains("panda-1 operation_complete->start_self_test",
        "panda-1 self_test_running->failed_quarantined");
    assertThat(lab.attention).singleElement()
        .satisfies(a -> assertThat(a.device().state()).isEqualTo(FAILED_QUARANTINED));
  }

  @Test
  void idleProblemChildIsSelfTestedAndQuarantinedAtItsProbeTimeInsteadOfBeingProbed() {
    lab.panda("panda-1", READY);
    threeFailures("panda-1");

    lab.advanceSeconds(600);

    assertThat(lab.transitions).contains("panda-1 ready->start_self_test");
    assertThat(lab.hw.count("ping")).isZero();
    assertThat(lab.runUntilState("panda-1", FAILED_QUARANTINED, Duration.ofHours(1))).isTrue();
  }

  @Test
  void deviceThatFailsItsIdleProbeThreeTimesIsQuarantined() {
    lab.panda("panda-1", READY);

    for (int i = 1; i <= 3; i++) {
      lab.hw.board("panda-1").ping = Outcome.FAIL;
      lab.advanceSeconds(600);
      lab.hw.board("panda-1").ping = Outcome.OK;
      lab.tk.runUntil(lab.tk.now().plus(Duration.ofHours(1)), () ->
          lab.state("panda-1").equals(READY) || lab.state("panda-1").equals(FAILED_QUARANTINED));
    }

    assertThat(lab.state("panda-1")).isEqualTo(FAILED_QUARANTINED);
    assertThat(lab.failures("panda-1")).extracting(DeviceFailure::state)
        .containsExactly(READY, READY, READY, FAILED_QUARANTINED);
  }

  @Test
  void problemChildHoldingALeaseKeepsItAndIsTakenOutWhenReleased() {
    lab.panda("panda-1", READY);
    String request = lab.claim("panda-1");
    threeFailures("panda-1");

    lab.advance(Duration.ofHours(2));
    assertThat(lab.state("panda-1")).isEqualTo(READY);
    assertThat(lab.hw.journal).isEmpty();

    lab.release(request);
    lab.await(lab.lifeguard.released("panda-1"));

    assertThat(lab.transitions).contains("panda-1 ready->start_self_test");
    assertThat(lab.runUntilState("panda-1", FAILED_QUARANTINED, Duration.ofHours(1))).isTrue();
  }

  @Test
  void problemChildImagedForARequestIsHandedToItAndNotSelfTested() {
    lab.panda("panda-1", READY);
    String request = lab.claim("panda-1");
    threeFailures("panda-1");

    lab.await(lab.lifeguard.pleaseImage("panda-1", "b2g", Map.of("b2gbase", "u"), lab.sender("panda-1")));
    assertThat(lab.runUntilState("panda-1", READY, Duration.ofHours(1))).isTrue();
    lab.advance(Duration.ofHours(1));

    assertThat(lab.state("panda-1")).isEqualTo(READY);
    assertThat(lab.results).containsExactly(request + " panda-1 complete");
    assertThat(lab.transitions).doesNotContain("panda-1 ready->start_self_test");
  }

  @Test
  void deviceAHumanReleasesFromQuarantineIsNotSentBackByTheSameFailures() {
    lab.panda("panda-1", READY);
    threeFailures("panda-1");
    lab.advanceSeconds(600);
    assertThat(lab.runUntilState("panda-1", FAILED_QUARANTINED, Duration.ofHours(1))).isTrue();

    lab.await(lab.lifeguard.pleaseSelfTest("panda-1"));
    assertThat(lab.runUntilState("panda-1", READY, Duration.ofHours(1))).isTrue();
    lab.advance(Duration.ofHours(3));

    assertThat(lab.state("panda-1")).isEqualTo(READY);
    assertThat(lab.hw.count("ping")).isGreaterThanOrEqualTo(3);
  }

  @Test
  void deviceReleasedFromQuarantineIsQuarantinedAgainAfterThreeNewFailures() {
    lab.panda("panda-1", READY);
    threeFailures("panda-1");
    lab.advanceSeconds(600);
    assertThat(lab.runUntilState("panda-1", FAILED_QUARANTINED, Duration.ofHours(1))).isTrue();
    lab.await(lab.lifeguard.pleaseSelfTest("panda-1"));
    assertThat(lab.runUntilState("panda-1", READY, Duration.ofHours(1))).isTrue();

    lab.hw.board("panda-1").relayFaults = 3;
    lab.await(lab.lifeguard.pleasePowerCycle("panda-1"));

    assertThat(lab.runUntilState("panda-1", FAILED_QUARANTINED, Duration.ofHours(2))).isTrue();
  }
}
