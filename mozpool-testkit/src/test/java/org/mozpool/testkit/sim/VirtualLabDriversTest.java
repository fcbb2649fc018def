package org.mozpool.testkit.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mozpool.DeviceStates;
import org.mozpool.LogEntry;
import org.mozpool.core.VirtualTimekeeper;
import org.mozpool.testkit.doubles.ScriptedHardware;
import org.mozpool.testkit.doubles.ScriptedHardware.Call;
import org.mozpool.testkit.doubles.ScriptedHardware.Operation;

/** A virtual lab takes any driver in place of its in-process ones. */
class VirtualLabDriversTest {

  @Test
  void aScriptedPowerControlDrivesTheSelfTestInsteadOfTheSimulatedRelays() {
    VirtualTimekeeper time = new VirtualTimekeeper(VirtualTimekeeper.DEFAULT_START);
    ScriptedHardware hardware = new ScriptedHardware(time);
    hardware.powerCycle("panda-0001").relayFault().then().succeeds();
    try (VirtualLab lab = VirtualLab.builder().deviceNames(List.of("panda-0001", "panda-0002"))
        .time(time).powerControl(hardware).build()) {
      lab.advance(Duration.ofMinutes(2));

      List<Call> calls = hardware.calls("panda-0001");
      assertThat(calls).extracting(Call::operation)
          .containsExactly(Operation.POWER_CYCLE, Operation.POWER_CYCLE);
      assertThat(hardware.reached("panda-0001")).as("the relay fault never switched")
          .containsExactly(calls.get(1));
      assertThat(hardware.operations("panda-0002")).containsExactly(Operation.POWER_CYCLE);
      assertThat(lab.pool().inventory().deviceLog("panda-0001")).extracting(LogEntry::message)
          .anySatisfy(m -> assertThat(m).contains("relay fault"));
      assertThat(lab.device("panda-0001").powerOns())
          .as("the simulated board saw no power event after the lab's own power-on").isEqualTo(1);
      assertThat(lab.pool().inventory().device("panda-0001").state())
          .isEqualTo(DeviceStates.PXE_BOOTING);
    }
  }

  @Test
  void aScriptedProbeDecidesWhetherAnIdleDeviceAnswers() {
    VirtualTimekeeper time = new VirtualTimekeeper(VirtualTimekeeper.DEFAULT_START);
    ScriptedHardware probe = new ScriptedHardware(time);
    try (VirtualLab lab = VirtualLab.builder().devices(1).time(time).deviceProbe(probe).build()) {
      assertThat(lab.settle(Duration.ofMinutes(30))).isTrue();

      assertThat(lab.stateCounts()).containsEntry(DeviceStates.READY, 1);
      probe.otherwise(Operation.PING).failsWith(new java.io.IOException("no route to host"));
      probe.otherwise(Operation.VERIFY_AGENT).failsWith(new java.io.IOException("no agent"));
      lab.advance(Duration.ofHours(2));

      assertThat(probe.calls()).isNotEmpty().extracting(Call::operation)
          .containsOnly(Operation.PING);
      assertThat(lab.pool().inventory().device("panda-0001").state())
          .as("the board itself is healthy; only the scripted probe says otherwise")
          .isNotEqualTo(DeviceStates.READY);
    }
  }

  @Test
  void aMissingDriverIsRefusedAtOnce() {
    assertThatThrownBy(() -> VirtualLab.builder().powerControl(null))
        .isInstanceOf(NullPointerException.class).hasMessageContaining("powerControl");
  }
}
