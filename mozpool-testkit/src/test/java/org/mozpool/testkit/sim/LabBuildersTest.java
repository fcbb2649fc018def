package org.mozpool.testkit.sim;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.mozpool.testkit.faults.Fault;

/** The labs' builders refuse a bad setting when it is set, naming the setting and the value. */
class LabBuildersTest {

  @Test
  void aLabSimulationRefusesAChassisSizeOutsideOneToThirtyTwoAtOnce() {
    assertThatThrownBy(() -> LabSimulation.builder().chassisSize(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a chassis holds 1 to 32 boards, got 0");
    assertThatThrownBy(() -> LabSimulation.builder().chassisSize(33))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a chassis holds 1 to 32 boards, got 33");
  }

  @Test
  void aWireLabRefusesAPortOutsideOneTo65535AtOnceNamingWhichPort() {
    WireLab.Builder b = WireLab.builder();
    assertThatThrownBy(() -> b.agentPort(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("agent port must be 1 to 65535, got 0");
    assertThatThrownBy(() -> b.pingPort(70000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("ping port must be 1 to 65535, got 70000");
    assertThatThrownBy(() -> b.tftp(InetAddress.getLoopbackAddress(), -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("TFTP port must be 1 to 65535, got -1");
  }

  @Test
  void aWireLabRefusesANonPositiveTftpTimeoutAtOnce() {
    assertThatThrownBy(() -> WireLab.builder().tftpTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("tftpTimeout must be positive, got PT0S");
    assertThatThrownBy(() -> WireLab.builder().tftpTimeout(null))
        .isInstanceOf(NullPointerException.class).hasMessage("tftpTimeout");
  }

  @Test
  void aNullDefectIsRefusedAtOnceNamingIt() {
    assertThatThrownBy(() -> WireLab.builder().defect("panda-0001", null))
        .isInstanceOf(NullPointerException.class).hasMessage("defect");
    assertThatThrownBy(() -> VirtualLab.builder().defect("panda-0001", null))
        .isInstanceOf(NullPointerException.class).hasMessage("defect");
    assertThatThrownBy(() -> WireLab.builder().defect("panda-0001", Fault.BOOT_HANG))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is not a persistent defect");
  }

  @Test
  void aVirtualLabRefusesANullLifeguardPolicyAtOnce() {
    assertThatThrownBy(() -> VirtualLab.builder().lifeguardPolicy(null))
        .isInstanceOf(NullPointerException.class).hasMessage("policy");
  }
}
