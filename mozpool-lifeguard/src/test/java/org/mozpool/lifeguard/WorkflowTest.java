package org.mozpool.lifeguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mozpool.DeviceStates.MAINTENANCE_MODE;
import static org.mozpool.DeviceStates.NEW;
import static org.mozpool.DeviceStates.READY;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mozpool.Image;
import org.mozpool.ImagingResult;
import org.mozpool.spi.DeviceRecord;

/** Each workflow of DESIGN §5.3–5.4 end to end, and what it reports. */
class WorkflowTest {
  private final Lab lab = new Lab();

  @AfterEach
  void close() {
    lab.close();
  }

  private List<String> transitionsOf(String device) {
    return lab.transitions.stream().filter(t -> t.startsWith(device + " "))
        .map(t -> t.substring(device.length() + 1)).toList();
  }

  private List<String> journalOf(String device) {
    return lab.hw.journal.stream().filter(s -> s.endsWith(" " + device)).toList();
  }

  @Test
  void imageWorkflowTakesAClaimedDeviceToReadyWithTheNewImageAndReportsComplete() {
    lab.panda("panda-1", READY);
    String request = lab.claim("panda-1");

    lab.await(lab.lifeguard.pleaseImage("panda-1", "b2g", Map.of("b2gbase", "http://builds/7"),
        lab.sender("panda-1")));
    assertThat(lab.runUntilState("panda-1", READY, Duration.ofMinutes(10))).isTrue();

    DeviceRecord d = lab.record("panda-1");
    assertThat(d.image()).isEqualTo("b2g");
    assertThat(d.bootConfig()).containsEntry("b2gbase", "http://builds/7");
    assertThat(d.nextImage()).isEmpty();
    assertThat(lab.claimResult("panda-1")).isEqualTo(ImagingResult.COMPLETE);
    assertThat(lab.results).containsExactly(request + " panda-1 complete");
    assertThat(transitionsOf("panda-1")).containsExactly(
        "ready->start_pxe_boot", "start_pxe_boot->pxe_power_cycling",
        "pxe_power_cycling->pxe_booting", "pxe_booting->live_init_started",
        "live_init_started->image_downloading", "image_downloading->image_extracting",
        "image_extracting->verifying", "verifying->storage_verifying",
        "storage_verifying->operation_complete", "operation_complete->ready");
  }

  @Test
  void pxeConfigIsWrittenWithDeviceTokenAndMacBeforePowerOnAndClearedOnceTheLiveImageCallsHome() {
    lab.panda("panda-1", READY);

    lab.await(lab.lifeguard.pleaseImage("panda-1", "b2g", Map.of("b2gbase", "u")));
    lab.runUntilState("panda-1", READY, Duration.ofMinutes(10));

    assertThat(journalOf("panda-1")).containsExactly("set-pxe b2g-panda panda-1",
        "power-cycle panda-1", "clear-pxe panda-1", "verify panda-1", "storage panda-1");
    DeviceRecord d = lab.record("panda-1");
    assertThat(d.callbackToken()).matches("[0-9a-f]{32}");
    assertThat(lab.hw.pxeValues.get("panda-1")).containsEntry("DEVICE", "panda-1")
        .containsEntry("TOKEN", d.callbackToken()).containsEntry("MAC", d.spec().mac());
    assertThat(lab.hw.pxe).doesNotContainKey("panda-1");
  }

  @Test
  void imageWithoutAgentIsCheckedByPingAfterRebootInsteadOfVerify() {
    lab.panda("panda-1", READY);

    lab.await(lab.lifeguard.pleaseImage("panda-1", "android", Map.of()));
    assertThat(lab.runUntilState("panda-1", READY, Duration.ofMinutes(10))).isTrue();

    assertThat(transitionsOf("panda-1")).contains("image_extracting->pc_rebooting",
        "pc_rebooting->pc_pinging", "pc_pinging->operation_complete");
    assertThat(journalOf("panda-1")).contains("ping panda-1").doesNotContain("verify panda-1");
    assertThat(lab.record("panda-1").image()).isEqualTo("android");
  }

  @Test
  void powerCycleClearsPxeConfigBeforeCyclingAndReportsCompleteKeepingTheImage() {
    lab.panda("panda-1", READY);
    lab.await(lab.lifeguard.pleaseImage("panda-1", "b2g", Map.of("b2gbase", "u")));
    lab.runUntilState("panda-1", READY, Duration.ofMinutes(10));
    String request = lab.claim("panda-1");
    lab.hw.journal.clear();
    lab.transitions.clear();

    lab.await(lab.lifeguard.pleasePowerCycle("panda-1", lab.sender("panda-1")));
    assertThat(lab.runUntilState("panda-1", READY, Duration.ofMinutes(10))).isTrue();

    assertThat(transitionsOf("panda-1")).containsExactly("ready->pc_power_cycling",
        "pc_power_cycling->pc_rebooting", "pc_rebooting->pc_pinging",
        "pc_pinging->operation_complete", "operation_complete->ready");
    assertThat(journalOf("panda-1")).containsExactly("clear-pxe panda-1", "power-cycle panda-1",
        "ping panda-1");
    assertThat(lab.record("panda-1").image()).isEqualTo("b2g");
    assertThat(lab.results).containsExactly(request + " panda-1 complete");
  }

