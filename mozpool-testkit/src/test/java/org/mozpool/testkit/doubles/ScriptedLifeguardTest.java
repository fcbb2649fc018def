package org.mozpool.testkit.doubles;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;
import org.mozpool.DeviceStates;
import org.mozpool.Lease;
import org.mozpool.NoSuchDeviceException;
import org.mozpool.RefusedException;
import org.mozpool.RequestFailedException;
import org.mozpool.RequestSpec;
import org.mozpool.RequestStates;
import org.mozpool.WaitTimedOutException;
import org.mozpool.core.DeviceSelectors;
import org.mozpool.spi.Lifeguard;
import org.mozpool.testkit.doubles.ScriptedLifeguard.Call;
import org.mozpool.testkit.sim.VirtualLab;

/** A device layer whose answers the test scripts, under a real pool on virtual time. */
class ScriptedLifeguardTest {

  private static VirtualLab lab(ScriptedLifeguard lifeguard, String... devices) {
    return VirtualLab.builder().deviceNames(List.of(devices)).lifeguard(lifeguard)
        .selector(DeviceSelectors.firstByName()).build();
  }

  private static RequestSpec android(String device) {
    return RequestSpec.device(device).image("android").build();
  }

  @Test
  void devicesAreReadyOnceRegisteredAndAnUnscriptedImageCompletesAfterTheDefaultDelay() {
    ScriptedLifeguard lifeguard = ScriptedLifeguard.completingAfter(Duration.ofMinutes(5));
    try (VirtualLab lab = lab(lifeguard, "panda-1")) {
      lab.advance(Duration.ofSeconds(1));
      assertThat(lab.stateCounts()).containsExactly(java.util.Map.entry(DeviceStates.READY, 1));
      Instant asked = lab.time().now();

      try (Lease lease = lab.pool().request(android("panda-1"))) {
        lab.advance(Duration.ofMinutes(4));
        assertThat(lease.state()).isEqualTo(RequestStates.PENDING);
        assertThat(lab.pool().inventory().device("panda-1").state())
            .isEqualTo(DeviceStates.PXE_POWER_CYCLING);

        assertThat(lease.awaitReady(Duration.ofMinutes(2)).image()).isEqualTo("android");
        assertThat(lifeguard.calls("panda-1")).extracting(Call::event, Call::at)
            .first().isEqualTo(org.assertj.core.groups.Tuple.tuple("please_image", asked));
      }
    }
  }

  @Test
  void aDeviceScriptedBadFailsItsRequestAndIsLeftFailed() {
    ScriptedLifeguard lifeguard = ScriptedLifeguard.completingAtOnce();
    lifeguard.device("panda-1").failsBadDevice();
    try (VirtualLab lab = lab(lifeguard, "panda-1")) {
      lab.advance(Duration.ofSeconds(1));
      try (Lease lease = lab.pool().request(android("panda-1"))) {
        assertThatThrownBy(() -> lease.awaitReady(Duration.ofMinutes(5)))
            .isInstanceOf(RequestFailedException.class);
        assertThat(lease.state()).isEqualTo(RequestStates.FAILED_BAD_DEVICE);
      }
      assertThat(lab.pool().inventory().device("panda-1").state())
          .isEqualTo(DeviceStates.FAILED_PXE_BOOTING);
    }
  }

  @Test
  void aBadImageFailsTheRequestButLeavesTheDeviceReady() {
    ScriptedLifeguard lifeguard = ScriptedLifeguard.completingAtOnce();
    lifeguard.device("panda-1").failsBadImage();
    try (VirtualLab lab = lab(lifeguard, "panda-1")) {
      lab.advance(Duration.ofSeconds(1));
      try (Lease lease = lab.pool().request(android("panda-1"))) {
        assertThatThrownBy(() -> lease.awaitReady(Duration.ofMinutes(5)))
            .isInstanceOf(RequestFailedException.class);
        assertThat(lease.state()).isEqualTo(RequestStates.FAILED_BAD_IMAGE);
      }
      assertThat(lab.pool().inventory().device("panda-1").state())
          .isEqualTo(DeviceStates.READY);
    }
  }

