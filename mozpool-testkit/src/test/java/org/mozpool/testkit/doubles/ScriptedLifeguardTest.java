package org.mozpool.testkit.doubles;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mozpool.DeviceStates;
import org.mozpool.Lease;
import org.mozpool.RefusedException;
import org.mozpool.RequestFailedException;
import org.mozpool.RequestSpec;
import org.mozpool.RequestStates;
import org.mozpool.WaitTimedOutException;
import org.mozpool.core.DeviceSelectors;
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
}
