package org.mozpool.lifeguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mozpool.DeviceStates.READY;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mozpool.lifeguard.FakeHardware.Outcome;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;

/** Health probing of idle devices (§5.1 ready) and the release policy (§5.6). */
class IdleProbeAndReleaseTest {
  private Lab lab = new Lab();

  @AfterEach
  void close() {
    lab.close();
  }

  private void carry(String device, String image) {
    lab.store.inTransaction(tx -> {
      tx.updateDeviceImages(device, image, Map.of(), "", Map.of());
      return null;
    });
  }

  @Test
  void idleDeviceWithoutAgentIsPingedEveryTenMinutes() {
    lab.panda("panda-1", READY);

    lab.advanceSeconds(599);
    assertThat(lab.hw.count("ping")).isZero();
    lab.advanceSeconds(1);
    assertThat(lab.hw.count("ping")).isEqualTo(1);
    lab.advanceSeconds(600);
    assertThat(lab.hw.count("ping")).isEqualTo(2);
    assertThat(lab.state("panda-1")).isEqualTo(READY);
  }

  @Test
  void theStepThatStartsAProbeWritesNothingAndARestartProbesAtOnce() {
    lab.panda("panda-1", READY);
    lab.tk.runDueTasks();
    MachineRecord stored = machine("panda-1");

    lab.advanceSeconds(2400);

    assertThat(lab.hw.count("ping")).isEqualTo(4);
    // Each probe's answer writes the device's statistics (seen healthy), and the machine with
    // them for its version check; the steps that start the probes write nothing.
    assertThat(machine("panda-1").version()).isEqualTo(stored.version() + 4);
    assertThat(machine("panda-1").deadline()).as("the re-armed probe deadline is not stored")
        .isEqualTo(stored.deadline());
    lab.lifeguard.close();
    lab.start(LifeguardPolicy.defaults());
    lab.tk.runDueTasks();
    assertThat(lab.hw.count("ping")).as("the stored deadline is past: probed at once")
        .isEqualTo(5);
    lab.advanceSeconds(600);
    assertThat(lab.hw.count("ping")).isEqualTo(6);
    assertThat(lab.state("panda-1")).isEqualTo(READY);
  }

  private MachineRecord machine(String device) {
    return lab.store.inTransaction(tx -> tx.machine(MachineKind.DEVICE, device)).orElseThrow();
  }

  @Test
  void idleDeviceWhoseImageHasAnAgentIsProbedByAgentVerify() {
    lab.panda("panda-1", READY);
    carry("panda-1", "b2g");

    lab.advanceSeconds(600);

    assertThat(lab.hw.journal).containsExactly("verify panda-1");
  }

  @Test
  void failedProbeSendsTheDeviceToSelfTest() {
    lab.panda("panda-1", READY);
    lab.hw.board("panda-1").ping = Outcome.FAIL;

    lab.advanceSeconds(600);

    assertThat(lab.transitions).contains("panda-1 ready->start_self_test");
    assertThat(lab.log("panda-1")).anySatisfy(l ->
        assertThat(l.message()).isEqualTo("health probe failed; self-testing"));
    lab.hw.board("panda-1").ping = Outcome.OK;
    assertThat(lab.runUntilState("panda-1", READY, Duration.ofMinutes(10))).isTrue();
  }

  @Test
  void probeThatHangsFailsAtItsDeadline() {
    lab.panda("panda-1", READY);
    lab.hw.board("panda-1").ping = Outcome.HANG;

    lab.advanceSeconds(609);
    assertThat(lab.state("panda-1")).isEqualTo(READY);
    lab.advanceSeconds(1);

    assertThat(lab.transitions).contains("panda-1 ready->start_self_test");
  }

  @Test
  void claimedDeviceIsNotProbed() {
    lab.panda("panda-1", READY);
    lab.hw.board("panda-1").ping = Outcome.FAIL;
    lab.claim("panda-1");

    lab.advance(Duration.ofHours(2));

    assertThat(lab.hw.journal).isEmpty();
    assertThat(lab.state("panda-1")).isEqualTo(READY);
  }

  @Test
  void releasedDeviceIsLeftAsItIsByDefault() {
    lab.panda("panda-1", READY);
    carry("panda-1", "b2g");

    lab.await(lab.lifeguard.released("panda-1"));
    lab.advanceSeconds(1);

    assertThat(lab.state("panda-1")).isEqualTo(READY);
    assertThat(lab.hw.journal).isEmpty();
  }

  @Test
  void powerCycleReleasePolicyPowerCyclesTheReturnedDevice() {
    lab.close();
    lab = new Lab(LifeguardPolicy.defaults().withReleasePolicy(ReleasePolicy.POWER_CYCLE));
    lab.panda("panda-1", READY);
    carry("panda-1", "b2g");

    lab.await(lab.lifeguard.released("panda-1"));
    assertThat(lab.state("panda-1")).isEqualTo("pc_power_cycling");
    assertThat(lab.runUntilState("panda-1", READY, Duration.ofMinutes(10))).isTrue();

    assertThat(lab.record("panda-1").image()).isEqualTo("b2g");
    assertThat(lab.results).isEmpty();
  }

  @Test
  void baselineReleasePolicyReimagesTheReturnedDevice() {
    lab.close();
    lab = new Lab(LifeguardPolicy.defaults().withReleaseReimage("android", Map.of("k", "v")));
    lab.panda("panda-1", READY);
    carry("panda-1", "b2g");

    lab.await(lab.lifeguard.released("panda-1"));
    assertThat(lab.transitions).contains("panda-1 ready->start_pxe_boot");
    assertThat(lab.runUntilState("panda-1", READY, Duration.ofMinutes(10))).isTrue();

    assertThat(lab.record("panda-1").image()).isEqualTo("android");
    assertThat(lab.record("panda-1").bootConfig()).isEqualTo(Map.of("k", "v"));
  }

  @Test
  void releasePolicyIsSkippedWhenTheDeviceWasClaimedAgainOrCannotAcceptIt() {
    lab.close();
    lab = new Lab(LifeguardPolicy.defaults().withReleasePolicy(ReleasePolicy.POWER_CYCLE));
    lab.panda("panda-1", READY);
    lab.panda("panda-2", "failed_self_test");
    lab.claim("panda-1");

    lab.await(lab.lifeguard.released("panda-1"));
    lab.await(lab.lifeguard.released("panda-2"));

    assertThat(lab.state("panda-1")).isEqualTo(READY);
    assertThat(lab.state("panda-2")).isEqualTo("failed_self_test");
    assertThat(lab.log("panda-1")).anySatisfy(l ->
        assertThat(l.message()).contains("already claimed again; release policy skipped"));
  }
}