  @Test
  void anAnyRequestMovesOnFromADeviceThatFailsToOneThatCompletes() {
    ScriptedLifeguard lifeguard = ScriptedLifeguard.completingAtOnce();
    lifeguard.device("panda-1").failsBadDevice();
    try (VirtualLab lab = lab(lifeguard, "panda-1", "panda-2")) {
      lab.advance(Duration.ofSeconds(1));
      try (Lease lease = lab.pool().request(RequestSpec.any().image("android").build())) {
        assertThat(lease.awaitReady(Duration.ofMinutes(30)).name()).isEqualTo("panda-2");
      }
      assertThat(lifeguard.events("panda-1")).containsExactly("please_image");
      assertThat(lifeguard.events("panda-2")).startsWith("please_image");
    }
  }

  @Test
  void aDeviceThatNeverAnswersStaysBusyAndRefusesFurtherWork() {
    ScriptedLifeguard lifeguard = ScriptedLifeguard.completingAtOnce();
    lifeguard.device("panda-1").neverAnswers();
    try (VirtualLab lab = lab(lifeguard, "panda-1")) {
      lab.advance(Duration.ofSeconds(1));
      Lease lease = lab.pool().request(android("panda-1"));
      assertThatThrownBy(() -> lease.awaitReady(Duration.ofMinutes(3)))
          .isInstanceOf(WaitTimedOutException.class);
      assertThat(lab.pool().inventory().device("panda-1").state())
          .isEqualTo(DeviceStates.PXE_POWER_CYCLING);

      assertThatThrownBy(() -> lab.pool().lifeguard().pleasePowerCycle("panda-1")
          .toCompletableFuture().join()).hasCauseInstanceOf(RefusedException.class);
      lease.close();
    }
  }

  @Test
  void answersAreTakenInOrderAndTheLastStaysInForce() {
    ScriptedLifeguard lifeguard = ScriptedLifeguard.completingAtOnce();
    lifeguard.device("panda-1").completesAfter(Duration.ofMinutes(1)).then().completes();
    try (VirtualLab lab = lab(lifeguard, "panda-1")) {
      lab.advance(Duration.ofSeconds(1));
      org.mozpool.spi.Lifeguard device = lab.pool().lifeguard();

      device.pleasePowerCycle("panda-1").toCompletableFuture().join();
      assertThat(device.state("panda-1")).isEqualTo(DeviceStates.PC_POWER_CYCLING);
      lab.advance(Duration.ofMinutes(1));
      assertThat(device.state("panda-1")).isEqualTo(DeviceStates.READY);
      for (int i = 0; i < 2; i++) {
        device.pleasePowerCycle("panda-1").toCompletableFuture().join();
        assertThat(device.state("panda-1")).isEqualTo(DeviceStates.READY);
      }
      assertThat(lifeguard.events("panda-1")).containsExactly("please_power_cycle",
          "please_power_cycle", "please_power_cycle");
    }
  }

  @Test
  void theDefaultForUnscriptedDevicesCanBeReplaced() {
    ScriptedLifeguard lifeguard = ScriptedLifeguard.completingAtOnce();
    lifeguard.otherwise().failsBadImage();
    try (VirtualLab lab = lab(lifeguard, "panda-1")) {
      lab.advance(Duration.ofSeconds(1));
      try (Lease lease = lab.pool().request(android("panda-1"))) {
        lab.advance(Duration.ofSeconds(30));
        assertThat(lease.state()).isEqualTo(RequestStates.FAILED_BAD_IMAGE);
      }
    }
  }

