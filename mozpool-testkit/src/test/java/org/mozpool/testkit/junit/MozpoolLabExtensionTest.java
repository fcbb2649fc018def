package org.mozpool.testkit.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mozpool.DeviceStates;
import org.mozpool.Inventory;
import org.mozpool.Pool;
import org.mozpool.core.VirtualTimekeeper;
import org.mozpool.testkit.faults.Fault;
import org.mozpool.testkit.faults.FaultLog;
import org.mozpool.testkit.sim.VirtualLab;

/** The extension gives each test its own running lab and injects its parts. */
class MozpoolLabExtensionTest {

  @RegisterExtension
  final MozpoolLabExtension lab = MozpoolLabExtension.virtual().devices(3).seed(5)
      .defect("panda-0003", Fault.BAD_SD_CARD).settleFirst(Duration.ofMinutes(20));

  @Test
  void injectsThePoolLabClockInventoryAndFaultLogOfOneLab(Pool pool, VirtualLab virtualLab,
      VirtualTimekeeper time, Clock clock, Inventory inventory, FaultLog faults) {
    assertThat(virtualLab.pool()).isSameAs(pool).isSameAs(lab.pool());
    assertThat(time).isSameAs(virtualLab.time());
    assertThat(clock.instant()).isEqualTo(time.now());
    assertThat(inventory.devices()).hasSize(3);
    assertThat(faults.defectiveDevices()).containsExactly("panda-0003");
  }

  @Test
  void settlesTheInitialSelfTestsBeforeTheTestStarts(Inventory inventory) {
    assertThat(inventory.device("panda-0001").state()).isEqualTo(DeviceStates.READY);
    assertThat(inventory.device("panda-0003").state()).isEqualTo(DeviceStates.FAILED_SELF_TEST);
  }

  @Test
  void virtualTimeMovesOnlyWhenTheTestAdvancesIt(VirtualTimekeeper time, Pool pool) {
    var before = time.now();
    time.advance(Duration.ofDays(1));

    assertThat(time.now()).isEqualTo(before.plus(Duration.ofDays(1)));
    assertThat(pool.inventory().device("panda-0002").state()).isEqualTo(DeviceStates.READY);
  }

  @Test
  void aBadDeviceCountOrATransientDefectIsRefusedWhenConfiguredNotWhenATestStarts() {
    assertThatThrownBy(() -> MozpoolLabExtension.virtual().devices(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a lab needs at least one device, got 0");
    assertThatThrownBy(() -> MozpoolLabExtension.virtual().defect("panda-0001", Fault.BOOT_HANG))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("BOOT_HANG is not a persistent defect");
  }
}
