package org.mozpool.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mozpool.server.api.ApiLab.CLIENT;
import static org.mozpool.server.api.ApiLab.OPERATOR;
import static org.mozpool.server.api.ApiLab.assertError;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mozpool.DeviceStates;
import org.mozpool.RequestStates;
import org.mozpool.testkit.relay.RelayBoardEmulator;

/**
 * Requests and leases over HTTP. The lab's pandas never become ready (no relays), so requests for
 * {@code any} wait in {@code finding_device}; panda-h sits on a relay board that hangs, so once it
 * is forced to {@code ready} a request claims it and keeps it while the power cycle hangs.
 */
class RequestRoutesTest {

  @TempDir
  static Path dir;
  static RelayBoardEmulator hungBoard;
  static ApiLab lab;

  @BeforeAll
  static void start() {
    hungBoard = RelayBoardEmulator.start().fault(RelayBoardEmulator.Fault.HANG);
    lab = ApiLab.start(dir, Labs.OFFLINE + """
          - {name: panda-h, mac: "00:11:22:33:44:0f", hardware: panda, environment: production,
             power: "%s"}
        """.formatted(hungBoard.powerAddress(1, 1)));
  }

  @AfterAll
  static void stop() {
    lab.close();
    hungBoard.close();
  }

  private static Map<String, Object> b2g() {
    Map<String, Object> body = new HashMap<>();
    body.put("assignee", "slave-17");
    body.put("duration", 600);
    body.put("image", "b2g");
    body.put("b2gbase", "http://builds.example/b2g/42/");
    return body;
  }

  private String file(Map<String, Object> body) {
    ApiLab.Answer a = lab.post("/api/device/any/request/", CLIENT, body);
    assertThat(a.status()).as(a.body()).isEqualTo(200);
    return a.json().get("request").get("id").asText();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/api/device/any/request", "/api/device/any/request/"})
  void requestingAnyDeviceAnswersTheRequestWithItsUrl(String path) {
    ApiLab.Answer a = lab.post(path, CLIENT, b2g());
    assertThat(a.status()).as(a.body()).isEqualTo(200);
    JsonNode r = a.json().get("request");
    String id = r.get("id").asText();
    assertThat(r.get("url").asText()).isEqualTo(lab.server.uri() + "/api/request/" + id + "/");
    assertThat(r.get("requested_device").asText()).isEqualTo("any");
    assertThat(r.get("assignee").asText()).isEqualTo("slave-17");
    assertThat(r.get("image").asText()).isEqualTo("b2g");
    assertThat(r.get("environment").asText()).isEqualTo("any");
    assertThat(r.get("assigned_device").asText()).isEmpty();
    assertThat(r.get("boot_config").asText())
        .isEqualTo("{\"b2gbase\":\"http://builds.example/b2g/42/\"}");
    assertThat(Instant.parse(r.get("expires").asText()))
        .isAfter(Instant.now().plusSeconds(590)).isBefore(Instant.now().plusSeconds(610));
    assertThat(lab.server.pool().findRequest(id).orElseThrow().spec().bootConfig())
        .containsEntry("b2gbase", "http://builds.example/b2g/42/");
    assertThat(lab.get("/api/request/" + id + "/log/", CLIENT).body())
        .contains("filed through the REST API by 'ci'");
  }

  @Test
  void theClientLibrarysBodyIsTaken() {
    // mozpoolclient sends b2gbase null for other images, environment 'any', maybe pxe_config
    Map<String, Object> body = new HashMap<>();
    body.put("assignee", "user-host");
    body.put("duration", "1800");
    body.put("image", "android");
    body.put("environment", "any");
    body.put("b2gbase", null);
    body.put("pxe_config", null);
    String id = file(body);
    assertThat(lab.server.pool().findRequest(id).orElseThrow().spec().leaseDuration())
        .hasSeconds(1800);
  }

  @Test
  void anEnvironmentLimitsTheRequest() {
    Map<String, Object> body = b2g();
    body.put("environment", "staging");
    String id = file(body);
    assertThat(lab.server.pool().findRequest(id).orElseThrow().spec().environment())
        .isEqualTo("staging");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "",
      "{}",
      "not json",
      "[1, 2]",
      "{\"duration\": 60, \"image\": \"android\"}",
      "{\"assignee\": \"a\", \"image\": \"android\"}",
      "{\"assignee\": \"a\", \"duration\": 60}",
      "{\"assignee\": 5, \"duration\": 60, \"image\": \"android\"}",
      "{\"assignee\": \"a\", \"duration\": \"soon\", \"image\": \"android\"}",
      "{\"assignee\": \"a\", \"duration\": 1.5, \"image\": \"android\"}",
      "{\"assignee\": \"a\", \"duration\": 0, \"image\": \"android\"}",
      "{\"assignee\": \"a\", \"duration\": -5, \"image\": \"android\"}",
      "{\"assignee\": \"a\", \"duration\": 99999999999999, \"image\": \"android\"}",
      "{\"assignee\": \"a\", \"duration\": 60, \"image\": [\"android\"]}",
      "{\"assignee\": \"a\", \"duration\": 60, \"image\": \"android\", \"environment\": 3}",
      "{\"assignee\": \"a\", \"duration\": 60, \"image\": \"b2g\"}",
      "{\"assignee\": \"a\", \"duration\": 60, \"image\": \"b2g\", \"b2gbase\": null}",
      "{\"assignee\": \"a\", \"duration\": 60, \"image\": \"b2g\", \"b2gbase\": 7}",
      "{\"assignee\": \"a\", \"duration\": 60, \"image\": \"maintenance\"}",
      "{\"assignee\": \"a\", \"duration\": 60, \"image\": \"android\", \"environment\": \"mars\"}"})
  void aBadRequestIsA400AndFilesNothing(String body) {
    int before = lab.server.pool().requests().size();
    assertError(lab.post("/api/device/any/request/", CLIENT, body), 400);
    assertThat(lab.server.pool().requests()).hasSize(before);
  }

