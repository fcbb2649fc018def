package org.mozpool.lifeguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mozpool.DeviceStates.PC_POWER_CYCLING;
import static org.mozpool.DeviceStates.READY;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mozpool.core.PowerControls;

/**
 * A lab whose power hardware is routed by power-address scheme ({@link PowerControls#byScheme}):
 * each device is power-cycled through its own scheme's control, and a device whose scheme no
 * control serves fails its own power cycling the ordinary way, without harming the others.
 */
class MixedPowerHardwareTest {
  private final Lab lab = new Lab(LifeguardPolicy.defaults().withRetryLimit(PC_POWER_CYCLING, 2));

  MixedPowerHardwareTest() {
    lab.power = PowerControls.byScheme(Map.of("relay", lab.hw));
  }

  @AfterEach
  void close() {
    lab.close();
  }

  @Test
  void aDeviceWhosePowerAddressSchemeHasNoControlFailsPowerCyclingAloneAndIsNotBlamedForRelays() {
    lab.panda("panda-1", READY); // relay://…
    lab.device("panda-2", "panda", READY, "snmp://pdu-7.lab/outlet/3");

    lab.await(lab.lifeguard.pleasePowerCycle("panda-1"));
    lab.await(lab.lifeguard.pleasePowerCycle("panda-2"));
    assertThat(lab.runUntilState("panda-2", "failed_power_cycling", Duration.ofMinutes(10)))
        .isTrue();

    assertThat(lab.state("panda-1")).isEqualTo(READY);
    assertThat(lab.hw.journal).contains("power-cycle panda-1")
        .doesNotContain("power-cycle panda-2");
    assertThat(lab.log("panda-2")).anySatisfy(l -> assertThat(l.message())
        .contains("no power control for scheme 'snmp'"));
    assertThat(lab.log("panda-2")).anySatisfy(l -> assertThat(l.message())
        .isEqualTo("pc_power_cycling failed 3 times (limit 2); giving up"));
    // a missing route is no relay fault of the device: only the failed state is in its history
    assertThat(lab.failures("panda-2")).singleElement()
        .satisfies(f -> assertThat(f.state()).isEqualTo("failed_power_cycling"));
  }
}
