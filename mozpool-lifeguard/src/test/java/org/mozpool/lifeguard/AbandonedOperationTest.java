package org.mozpool.lifeguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mozpool.DeviceStates.READY;

import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mozpool.lifeguard.FakeHardware.Outcome;

/**
 * A power cycle nobody waits for any more never reaches the hardware: Lifeguard cancels the
 * driver's stage, through the PXE write that comes first, when the device moves on.
 */
class AbandonedOperationTest {
  private final Lab lab = new Lab();

  @AfterEach
  void close() {
    lab.close();
  }

  @Test
  void powerCycleOfAnAttemptThatWasSupersededIsCancelledAtTheDriver() {
    lab.panda("panda-1", READY);
    lab.hw.board("panda-1").power = Outcome.HANG;
    lab.await(lab.lifeguard.pleasePowerCycle("panda-1"));
    lab.advanceSeconds(1);
    assertThat(lab.hw.hung).hasSize(1);

    lab.await(lab.lifeguard.changeState("panda-1", "pc_power_cycling", "pc_power_cycling"));
    lab.advanceSeconds(1);

    assertThat(lab.hw.hung).hasSize(2);
    assertThat(lab.hw.hung.get(0)).isCancelled();
    assertThat(lab.hw.hung.get(1)).isNotDone();
  }

  @Test
  void powerCycleWhoseStateTimedOutIsCancelledAtTheDriver() {
    lab.panda("panda-1", READY);
    lab.hw.board("panda-1").power = Outcome.HANG;
    lab.await(lab.lifeguard.pleasePowerCycle("panda-1"));

    lab.advanceSeconds(61); // pc_power_cycling's timeout; the retry starts a new cycle

    assertThat(lab.hw.hung).hasSizeGreaterThanOrEqualTo(2);
    assertThat(lab.hw.hung.get(0)).isCancelled();
    assertThat(lab.hw.hung.get(lab.hw.hung.size() - 1)).isNotDone();
  }

  @Test
  void pxeConfigThatLandsAfterTheDeviceMovedOnIsNotFollowedByAPowerCycle() {
    lab.panda("panda-1", READY);
    lab.hw.board("panda-1").setPxe = Outcome.MANUAL;
    lab.await(lab.lifeguard.pleaseImage("panda-1", "b2g", Map.of("b2gbase", "u")));
    lab.advanceSeconds(1);
    String cycling = lab.state("panda-1");
    assertThat(lab.hw.count("set-pxe")).isEqualTo(1);

    lab.await(lab.lifeguard.changeState("panda-1", cycling, READY));
    lab.hw.completePending(0); // the PXE write was already under way and finishes
    lab.advanceSeconds(1);

    assertThat(lab.hw.count("power-cycle")).isZero();
  }
}
