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

  @Test
  void eachSetterRefusesAValueOutOfRangeAtOnceNamingTheField() {
    FaultProfile.Builder b = FaultProfile.none().toBuilder();
    assertThatThrownBy(() -> b.bootHang(-0.1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("bootHang must be a probability in [0, 1], got -0.1");
    assertThatThrownBy(() -> b.badImages(Double.NaN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("badImages must be a probability in [0, 1], got NaN");
    assertThatThrownBy(() -> b.stepFailures(2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("stepFailures must be a probability in [0, 1], got 2.0");
    assertThatThrownBy(() -> b.relayBoardHangFor(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("relayBoardHangFor must be positive, got null");
    assertThat(b.build()).isEqualTo(FaultProfile.none());
  }

  @Test
  void aProfileRebuiltFromItsBuilderEqualsIt() {
    assertThat(FaultProfile.realistic().toBuilder().build()).isEqualTo(FaultProfile.realistic());
    assertThat(FaultProfile.none().toBuilder().build()).isEqualTo(FaultProfile.none());
  }

  @Test
  void changingOneFieldThroughToBuilderKeepsTheOthers() {
    FaultProfile realistic = FaultProfile.realistic();
    FaultProfile hangs = realistic.toBuilder().relayBoardHang(0.5)
        .relayBoardHangFor(Duration.ofMinutes(5)).build();
    assertThat(hangs.relayBoardHang()).isEqualTo(0.5);
    assertThat(hangs.relayBoardHangFor()).isEqualTo(Duration.ofMinutes(5));
    assertThat(hangs).usingRecursiveComparison()
        .ignoringFields("relayBoardHang", "relayBoardHangFor").isEqualTo(realistic);
  }

  @Test
  void stepFailuresSetsEveryPerStepProbabilityAndNothingElse() {
    FaultProfile p = FaultProfile.none().toBuilder().stepFailures(0.2).build();
    assertThat(new double[] {p.bootHang(), p.downloadStall(), p.extractStall(), p.rebootHang(),
        p.verifyFailure()}).containsOnly(0.2);
    assertThat(p).usingRecursiveComparison().ignoringFields("bootHang", "downloadStall",
        "extractStall", "rebootHang", "verifyFailure").isEqualTo(FaultProfile.none());
  }
}
