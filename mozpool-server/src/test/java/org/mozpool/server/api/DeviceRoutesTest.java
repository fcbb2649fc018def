package org.mozpool.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mozpool.server.api.ApiLab.CLIENT;
import static org.mozpool.server.api.ApiLab.OPERATOR;
import static org.mozpool.server.api.ApiLab.assertError;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mozpool.DeviceStates;

class DeviceRoutesTest {

  @TempDir
  static Path dir;
  static ApiLab lab;

  @BeforeAll
  static void start() {
    lab = ApiLab.start(dir, Labs.OFFLINE);
    lab.awaitDeviceState("panda-1", DeviceStates.FAILED_POWER_CYCLING);
    lab.awaitDeviceState("panda-2", DeviceStates.FAILED_POWER_CYCLING);
  }

  @AfterAll
  static void stop() {
    lab.close();
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"/api/device/list", "/api/device/list/"})
  void deviceListNamesEveryDevice(String path) {
    ApiLab.Answer a = lab.get(path, CLIENT);
    assertThat(a.status()).isEqualTo(200);
    assertThat(texts(a.json().get("devices"))).containsExactly("panda-1", "panda-2");
  }

  @Test
  void deviceListWithDetailsGivesTheOriginalsKeys() {
    ApiLab.Answer a = lab.get("/api/device/list/?details=1", CLIENT);
    assertThat(a.status()).isEqualTo(200);
    JsonNode d = a.json().get("devices").get(0);
    assertThat(d.get("name").asText()).isEqualTo("panda-1");
    assertThat(d.get("mac_address").asText()).isEqualTo("001122334401");
    assertThat(d.get("fqdn").asText()).isEqualTo("panda-1");
    assertThat(d.get("imaging_server").asText()).isEqualTo("api-test");
    assertThat(d.get("relay_info").asText()).isEmpty();
    assertThat(d.get("state").asText()).isEqualTo(DeviceStates.FAILED_POWER_CYCLING);
    assertThat(d.get("environment").asText()).isEqualTo("production");
    assertThat(d.get("comments").asText()).isEqualTo("top shelf");
    assertThat(d.get("boot_config").asText()).isEqualTo("{}");
    assertThat(d.get("request_id").isNull()).isTrue();
    assertThat(d.has("id")).isTrue();
    assertThat(d.has("inventory_id")).isTrue();
    assertThat(d.has("image")).isTrue();
    // ?details with any value, or none
    assertThat(lab.get("/api/device/list?details", CLIENT).json().get("devices").get(0)
        .isObject()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/api/device/panda-1/stats", "/api/device/panda-1/stats/"})
  void deviceStatsCountTheFailedSelfTestOfADeviceWithoutPowerAddress(String path) {
    ApiLab.Answer a = lab.get(path, CLIENT);
    assertThat(a.status()).isEqualTo(200);
    JsonNode s = a.json().get("stats");
    // Its first self-test (a power cycle on this hardware) could not cycle: no power address.
    assertThat(s.get("family").asText()).isEqualTo("failed");
    assertThat(s.get("failures").asLong()).isEqualTo(1);
    assertThat(s.get("failures_by_state").get(DeviceStates.FAILED_POWER_CYCLING).asLong())
        .isEqualTo(1);
    assertThat(s.get("failures_by_state").size()).isEqualTo(1);
    assertThat(s.get("self_tests_failed").asLong()).isEqualTo(1);
    assertThat(s.get("self_tests_passed").asLong()).isZero();
    assertThat(s.get("power_cycles").asLong()).isZero();
    assertThat(s.get("quarantines").asLong()).isZero();
    assertThat(s.get("times_imaged").isObject()).isTrue();
    assertThat(s.get("times_imaged").size()).isZero();
    assertThat(s.get("last_seen_healthy").isNull()).isTrue();
    assertThat(s.get("time_in_family_s").isObject()).isTrue();
    assertThat(s.get("time_in_family_last_7_days_s").isObject()).isTrue();
    assertThat(s.get("mean_time_between_failures_s").isIntegralNumber()).isTrue();
    assertThat(java.time.Instant.parse(s.get("since").asText()))
        .isBeforeOrEqualTo(java.time.Instant.parse(s.get("as_of").asText()));
  }

  @Test
  void deviceListWithDetailsCarriesEachDevicesStats() {
    JsonNode devices = lab.get("/api/device/list/?details", CLIENT).json().get("devices");
    assertThat(devices.size()).isEqualTo(2);
    // panda-1 stays as it started; other tests move panda-2 out of its failed state and back
    JsonNode panda1 = devices.get(0).get("stats");
    assertThat(panda1.get("failures_by_state").get(DeviceStates.FAILED_POWER_CYCLING).asLong())
        .isEqualTo(1);
    assertThat(panda1.get("self_tests_failed").asLong()).isEqualTo(1);
    JsonNode panda2 = devices.get(1).get("stats");
    assertThat(panda2.get("failures_by_state").get(DeviceStates.FAILED_POWER_CYCLING).asLong())
        .isPositive();
    assertThat(panda2.get("self_tests_failed").asLong()).isEqualTo(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"/api/device/panda-1/status", "/api/device/panda-1/status/"})
  void deviceStatusGivesStateAndRecentLog(String path) {
    ApiLab.Answer a = lab.get(path, CLIENT);
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.json().get("state").asText()).isEqualTo(DeviceStates.FAILED_POWER_CYCLING);
    JsonNode first = a.json().get("log").get(0);
    assertThat(first.get("timestamp").asText()).endsWith("Z");
    assertThat(first.has("source")).isTrue();
    assertThat(first.has("message")).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/api/device/panda-2/state", "/api/device/panda-2/state/"})
  void deviceStateGivesOnlyTheState(String path) {
    ApiLab.Answer a = lab.get(path, CLIENT);
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.json().size()).isEqualTo(1);
    assertThat(a.json().get("state").asText()).isEqualTo(DeviceStates.FAILED_POWER_CYCLING);
  }

  @Test
  void deviceLogTakesLimitAndTimePeriod() {
    int all = lab.get("/api/device/panda-1/log/", CLIENT).json().get("log").size();
    assertThat(all).isGreaterThan(1);
    assertThat(lab.get("/api/device/panda-1/log?limit=1", CLIENT).json().get("log").size())
        .isEqualTo(1);
    assertThat(lab.get("/api/device/panda-1/log/?timeperiod=3600&limit=2", CLIENT).json()
        .get("log").size()).isEqualTo(2);
    assertThat(lab.get("/api/device/panda-1/log/?timeperiod=0", CLIENT).json().get("log").size())
        .isLessThan(all);
  }

  @ParameterizedTest
  @ValueSource(strings = {"?limit=abc", "?limit=-1", "?timeperiod=1.5", "?timeperiod="})
  void deviceLogWithABadQueryIsA400(String query) {
    assertError(lab.get("/api/device/panda-1/log/" + query, CLIENT), 400);
  }

  @ParameterizedTest
  @ValueSource(strings = {"status", "state", "log", "stats"})
  void readingAnUnknownDeviceIsA404(String what) {
    assertError(lab.get("/api/device/panda-99/" + what + "/", CLIENT), 404);
  }

  @Test
  void stateChangeMovesTheDeviceOnlyFromTheNamedState() {
    ApiLab.Answer wrong = lab.post("/api/device/panda-2/state-change/ready/to/troubleshooting/",
        OPERATOR, "");
    assertError(wrong, 409);
    assertThat(lab.server.pool().inventory().device("panda-2").state())
        .isEqualTo(DeviceStates.FAILED_POWER_CYCLING);

    ApiLab.Answer ok = lab.post("/api/device/panda-2/state-change/failed_power_cycling/to/"
        + "troubleshooting", OPERATOR, "");
    assertThat(ok.status()).as(ok.body()).isEqualTo(200);
    assertThat(ok.json().isObject()).isTrue();
    assertThat(lab.server.pool().inventory().device("panda-2").state())
        .isEqualTo(DeviceStates.TROUBLESHOOTING);
    assertThat(lab.get("/api/device/panda-2/log/", CLIENT).body()).contains("'alice'");

    ApiLab.Answer back = lab.post("/api/device/panda-2/state-change/troubleshooting/to/"
        + "failed_power_cycling/", OPERATOR, "{}");
    assertThat(back.status()).isEqualTo(200);
  }

  @Test
  void stateChangeToAStateThatDoesNotExistIsA400AndChangesNothing() {
    assertError(lab.post("/api/device/panda-1/state-change/failed_power_cycling/to/redy/",
        OPERATOR, ""), 400);
    assertThat(lab.server.pool().inventory().device("panda-1").state())
        .isEqualTo(DeviceStates.FAILED_POWER_CYCLING);
  }

  @Test
  void stateChangeOfAnUnknownDeviceIsA404() {
    assertError(lab.post("/api/device/nope/state-change/ready/to/troubleshooting/", OPERATOR,
        ""), 404);
  }

  @Test
  void setCommentsReplacesTheComments() {
    ApiLab.Answer a = lab.post("/api/device/panda-1/set-comments", OPERATOR,
        Map.of("comments", "loose cable"));
    assertThat(a.status()).isEqualTo(200);
    assertThat(lab.server.pool().inventory().device("panda-1").spec().comments())
        .isEqualTo("loose cable");
    assertThat(lab.post("/api/device/panda-1/set-comments/", OPERATOR,
        Map.of("comments", "top shelf")).status()).isEqualTo(200);
  }

  @ParameterizedTest
  @ValueSource(strings = {"{}", "{\"comments\": 5}", "{\"comments\": null}", "[\"x\"]", "{bad",
      "\"comments\""})
  void setCommentsWithABadBodyIsA400AndChangesNothing(String body) {
    assertError(lab.post("/api/device/panda-1/set-comments/", OPERATOR, body), 400);
    assertThat(lab.server.pool().inventory().device("panda-1").spec().comments())
        .isEqualTo("top shelf");
  }

  @Test
  void setEnvironmentMovesTheDeviceAndEnvironmentListFollows() {
    ApiLab.Answer a = lab.post("/api/device/panda-2/set-environment/", OPERATOR,
        Map.of("environment", "lab"));
    assertThat(a.status()).isEqualTo(200);
    assertThat(texts(lab.get("/api/environment/list/", CLIENT).json().get("environments")))
        .containsExactly("lab", "production");
    assertThat(lab.post("/api/device/panda-2/set-environment", OPERATOR,
        Map.of("environment", "staging")).status()).isEqualTo(200);
    assertThat(texts(lab.get("/api/environment/list", CLIENT).json().get("environments")))
        .containsExactly("production", "staging");
  }

  @ParameterizedTest
  @ValueSource(strings = {"{}", "{\"environment\": \"\"}", "{\"environment\": \"no spaces\"}",
      "{\"environment\": [1]}", "not json"})
  void setEnvironmentWithABadBodyIsA400AndChangesNothing(String body) {
    assertError(lab.post("/api/device/panda-1/set-environment/", OPERATOR, body), 400);
    assertThat(lab.server.pool().inventory().device("panda-1").spec().environment())
        .isEqualTo("production");
  }

  @Test
  void settingAnUnknownDeviceIsA404() {
    assertError(lab.post("/api/device/nope/set-comments/", OPERATOR, Map.of("comments", "x")),
        404);
    assertError(lab.post("/api/device/nope/set-environment/", OPERATOR,
        Map.of("environment", "x")), 404);
  }
}
