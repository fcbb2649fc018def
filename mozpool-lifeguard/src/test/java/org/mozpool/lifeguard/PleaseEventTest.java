package org.mozpool.lifeguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mozpool.DeviceStates.LOCKED_OUT;
import static org.mozpool.DeviceStates.READY;
import static org.mozpool.DeviceStates.TROUBLESHOOTING;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mozpool.ConflictException;
import org.mozpool.NoSuchDeviceException;
import org.mozpool.RefusedException;

/** The acceptance matrix of DESIGN §5.2, refusals, and conditional state changes. */
class PleaseEventTest {
  private final Lab lab = new Lab();

  @AfterEach
  void close() {
    lab.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"new", "unknown", "troubleshooting", "ready", "some_future_state"})
  void pleaseImageIsAcceptedInNewUnknownTroubleshootingAndReady(String state) {
    lab.panda("panda-1", state);

    lab.await(lab.lifeguard.pleaseImage("panda-1", "b2g", Map.of("b2gbase", "u")));

    assertThat(lab.transitions).contains("panda-1 " + state + "->start_pxe_boot");
    assertThat(lab.record("panda-1").nextImage()).isEqualTo("b2g");
  }

  @ParameterizedTest
  @ValueSource(strings = {"pxe_booting", "maintenance_mode", "self_test_running",
      "failed_pxe_booting", "locked_out", "pc_rebooting"})
  void pleaseImageIsRefusedInOtherStatesWithAClearError(String state) {
    lab.panda("panda-1", state);

    assertThatThrownBy(() -> lab.await(lab.lifeguard.pleaseImage("panda-1", "b2g", Map.of())))
        .isInstanceOf(RefusedException.class)
        .hasMessageContaining("refused please_image in state " + state)
        .hasMessageContaining("[new, ready, troubleshooting, unknown]");
    assertThat(lab.state("panda-1")).isEqualTo(state);
    assertThat(lab.record("panda-1").nextImage()).isEmpty();
  }

  @Test
  void pleaseImageWithoutPxeConfigForTheHardwareIsRefused() {
    lab.device("tegra-1", "tegra", READY, "relay://t");

    assertThatThrownBy(() -> lab.await(lab.lifeguard.pleaseImage("tegra-1", "b2g", Map.of())))
        .isInstanceOf(RefusedException.class)
        .hasMessageContaining("no active PXE config installs image 'b2g' on hardware type 'tegra'");
    assertThat(lab.state("tegra-1")).isEqualTo(READY);
    assertThat(lab.hw.journal).isEmpty();
  }

  @Test
  void pleaseImageOfAnUnknownImageIsRefused() {
    lab.panda("panda-1", READY);

    assertThatThrownBy(() -> lab.await(lab.lifeguard.pleaseImage("panda-1", "nope", Map.of())))
        .isInstanceOf(RefusedException.class).hasMessageContaining("no image named 'nope'");
  }

  @Test
  void pleaseImageWithoutTheImagesRequiredBootConfigIsRefused() {
    lab.panda("panda-1", READY);

    assertThatThrownBy(() -> lab.await(lab.lifeguard.pleaseImage("panda-1", "b2g", Map.of())))
        .isInstanceOf(RefusedException.class)
        .hasMessageContaining("image 'b2g' needs boot config keys [b2gbase]");
    assertThat(lab.state("panda-1")).isEqualTo(READY);
  }

  @Test
  void pleaseEventsForAnUnknownDeviceFailWithNoSuchDevice() {
    assertThatThrownBy(() -> lab.await(lab.lifeguard.pleasePowerCycle("ghost")))
        .isInstanceOf(NoSuchDeviceException.class);
    assertThatThrownBy(() -> lab.lifeguard.state("ghost")).isInstanceOf(NoSuchDeviceException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"maintenance_mode", "self_test_running", "failed_pxe_booting",
      "failed_quarantined", "failed_live_init", "troubleshooting", "ready"})
  void selfTestAndMaintenanceAreAcceptedInTheirStates(String state) {
    lab.panda("panda-1", state);
    lab.panda("panda-2", state);

    lab.await(lab.lifeguard.pleaseSelfTest("panda-1"));
    lab.await(lab.lifeguard.pleaseStartMaintenance("panda-2"));

    assertThat(lab.transitions).contains("panda-1 " + state + "->start_self_test",
        "panda-2 " + state + "->start_maintenance");
  }

  @ParameterizedTest
  @ValueSource(strings = {"maintenance_mode", "self_test_running", "failed_self_test"})
  void powerCycleIsRefusedWhereOnlySelfTestAndMaintenanceAre(String state) {
    lab.panda("panda-1", state);

    assertThatThrownBy(() -> lab.await(lab.lifeguard.pleasePowerCycle("panda-1")))
        .isInstanceOf(RefusedException.class).hasMessageContaining("please_power_cycle");
  }

  @Test
  void lockedOutAcceptsNothingAndOnlyAForcedChangeLeavesIt() {
    lab.panda("panda-1", LOCKED_OUT);

    assertThatThrownBy(() -> lab.await(lab.lifeguard.pleasePowerCycle("panda-1")))
        .isInstanceOf(RefusedException.class);
    assertThatThrownBy(() -> lab.await(lab.lifeguard.pleaseSelfTest("panda-1")))
        .isInstanceOf(RefusedException.class);
    assertThatThrownBy(() -> lab.await(lab.lifeguard.pleaseStartMaintenance("panda-1")))
        .isInstanceOf(RefusedException.class);
    lab.advance(Duration.ofDays(3));
    assertThat(lab.state("panda-1")).isEqualTo(LOCKED_OUT);

    lab.await(lab.lifeguard.changeState("panda-1", LOCKED_OUT, TROUBLESHOOTING));
    assertThat(lab.state("panda-1")).isEqualTo(TROUBLESHOOTING);
    assertThat(lab.log("panda-1")).anySatisfy(l -> {
      assertThat(l.source()).isEqualTo("api");
      assertThat(l.message()).isEqualTo("state forced from locked_out to troubleshooting");
    });
  }

  @Test
  void conditionalChangeFromAStateTheDeviceIsNotInIsAConflict() {
    lab.panda("panda-1", "pxe_booting");

    assertThatThrownBy(() -> lab.await(lab.lifeguard.changeState("panda-1", READY, LOCKED_OUT)))
        .isInstanceOf(ConflictException.class)
        .hasMessage("device panda-1 is in state pxe_booting, not ready; not changed to locked_out");
    assertThat(lab.state("panda-1")).isEqualTo("pxe_booting");
  }

  @Test
  void conditionalChangeIntoAWorkflowStateRunsItsEntry() {
    lab.panda("panda-1", TROUBLESHOOTING);

    lab.await(lab.lifeguard.changeState("panda-1", TROUBLESHOOTING, "start_self_test"));
    lab.advanceSeconds(1);

    assertThat(lab.state("panda-1")).isEqualTo("pxe_booting");
    assertThat(lab.hw.journal).startsWith("set-pxe self-test-panda panda-1");
  }

  @Test
  void conditionalChangeIntoAnUnknownStateNameIsAProgrammingError() {
    lab.panda("panda-1", READY);

    assertThatThrownBy(() -> lab.lifeguard.changeState("panda-1", READY, "reddy"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'reddy'");
  }

  @Test
  void troubleshootingAndUnknownWaitForInstructions() {
    lab.panda("panda-1", TROUBLESHOOTING);
    lab.panda("panda-2", "unknown");
    lab.panda("panda-3", "a_state_from_a_newer_version");

    lab.advance(Duration.ofDays(2));

    assertThat(lab.state("panda-1")).isEqualTo(TROUBLESHOOTING);
    assertThat(lab.state("panda-2")).isEqualTo("unknown");
    assertThat(lab.state("panda-3")).isEqualTo("a_state_from_a_newer_version");
    assertThat(lab.hw.journal).isEmpty();
  }

  @Test
  void maintenanceOnHardwareWithoutMaintenancePxeConfigFailsWithoutCyclingPower() {
    lab.device("tegra-1", "tegra", READY, "relay://t");

    lab.await(lab.lifeguard.pleaseStartMaintenance("tegra-1"));

    assertThat(lab.state("tegra-1")).isEqualTo("failed_pxe_booting");
    assertThat(lab.hw.journal).isEmpty();
    assertThat(lab.attention).hasSize(1);
  }
}