  @Test
  void newDeviceSelfTestsWithTheSelfTestImageAndBecomesReadyWithoutImage() {
    lab.panda("panda-1", NEW);

    assertThat(lab.runUntilState("panda-1", READY, Duration.ofMinutes(10))).isTrue();

    assertThat(transitionsOf("panda-1")).containsExactly("new->start_self_test",
        "start_self_test->pxe_power_cycling", "pxe_power_cycling->pxe_booting",
        "pxe_booting->live_init_started", "live_init_started->self_test_running",
        "self_test_running->ready");
    assertThat(journalOf("panda-1")).startsWith("set-pxe self-test-panda panda-1",
        "power-cycle panda-1", "clear-pxe panda-1");
    DeviceRecord d = lab.record("panda-1");
    assertThat(d.image()).isEmpty();
    assertThat(d.nextImage()).isEmpty();
    assertThat(lab.results).isEmpty();
  }

  @Test
  void selfTestOnHardwareWithoutSelfTestPxeConfigIsAPlainPowerCycle() {
    lab.device("tegra-1", "tegra", NEW, "relay://bank/2/relay/1");

    assertThat(lab.runUntilState("tegra-1", READY, Duration.ofMinutes(10))).isTrue();

    assertThat(transitionsOf("tegra-1")).containsExactly("new->start_self_test",
        "start_self_test->pc_power_cycling", "pc_power_cycling->pc_rebooting",
        "pc_rebooting->pc_pinging", "pc_pinging->operation_complete", "operation_complete->ready");
    assertThat(lab.hw.count("set-pxe")).isZero();
  }

  @Test
  void failedSelfTestWaitsForAHuman() {
    lab.panda("panda-1", NEW);
    lab.hw.board("panda-1").selfTestPasses = false;

    assertThat(lab.runUntilState("panda-1", "failed_self_test", Duration.ofMinutes(10))).isTrue();
    lab.advance(Duration.ofDays(1));

    assertThat(lab.state("panda-1")).isEqualTo("failed_self_test");
    assertThat(lab.attention).singleElement().satisfies(a ->
        assertThat(a.device().state()).isEqualTo("failed_self_test"));
  }

  @Test
  void maintenanceKeepsThePxeConfigUntilTheDeviceReportsMaintMode() {
    lab.panda("panda-1", READY);

    lab.await(lab.lifeguard.pleaseStartMaintenance("panda-1"));
    assertThat(lab.runUntilState("panda-1", "live_init_started", Duration.ofMinutes(5))).isTrue();
    assertThat(lab.hw.pxe.get("panda-1").name()).isEqualTo("maintenance-panda");
    assertThat(lab.runUntilState("panda-1", MAINTENANCE_MODE, Duration.ofMinutes(5))).isTrue();
    lab.advanceSeconds(1);

    assertThat(lab.hw.pxe).doesNotContainKey("panda-1");
    assertThat(lab.record("panda-1").nextImage()).isEmpty();
    lab.advance(Duration.ofDays(2));
    assertThat(lab.state("panda-1")).isEqualTo(MAINTENANCE_MODE);
  }

  @Test
  void maintenanceModeIsLeftOnlyBySelfTestOrMaintenance() {
    lab.panda("panda-1", MAINTENANCE_MODE);

    lab.await(lab.lifeguard.pleaseSelfTest("panda-1"));

    assertThat(lab.runUntilState("panda-1", READY, Duration.ofMinutes(10))).isTrue();
  }

  @Test
  void originalDeviceScriptEventNamesAreAcceptedAsAliases() {
    lab.panda("panda-1", READY);
    FakeHardware.Board board = lab.hw.board("panda-1");
    board.originalEventNames = true;
    board.verify = FakeHardware.Outcome.HANG; // only the device's sut_verify_ok can advance

    lab.await(lab.lifeguard.pleaseImage("panda-1", "b2g", Map.of("b2gbase", "u")));
    assertThat(lab.runUntilState("panda-1", READY, Duration.ofMinutes(10))).isTrue();

    assertThat(board.posted).contains("b2g_downloading", "android_extracting", "b2g_rebooting",
        "sut_verify_ok");
    assertThat(lab.log("panda-1")).anySatisfy(l ->
        assertThat(l.message()).isEqualTo("image_downloading (reported as b2g_downloading)"));
  }

  @Test
  void operationCompleteMakesTheNextImageCurrent() {
    lab.panda("panda-1", READY);
    lab.hw.board("panda-1").storage = FakeHardware.Outcome.MANUAL;
    lab.await(lab.lifeguard.pleaseImage("panda-1", "b2g", Map.of("b2gbase", "one")));
    lab.runUntilState("panda-1", "storage_verifying", Duration.ofMinutes(10));
    lab.advanceSeconds(1);

    DeviceRecord before = lab.record("panda-1");
    assertThat(before.image()).isEmpty();
    assertThat(before.nextImage()).isEqualTo("b2g");

    lab.hw.completePending(0);
    lab.advanceSeconds(1);
    DeviceRecord after = lab.record("panda-1");
    assertThat(lab.state("panda-1")).isEqualTo(READY);
    assertThat(after.image()).isEqualTo("b2g");
    assertThat(after.bootConfig()).isEqualTo(Map.of("b2gbase", "one"));
    assertThat(after.nextImage()).isEmpty();
    assertThat(after.nextBootConfig()).isEmpty();
  }

  @Test
  void unexpectedDeviceEventsAreIgnoredAndLogged() {
    lab.panda("panda-1", READY);

    lab.await(lab.lifeguard.deviceEvent("panda-1", "image_rebooting", Map.of()));
    lab.await(lab.lifeguard.deviceEvent("panda-1", "power_cycle_ok", Map.of()));

    assertThat(lab.state("panda-1")).isEqualTo(READY);
    assertThat(lab.log("panda-1")).extracting(l -> l.message()).contains(
        "ignored event image_rebooting in state ready",
        "ignored unknown device event 'power_cycle_ok' in state ready");
  }

  @Test
  void selfTestImageNameIsTheDocumentedOne() {
    assertThat(Image.SELF_TEST).isEqualTo("self-test");
  }
}