  @Test
  void anUnknownImageOrDeviceIsA404AndFilesNothing() {
    int before = lab.server.pool().requests().size();
    Map<String, Object> body = b2g();
    body.put("image", "windows");
    assertError(lab.post("/api/device/any/request/", CLIENT, body), 404);
    assertError(lab.post("/api/device/panda-99/request/", CLIENT, b2g()), 404);
    assertThat(lab.server.pool().requests()).hasSize(before);
  }

  @Test
  void detailsStatusAndLogDescribeTheRequest() {
    String id = file(b2g());
    for (String path : List.of("/api/request/" + id + "/details", "/api/request/" + id
        + "/details/")) {
      ApiLab.Answer d = lab.get(path, CLIENT);
      assertThat(d.status()).isEqualTo(200);
      assertThat(d.json().get("id").asText()).isEqualTo(id);
      assertThat(d.json().get("url").asText()).endsWith("/api/request/" + id + "/");
      assertThat(d.json().get("assignee").asText()).isEqualTo("slave-17");
      assertThat(d.json().has("expires")).isTrue();
    }
    for (String path : List.of("/api/request/" + id + "/status", "/api/request/" + id
        + "/status/")) {
      ApiLab.Answer s = lab.get(path, CLIENT);
      assertThat(s.status()).isEqualTo(200);
      assertThat(s.json().get("state").asText())
          .isIn(RequestStates.NEW, RequestStates.FINDING_DEVICE);
      assertThat(s.json().get("log").isArray()).isTrue();
    }
    ApiLab.Answer log = lab.get("/api/request/" + id + "/log", CLIENT);
    assertThat(log.status()).isEqualTo(200);
    assertThat(log.json().get("log").get(0).get("source").asText()).isEqualTo("api");
  }

  @ParameterizedTest
  @ValueSource(strings = {"details", "status", "log"})
  void readingAnUnknownRequestIsA404(String what) {
    assertError(lab.get("/api/request/no-such-request/" + what + "/", CLIENT), 404);
    assertError(lab.get("/api/request/17/" + what, CLIENT), 404);
  }

