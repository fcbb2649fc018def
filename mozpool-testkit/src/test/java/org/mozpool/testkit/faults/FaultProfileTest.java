package org.mozpool.testkit.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class FaultProfileTest {

  @Test
  void realisticProfileIsTheNamedDefaultAndNoneInjectsNothing() {
    assertThat(FaultProfile.named("realistic")).isEqualTo(FaultProfile.realistic());
    FaultProfile none = FaultProfile.named("none");
    assertThat(none.bootHang() + none.deadBoards() + none.badImages() + none.relayBoardHang())
        .isZero();
  }

  @Test
  void probabilitiesOutsideZeroToOneAreRefusedWithTheFieldName() {
    assertThatThrownBy(() -> FaultProfile.none().toBuilder().downloadStall(1.5).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("downloadStall must be a probability in [0, 1], got 1.5");
    assertThatThrownBy(() -> FaultProfile.none().toBuilder().overheatAfter(Duration.ZERO).build())
        .hasMessage("overheatAfter must be positive, got PT0S");
    assertThatThrownBy(() -> FaultProfile.named("apocalyptic"))
        .hasMessageContaining("expected none or realistic");
  }

  @Test
  void faultLogCountsByKindAndKnowsTheDefectiveDevices() {
    FaultLog log = new FaultLog();
    java.time.Instant t = java.time.Instant.EPOCH;
    log.record(t, "panda-0001", Fault.BAD_SD_CARD, "persistent defect");
    log.record(t, "panda-0002", Fault.BOOT_HANG, "");
    log.record(t, "panda-0002", Fault.BOOT_HANG, "");

    assertThat(log.counts()).containsEntry(Fault.BOOT_HANG, 2).containsEntry(Fault.BAD_SD_CARD, 1);
    assertThat(log.defectiveDevices()).containsExactly("panda-0001");
    assertThat(log.targets(Fault.BOOT_HANG)).containsExactly("panda-0002");
  }
}
