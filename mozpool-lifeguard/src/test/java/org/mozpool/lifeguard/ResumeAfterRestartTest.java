package org.mozpool.lifeguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mozpool.DeviceStates.FAILED_SELF_TEST;
import static org.mozpool.DeviceStates.IMAGE_DOWNLOADING;
import static org.mozpool.DeviceStates.READY;
import static org.mozpool.DeviceStates.SELF_TEST_RUNNING;
import static org.mozpool.DeviceStates.STORAGE_VERIFYING;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mozpool.ImagingResult;
import org.mozpool.LogEntry;
import org.mozpool.spi.DeviceFailure;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;

/**
 * Issue 11: a restart can lose what a device's state waits for (a callback, an operation's
 * completion); when that state times out, a restarted Lifeguard drives the workflow again, a
 * bounded number of times, instead of failing the device.
 */
class ResumeAfterRestartTest {
  private static final Duration DOWNTIME = Duration.ofMinutes(2);
  private final Lab lab = new Lab();

  @AfterEach
  void close() {
    lab.close();
  }

  /** Stops the running Lifeguard, lets {@link #DOWNTIME} pass, and starts a new one. */
  private void restart(LifeguardPolicy policy) {
    lab.lifeguard.close();
    lab.advance(DOWNTIME);
    lab.start(policy);
    lab.tk.runDueTasks();
  }

  private MachineRecord machine(String device) {
    return lab.store.inTransaction(tx -> tx.machine(MachineKind.DEVICE, device)).orElseThrow();
  }

  private List<String> messages(String device) {
    return lab.log(device).stream().map(LogEntry::message).toList();
  }

  private List<String> transitionsOf(String device) {
    return lab.transitions.stream().filter(t -> t.startsWith(device + " "))
        .map(t -> t.substring(device.length() + 1)).toList();
  }

  /** Self-tests panda-1 until it reports {@code self_test_running}, then it goes silent. */
  private void selfTestThatGoesSilent() {
    lab.panda("panda-1", READY);
    lab.hw.board("panda-1").silentAfter = "self_test_running";
    lab.await(lab.lifeguard.pleaseSelfTest("panda-1"));
    assertThat(lab.runUntilState("panda-1", SELF_TEST_RUNNING, Duration.ofMinutes(5))).isTrue();
  }

  @Test
  void aBoardSilentAtTheFirstIdleProbeAfterARestartIsSelfTestedButNotHeldAgainstIt() {
    lab.panda("panda-1", READY);
    lab.hw.board("panda-1").ping = FakeHardware.Outcome.FAIL; // still booting after an outage
    restart(LifeguardPolicy.defaults());

    lab.advance(Duration.ofMinutes(10).plusSeconds(30)); // the first idle probe since the start
    lab.hw.board("panda-1").ping = FakeHardware.Outcome.OK;
    assertThat(messages("panda-1")).anyMatch(m -> m.startsWith("health probe (ping) failed"));
    assertThat(lab.runUntilState("panda-1", READY, Duration.ofHours(1))).isTrue();
    assertThat(lab.failures("panda-1")).isEmpty();

    // Later probes of the same run count silence as before.
    lab.hw.board("panda-1").ping = FakeHardware.Outcome.FAIL;
    lab.advance(Duration.ofMinutes(11));
    assertThat(lab.failures("panda-1")).extracting(DeviceFailure::state).containsExactly(READY);
  }

  @Test
  void deviceWhoseSelfTestResultWasLostInARestartIsSelfTestedAgainNotFailed() {
    selfTestThatGoesSilent();
    restart(LifeguardPolicy.defaults());
    lab.hw.board("panda-1").silentAfter = null; // its next boot reports as usual
    lab.transitions.clear();

    lab.advance(Duration.ofMinutes(57)); // the self-test's hour, counted from its start
    assertThat(lab.state("panda-1")).isEqualTo(SELF_TEST_RUNNING);
    assertThat(lab.runUntilState("panda-1", READY, Duration.ofMinutes(10))).isTrue();

    assertThat(transitionsOf("panda-1")).startsWith("self_test_running->pxe_power_cycling",
        "pxe_power_cycling->pxe_booting").doesNotContain("self_test_running->failed_self_test");
    assertThat(messages("panda-1")).anyMatch(m -> m.startsWith("resumed after restart: "
        + "self_test_running was entered before this instance started"));
    assertThat(lab.hw.count("set-pxe self-test-panda")).isEqualTo(2);
    assertThat(machine("panda-1").counter(DeviceMachine.RESTART_RETRIES)).isEqualTo(1);
    assertThat(lab.failures("panda-1")).isEmpty();
    assertThat(lab.attention).isEmpty();
  }