  @Test
  void nonsenseIsRefusedAtOnce() {
    assertThatThrownBy(() -> ScriptedLifeguard.completingAfter(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ScriptedLifeguard.completingAtOnce().device(null))
        .isInstanceOf(NullPointerException.class);
  }
  private static Map<String, Object> args(Object... keysAndValues) {
    Map<String, Object> args = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      args.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return args;
  }

  private static Throwable failureOf(CompletionStage<Void> stage) {
    CompletableFuture<Void> future = stage.toCompletableFuture();
    assertThat(future).isCompletedExceptionally();
    return future.handle((v, e) -> e).join();
  }

  @Test
  void deviceEventsAreRecordedWithTheirArgumentsInOrderAmongThePleaseEvents() {
    ScriptedLifeguard lifeguard = ScriptedLifeguard.completingAtOnce();
    try (VirtualLab lab = lab(lifeguard, "panda-1", "panda-2")) {
      lab.advance(Duration.ofSeconds(1));
      Lifeguard device = lab.pool().lifeguard();

      device.deviceEvent("panda-1", "image_downloading", Map.of()).toCompletableFuture().join();
      lab.advance(Duration.ofSeconds(5));
      device.pleaseImage("panda-1", "android", Map.of("b2gbase", "http://builds/1"))
          .toCompletableFuture().join();
      device.deviceEvent("panda-1", "image_failed", args("reason", "chunked", "attempt", 2))
          .toCompletableFuture().join();
      device.deviceEvent("panda-2", "self_test_ok", Map.of()).toCompletableFuture().join();

      assertThat(lifeguard.events("panda-1"))
          .containsExactly("image_downloading", "please_image", "image_failed");
      assertThat(lifeguard.calls("panda-1")).extracting(Call::args).containsExactly(
          Map.of(), Map.of("b2gbase", "http://builds/1"),
          Map.of("reason", "chunked", "attempt", 2));
      assertThat(lifeguard.calls("panda-1").get(2).args())
          .as("in the order reported").hasToString("{reason=chunked, attempt=2}");
      assertThat(lifeguard.calls("panda-1").get(2).at())
          .isEqualTo(lifeguard.calls("panda-1").get(0).at().plusSeconds(5));
      assertThat(lifeguard.events("panda-2")).containsExactly("self_test_ok");
    }
  }

  @Test
  void aScriptedReplyIsTheCallsStageAndChangesNothingElse() {
    ScriptedLifeguard lifeguard = ScriptedLifeguard.completingAtOnce();
    lifeguard.device("panda-1").failsBadDevice();
    RefusedException refused =
        new RefusedException("panda-1", "please_power_cycle", "ready", "not now");
    lifeguard.replies("panda-1", "please_power_cycle").failsWith(refused);
    try (VirtualLab lab = lab(lifeguard, "panda-1")) {
      lab.advance(Duration.ofSeconds(1));
      Lifeguard device = lab.pool().lifeguard();

      assertThat(failureOf(device.pleasePowerCycle("panda-1"))).isSameAs(refused);
      assertThat(device.state("panda-1")).isEqualTo(DeviceStates.READY);
      assertThat(lifeguard.events("panda-1")).containsExactly("please_power_cycle");

      // the refused power cycle did not use up the device's first imaging answer
      device.pleaseImage("panda-1", "android", Map.of()).toCompletableFuture().join();
      assertThat(device.state("panda-1")).isEqualTo(DeviceStates.FAILED_PXE_BOOTING);
    }
  }

  @Test
  void aReplyTheTestCompletesLaterKeepsTheCallerWaitingUntilThen() {
    ScriptedLifeguard lifeguard = ScriptedLifeguard.completingAtOnce();
    CompletableFuture<Void> later = new CompletableFuture<>();
    lifeguard.replies("panda-1").answersWith(later);
    try (VirtualLab lab = lab(lifeguard, "panda-1", "panda-2")) {
      lab.advance(Duration.ofSeconds(1));
      Lifeguard device = lab.pool().lifeguard();

      CompletableFuture<Void> taken =
          device.deviceEvent("panda-1", "self_test_ok", Map.of()).toCompletableFuture();
      assertThat(taken).isNotDone();
      assertThat(device.deviceEvent("panda-2", "self_test_ok", Map.of()).toCompletableFuture())
          .as("another device's events are not scripted").isCompleted();

      CompletableFuture<Void> givenUp =
          device.deviceEvent("panda-1", "self_test_ok", Map.of()).toCompletableFuture();
      givenUp.cancel(false);
      assertThat(later).as("a caller that gives up leaves the test's future").isNotDone();

      later.complete(null);
      assertThat(taken).isCompleted();
      assertThat(lifeguard.events("panda-1")).containsExactly("self_test_ok", "self_test_ok");
    }
  }

  @Test
  void repliesForAnEventComeBeforeThoseForEveryEventAndTheLastStaysInForce() {
    ScriptedLifeguard lifeguard = ScriptedLifeguard.completingAtOnce();
    NoSuchDeviceException gone = new NoSuchDeviceException("panda-1");
    lifeguard.replies("panda-1").failsWith(gone);
    lifeguard.replies("panda-1", "image_downloading").hangs().then().accepts();
    Lifeguard device = lifeguard.stateless(Clock.systemUTC());

    assertThat(device.deviceEvent("panda-1", "image_downloading", Map.of()).toCompletableFuture())
        .isNotDone();
    for (int i = 0; i < 2; i++) {
      assertThat(device.deviceEvent("panda-1", "image_downloading", Map.of())
          .toCompletableFuture()).isCompleted();
    }
    for (int i = 0; i < 2; i++) {
      assertThat(failureOf(device.deviceEvent("panda-1", "image_extracting", Map.of())))
          .isSameAs(gone);
      assertThat(failureOf(device.released("panda-1"))).isSameAs(gone);
    }
  }

  @Test
  void aStatelessLifeguardRecordsEveryCallAndAcceptsItUnlessScriptedOtherwise() {
    Instant now = Instant.parse("2026-11-25T12:00:00Z");
    ScriptedLifeguard lifeguard = ScriptedLifeguard.completingAfter(Duration.ofMinutes(5));
    lifeguard.replies("panda-1", "please_self_test").failsWith(
        new RefusedException("panda-1", "please_self_test", "pxe_booting", "not now"));
    Lifeguard device = lifeguard.stateless(Clock.fixed(now, ZoneOffset.UTC));

    assertThat(device.pleaseImage("panda-1", "b2g", Map.of("b2gbase", "http://builds/1"))
        .toCompletableFuture()).isCompleted();
    assertThat(device.pleasePowerCycle("panda-1").toCompletableFuture()).isCompleted();
    assertThat(failureOf(device.pleaseSelfTest("panda-1")))
        .isInstanceOf(RefusedException.class).hasMessageContaining("pxe_booting");
    assertThat(device.pleaseStartMaintenance("panda-1").toCompletableFuture()).isCompleted();
    assertThat(device.deviceEvent("panda-1", "maint_mode", args("attempt", "2"))
        .toCompletableFuture()).isCompleted();

    assertThat(lifeguard.calls()).containsExactly(
        new Call("panda-1", "please_image", java.util.Optional.of("b2g"), now,
            Map.of("b2gbase", "http://builds/1")),
        new Call("panda-1", "please_power_cycle", java.util.Optional.empty(), now),
        new Call("panda-1", "please_self_test", java.util.Optional.empty(), now),
        new Call("panda-1", "please_start_maintenance", java.util.Optional.empty(), now),
        new Call("panda-1", "maint_mode", java.util.Optional.empty(), now,
            Map.of("attempt", "2")));
    assertThatThrownBy(() -> device.state("panda-1"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThat(failureOf(device.changeState("panda-1", "ready", "locked_out")))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void aRecordedCallCannotBeChangedAfterwards() {
    Map<String, Object> args = args("attempt", "1");
    Call call = new Call("panda-1", "image_rebooting", java.util.Optional.empty(),
        Instant.EPOCH, args);
    args.put("attempt", "2");

    assertThat(call.args()).containsExactly(Map.entry("attempt", "1"));
    assertThatThrownBy(() -> call.args().put("attempt", "3"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void nonsenseRepliesAreRefusedAtOnce() {
    ScriptedLifeguard lifeguard = ScriptedLifeguard.completingAtOnce();
    assertThatThrownBy(() -> lifeguard.replies(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> lifeguard.replies("panda-1", null))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> lifeguard.replies("panda-1").failsWith(null))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> lifeguard.replies("panda-1").answersWith(null))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> lifeguard.stateless(null)).isInstanceOf(NullPointerException.class);
  }
}
