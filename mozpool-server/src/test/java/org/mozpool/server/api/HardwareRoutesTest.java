package org.mozpool.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mozpool.server.api.ApiLab.CLIENT;
import static org.mozpool.server.api.ApiLab.OPERATOR;
import static org.mozpool.server.api.ApiLab.assertError;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mozpool.DeviceStates;

/** The operators' hardware routes against a relay-board emulator and a ping target. */
class HardwareRoutesTest {

  @TempDir
  static Path dir;
  static WiredLab wired;
  static ApiLab lab;

  @BeforeAll
  static void start() {
    wired = new WiredLab(dir);
    lab = wired.api;
    lab.awaitDeviceState("panda-1", DeviceStates.READY);
    lab.awaitDeviceState("panda-2", DeviceStates.READY);
    lab.awaitDeviceState("panda-dark", DeviceStates.FAILED_POWER_CYCLING);
  }

  @AfterAll
  static void stop() {
    wired.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/api/relay/relay-1/test", "/api/relay/relay-1/test/"})
  void relayTestSpeaksTheTwoWayTestToTheBoard(String path) {
    wired.board.clearRecords();
    ApiLab.Answer a = lab.get(path, OPERATOR);
    assertThat(a.status()).as(a.body()).isEqualTo(200);
    assertThat(a.json().get("success").asBoolean()).isTrue();
    assertThat(wired.board.commandsHex()).contains("fe 21");
  }

  @Test
  void relayTestOfABoardThatDoesNotAnswerIsUnsuccessful() {
    ApiLab.Answer a = lab.get("/api/relay/relay-dead/test/", OPERATOR);
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.json().get("success").asBoolean()).isFalse();
  }

  @Test
  void relayTestOfAnUnknownBoardIsA404() {
    assertError(lab.get("/api/relay/relay-99/test/", OPERATOR), 404);
  }

  @Test
  void pingSaysWhetherTheDeviceAnswers() {
    ApiLab.Answer up = lab.get("/api/device/panda-1/ping/", OPERATOR);
    assertThat(up.status()).isEqualTo(200);
    assertThat(up.json().get("success").asBoolean()).isTrue();
    ApiLab.Answer down = lab.get("/api/device/panda-dark/ping", OPERATOR);
    assertThat(down.status()).isEqualTo(200);
    assertThat(down.json().get("success").asBoolean()).isFalse();
    assertError(lab.get("/api/device/nope/ping/", OPERATOR), 404);
  }

  @Test
  void powerCycleAsksLifeguardWhichCyclesTheRelayAndComesBackReady() {
    wired.board.clearRecords();
    ApiLab.Answer a = lab.post("/api/device/panda-1/power-cycle/", OPERATOR, "{}");
    assertThat(a.status()).as(a.body()).isEqualTo(200);
    assertThat(a.json().isObject()).isTrue();
    Awaitility.await().atMost(Duration.ofSeconds(10))
        .until(() -> wired.board.commandsHex().contains("fe 6c 01"));
    lab.awaitDeviceState("panda-1", DeviceStates.READY);
    assertThat(wired.board.devicePowered(1, 1)).isTrue();
    assertThat(lab.get("/api/device/panda-1/log/", CLIENT).body()).contains("alice");
  }

  @Test
  void powerCycleWithAPxeConfigIsA400AndChangesNothing() {
    String state = lab.server.pool().inventory().device("panda-2").state();
    assertError(lab.post("/api/device/panda-2/power-cycle", OPERATOR,
        Map.of("pxe_config", "b2g-panda")), 400);
    assertError(lab.post("/api/device/panda-2/power-cycle", OPERATOR, "{bad"), 400);
    assertThat(lab.server.pool().inventory().device("panda-2").state()).isEqualTo(state);
  }

  @Test
  void powerCycleInAStateThatRefusesItIsA409() {
    assertError(lab.post("/api/device/panda-dark/power-cycle/", OPERATOR, "{}"), 409);
    assertThat(lab.server.pool().inventory().device("panda-dark").state())
        .isEqualTo(DeviceStates.FAILED_POWER_CYCLING);
    assertError(lab.post("/api/device/nope/power-cycle/", OPERATOR, "{}"), 404);
  }

  @Test
  void powerOffSwitchesTheDevicesRelayOn() {
    ApiLab.Answer a = lab.get("/api/device/panda-2/power-off/", OPERATOR);
    assertThat(a.status()).as(a.body()).isEqualTo(200);
    Awaitility.await().atMost(Duration.ofSeconds(10))
        .until(() -> !wired.board.devicePowered(1, 2));
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
        lab.get("/api/device/panda-2/log/", CLIENT).body().contains("powered off for 'alice'"));
  }

  @Test
  void powerOffOfADeviceWithoutARelayIsA409AndOfAnUnknownOneA404() {
    assertError(lab.get("/api/device/panda-dark/power-off", OPERATOR), 409);
    assertError(lab.get("/api/device/nope/power-off/", OPERATOR), 404);
  }

  @Test
  void aDeviceAnotherInstanceDrivesIsLeftToThatInstance() {
    org.mozpool.DeviceSpec spec = lab.server.pool().inventory().device("panda-dark").spec();
    org.mozpool.DeviceSpec elsewhere = new org.mozpool.DeviceSpec(spec.name(), spec.fqdn(),
        spec.mac(), spec.hardwareType(), spec.hardwareModel(), spec.environment(), spec.tags(),
        "proxr://127.0.0.1:1/bank/1/relay/1", "other-lab", spec.comments());
    wired.store.inTransaction(tx -> {
      tx.updateDeviceSpec(elsewhere);
      return null;
    });
    try {
      assertError(lab.get("/api/device/panda-dark/ping/", OPERATOR), 409);
      assertError(lab.get("/api/device/panda-dark/power-off/", OPERATOR), 409);
      assertError(lab.post("/api/device/panda-dark/clear-pxe/", OPERATOR, "{}"), 409);
    } finally {
      wired.store.inTransaction(tx -> {
        tx.updateDeviceSpec(spec);
        return null;
      });
    }
  }

  @Test
  void clearPxeRemovesTheDevicesPxeConfigFile() throws Exception {
    Path file = dir.resolve("tftp/pxelinux.cfg/01-00-11-22-33-55-03");
    Files.createDirectories(file.getParent());
    Files.writeString(file, "DEFAULT something");
    ApiLab.Answer a = lab.post("/api/device/panda-dark/clear-pxe/", OPERATOR, "{}");
    assertThat(a.status()).as(a.body()).isEqualTo(200);
    assertThat(file).doesNotExist();
    assertThat(lab.post("/api/device/panda-dark/clear-pxe", OPERATOR, "").status())
        .isEqualTo(200);
    assertError(lab.post("/api/device/nope/clear-pxe/", OPERATOR, "{}"), 404);
  }
}