  @Test
  void selfTestThatGoesSilentWithoutARestartStillFailsWhenItsHourIsUp() {
    selfTestThatGoesSilent();

    lab.advance(Duration.ofMinutes(61));

    assertThat(lab.state("panda-1")).isEqualTo(FAILED_SELF_TEST);
    assertThat(messages("panda-1")).noneMatch(m -> m.startsWith("resumed after restart"));
  }

  @Test
  void selfTestInterruptedByMoreRestartsThanTheBoundFailsAsUsual() {
    LifeguardPolicy policy = LifeguardPolicy.defaults().withRestartRetries(2);
    lab.lifeguard.close();
    lab.start(policy);
    selfTestThatGoesSilent(); // and every later boot goes silent too

    for (int retry = 1; retry <= 2; retry++) {
      restart(policy);
      lab.advance(Duration.ofMinutes(59));
      assertThat(lab.state("panda-1")).as("driven again after restart %d", retry)
          .isNotEqualTo(FAILED_SELF_TEST);
      assertThat(lab.runUntilState("panda-1", SELF_TEST_RUNNING, Duration.ofMinutes(5))).isTrue();
      assertThat(machine("panda-1").counter(DeviceMachine.RESTART_RETRIES)).isEqualTo(retry);
    }
    restart(policy);
    lab.advance(Duration.ofMinutes(59));

    assertThat(lab.state("panda-1")).isEqualTo(FAILED_SELF_TEST);
    assertThat(messages("panda-1")).anyMatch(m -> m.contains("after 2 restarts already"));
    assertThat(lab.attention).hasSize(1);
  }

  @Test
  void claimedDeviceWhoseInstallCallbackWasLostIsImagedAgainAndItsRequestHearsOnlyComplete() {
    // Without the restart rule, the first image_downloading timeout would fail this device.
    LifeguardPolicy policy = LifeguardPolicy.defaults().withRetryLimit(IMAGE_DOWNLOADING, 0);
    lab.lifeguard.close();
    lab.start(policy);
    lab.panda("panda-1", READY);
    String request = lab.claim("panda-1");
    lab.hw.board("panda-1").silentAfter = "image_downloading";
    lab.await(lab.lifeguard.pleaseImage("panda-1", "b2g", Map.of("b2gbase", "http://builds/7"),
        lab.sender("panda-1")));
    assertThat(lab.runUntilState("panda-1", IMAGE_DOWNLOADING, Duration.ofMinutes(5))).isTrue();

    restart(policy);
    lab.hw.board("panda-1").silentAfter = null;
    assertThat(lab.runUntilState("panda-1", READY, Duration.ofMinutes(15))).isTrue();

    assertThat(lab.results).containsExactly(request + " panda-1 complete");
    assertThat(lab.claimResult("panda-1")).isEqualTo(ImagingResult.COMPLETE);
    assertThat(lab.record("panda-1").image()).isEqualTo("b2g");
    assertThat(transitionsOf("panda-1")).contains("image_downloading->pxe_power_cycling")
        .doesNotContain("image_downloading->failed_image_downloading");
    assertThat(lab.failures("panda-1")).isEmpty();
  }

  @Test
  void operationLostInARestartIsStartedAgainWithoutCountingAgainstTheStatesRetryLimit() {
    // Stored as if a storage check had been started by the previous run and lost with it.
    lab.panda("panda-1", STORAGE_VERIFYING);
    restart(LifeguardPolicy.defaults());
    assertThat(lab.hw.journal).isEmpty();

    assertThat(lab.runUntilState("panda-1", READY, Duration.ofMinutes(5))).isTrue();

    assertThat(lab.hw.journal).containsExactly("storage panda-1");
    assertThat(transitionsOf("panda-1")).startsWith("storage_verifying->storage_verifying",
        "storage_verifying->operation_complete");
    assertThat(machine("panda-1").counter(STORAGE_VERIFYING)).isZero();
    assertThat(machine("panda-1").counter(DeviceMachine.RESTART_RETRIES)).isEqualTo(1);
  }

  @Test
  void aNewWorkflowStartsWithAFreshRestartBound() {
    selfTestThatGoesSilent();
    restart(LifeguardPolicy.defaults());
    lab.hw.board("panda-1").silentAfter = null;
    assertThat(lab.runUntilState("panda-1", READY, Duration.ofHours(2))).isTrue();
    assertThat(machine("panda-1").counter(DeviceMachine.RESTART_RETRIES)).isEqualTo(1);

    lab.await(lab.lifeguard.pleaseSelfTest("panda-1"));

    assertThat(machine("panda-1").counter(DeviceMachine.RESTART_RETRIES)).isZero();
  }
}