  @Test
  void renewSetsTheRemainingTime() {
    String id = file(b2g());
    ApiLab.Answer a = lab.post("/api/request/" + id + "/renew/", CLIENT, Map.of("duration", 7200));
    assertThat(a.status()).as(a.body()).isEqualTo(204);
    assertThat(lab.server.pool().findRequest(id).orElseThrow().expiresAt())
        .isAfter(Instant.now().plusSeconds(7100));
    assertThat(lab.post("/api/request/" + id + "/renew", OPERATOR, Map.of("duration", 60))
        .status()).isEqualTo(204);
    assertThat(lab.server.pool().findRequest(id).orElseThrow().expiresAt())
        .isBefore(Instant.now().plusSeconds(120));
    assertThat(lab.get("/api/request/" + id + "/log/", CLIENT).body())
        .contains("by 'ci'").contains("by 'alice'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "{}", "{\"duration\": \"abcd\"}", "{\"duration\": 0}",
      "{\"duration\": null}", "{\"duration\": 2.5}", "[3600]", "{oops"})
  void renewWithABadDurationIsA400AndChangesNothing(String body) {
    String id = file(b2g());
    Instant expires = lab.server.pool().findRequest(id).orElseThrow().expiresAt();
    assertError(lab.post("/api/request/" + id + "/renew/", CLIENT, body), 400);
    assertThat(lab.server.pool().findRequest(id).orElseThrow().expiresAt()).isEqualTo(expires);
  }

  @Test
  void returnClosesTheRequestAndReturningAgainChangesNothing() {
    String id = file(b2g());
    assertThat(lab.post("/api/request/" + id + "/return/", CLIENT, "{}").status()).isEqualTo(204);
    assertThat(lab.server.pool().findRequest(id).orElseThrow().state())
        .isEqualTo(RequestStates.CLOSED);
    assertThat(lab.post("/api/request/" + id + "/return", CLIENT, "").status()).isEqualTo(204);
    assertThat(lab.get("/api/request/" + id + "/status/", CLIENT).json().get("state").asText())
        .isEqualTo(RequestStates.CLOSED);
    // a closed lease cannot be renewed
    assertError(lab.post("/api/request/" + id + "/renew/", CLIENT, Map.of("duration", 60)), 409);
  }

  @Test
  void aClientMayRenewAndReturnARequestAnotherTokenFiledAndTheLogNamesEach() {
    ApiLab.Answer filed = lab.post("/api/device/any/request/", OPERATOR, b2g());
    assertThat(filed.status()).isEqualTo(200);
    String id = filed.json().get("request").get("id").asText();
    assertThat(lab.post("/api/request/" + id + "/renew/", CLIENT, Map.of("duration", 900))
        .status()).isEqualTo(204);
    assertThat(lab.post("/api/request/" + id + "/return/", CLIENT, "{}").status()).isEqualTo(204);
    assertThat(lab.server.pool().findRequest(id).orElseThrow().state())
        .isEqualTo(RequestStates.CLOSED);
    String log = lab.get("/api/request/" + id + "/log/", CLIENT).body();
    assertThat(log).contains("filed through the REST API by 'alice'")
        .contains("renewed for 900 s through the REST API by 'ci'")
        .contains("returned through the REST API by 'ci'");
  }

  @Test
  void renewOrReturnOfAnUnknownRequestIsA404() {
    assertError(lab.post("/api/request/nope/renew/", CLIENT, Map.of("duration", 60)), 404);
    assertError(lab.post("/api/request/nope/return/", CLIENT, "{}"), 404);
  }

  @Test
  void returnWithAMalformedBodyIsA400AndChangesNothing() {
    String id = file(b2g());
    assertError(lab.post("/api/request/" + id + "/return/", CLIENT, "{nope"), 400);
    assertThat(lab.server.pool().findRequest(id).orElseThrow().isTerminal()).isFalse();
  }

  @Test
  void requestListOmitsClosedRequestsUnlessAsked() {
    String open = file(b2g());
    String closed = file(b2g());
    assertThat(lab.post("/api/request/" + closed + "/return/", CLIENT, "{}").status())
        .isEqualTo(204);
    for (String path : List.of("/api/request/list", "/api/request/list/")) {
      ApiLab.Answer a = lab.get(path, CLIENT);
      assertThat(a.status()).isEqualTo(200);
      assertThat(ids(a.json().get("requests"))).contains(open).doesNotContain(closed);
    }
    ApiLab.Answer all = lab.get("/api/request/list/?include_closed=1", CLIENT);
    assertThat(ids(all.json().get("requests"))).contains(open, closed);
    JsonNode first = all.json().get("requests").get(0);
    for (String key : List.of("id", "assignee", "assigned_device", "boot_config", "device_state",
        "expires", "imaging_server", "requested_device", "state", "environment")) {
      assertThat(first.has(key)).as(key).isTrue();
    }
  }

  private static List<String> ids(JsonNode requests) {
    List<String> out = new ArrayList<>();
    requests.forEach(r -> out.add(r.get("id").asText()));
    return out;
  }

  @Test
  void aNamedDeviceHeldByAnotherRequestIsAnswered409WithTheFailedRequest() {
    // panda-h's start-up power cycle hangs on its board; an operator declares it ready
    lab.awaitDeviceState("panda-h", DeviceStates.PC_POWER_CYCLING);
    assertThat(lab.post("/api/device/panda-h/state-change/pc_power_cycling/to/ready/", OPERATOR,
        "").status()).isEqualTo(200);
    Map<String, Object> first = new HashMap<>(Map.of("assignee", "first", "duration", 600,
        "image", "android", "environment", "production"));
    ApiLab.Answer held = lab.post("/api/device/any/request/", CLIENT, first);
    assertThat(held.status()).as(held.body()).isEqualTo(200);
    // this request, or an earlier test's request for any device, claims it
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20))
        .until(() -> lab.server.pool().inventory().device("panda-h").claimedBy().isPresent());
    String holder = lab.server.pool().inventory().device("panda-h").claimedBy().orElseThrow();

    Map<String, Object> second = new HashMap<>(Map.of("assignee", "second", "duration", 600,
        "image", "android"));
    ApiLab.Answer busy = lab.post("/api/device/panda-h/request", CLIENT, second);
    assertThat(busy.status()).as(busy.body()).isEqualTo(409);
    assertThat(busy.error()).contains(holder);
    JsonNode r = busy.json().get("request");
    assertThat(r.get("state").asText()).isEqualTo(RequestStates.FAILED_DEVICE_BUSY);
    assertThat(r.get("requested_device").asText()).isEqualTo("panda-h");
    assertThat(lab.server.pool().inventory().device("panda-h").claimedBy()).contains(holder);

    // operators cannot pull the device from under the lease either
    assertError(lab.get("/api/device/panda-h/power-off/", OPERATOR), 409);
    assertError(lab.post("/api/device/panda-h/power-cycle/", OPERATOR, "{}"), 409);
    assertError(lab.post("/api/device/panda-h/clear-pxe/", OPERATOR, "{}"), 409);
    assertThat(lab.server.pool().inventory().device("panda-h").claimedBy()).contains(holder);

    assertThat(lab.post("/api/request/" + holder + "/return/", CLIENT, "{}").status())
        .isEqualTo(204);
  }
}
