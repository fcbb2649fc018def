package org.mozpool.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.jdbc.JdbcPoolStore;
import org.mozpool.server.ConfigLoader;
import org.mozpool.server.MozpoolServer;
import org.mozpool.spi.InstanceRecord;

/**
 * Two instances sharing one PostgreSQL database (DESIGN §9), each a whole server with its own
 * HTTP port, TFTP root and lab network, as the REST API shows them: any instance answers for any
 * request, has a change of a request another instance drives made there (through the database's
 * outbox), says when
 * that instance does not answer (503), and names the instance driving each device and request; a
 * live instance adopts a closed one's requests, and its standby its devices.
 *
 * <p>Liveness is real time (it is judged on the database's clock): heartbeats every 200 ms, dead
 * after 1.5 s of silence.
 */
class SeveralInstancesApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String FAST = "heartbeat_ms: 200, dead_after_ms: 1500, event_poll_ms: 200";
  /** Liveness so slow that the instance never looks at the others during a test. */
  private static final String SLOW = "heartbeat_ms: 600000, dead_after_ms: 1800000";

  @TempDir
  Path dir;

  private FreshPostgres database;
  private final List<MozpoolServer> servers = new ArrayList<>();
  private final HttpClient noRedirects = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).followRedirects(HttpClient.Redirect.NEVER).build();

  @BeforeEach
  void freshDatabase() {
    database = FreshPostgres.create();
  }

  @AfterEach
  void closeEverything() throws Exception {
    servers.forEach(MozpoolServer::close);
    if (database != null) {
      database.close();
    }
  }

  @Test
  void aRequestFiledOnOneInstanceIsRenewedAndReturnedThroughAnother() {
    MozpoolServer a = start("a", "net-a", List.of(), FAST, 1);
    MozpoolServer b = start("b", "net-b", List.of("net-a"), FAST, 2);
    String id = file(a);

    // b does not drive the request: the change goes to a through the database's outbox, and b
    // answers with a's outcome (no redirect for the client to follow, a browser included)
    Answer renew = post(noRedirects, b, "/api/request/" + id + "/renew/", "{\"duration\": 7200}");
    assertThat(renew.status()).as(renew.body()).isEqualTo(204);
    assertThat(get(a, "/api/request/" + id + "/log/").body()).contains("lease renewed until");
    assertThat(request(b, id).get("imaging_server").asText()).isEqualTo("a");

    // a refusal on a comes back as a's refusal
    assertThat(post(noRedirects, b, "/api/request/" + id + "/return/", "{}").status())
        .isEqualTo(204);
    assertThat(get(b, "/api/request/" + id + "/status/").json().get("state").asText())
        .isEqualTo("closed");
    Answer again = post(noRedirects, b, "/api/request/" + id + "/renew/", "{\"duration\": 60}");
    assertThat(again.status()).as(again.body()).isEqualTo(409);
    assertThat(again.json().get("error").asText()).contains("cannot renew: the request is closed");
  }

  @Test
  void eachInstanceNamesTheInstanceDrivingEachDeviceAndRequest() {
    MozpoolServer a = start("a", "net-a", List.of(), FAST, 1);
    MozpoolServer b = start("b", "net-b", List.of("net-a"), FAST, 2);
    String id = file(a);

    for (MozpoolServer s : List.of(a, b)) {
      Map<String, JsonNode> devices = devices(s);
      assertThat(devices.get("panda-1").get("imaging_server").asText()).isEqualTo("a");
      assertThat(devices.get("panda-2").get("imaging_server").asText()).isEqualTo("b");
      assertThat(devices.get("panda-1").has("home_server")).isFalse();
      assertThat(get(s, "/api/device/panda-1/status/").json().get("imaging_server").asText())
          .isEqualTo("a");
      assertThat(request(s, id).get("imaging_server").asText()).isEqualTo("a");
      assertThat(get(s, "/api/request/" + id + "/details/").json().get("imaging_server")
          .asText()).isEqualTo("a");
    }
    Map<String, JsonNode> instances = instances(b);
    assertThat(instances.keySet()).containsExactlyInAnyOrder("a", "b");
    assertThat(get(b, "/healthz").body()).contains("\"name\":\"instance\",\"ok\":true");
    JsonNode ia = instances.get("a");
    assertThat(ia.get("live").asBoolean()).isTrue();
    assertThat(ia.get("lab_network").asText()).isEqualTo("net-a");
    assertThat(ia.get("url").asText()).isEqualTo(a.uri().toString());
    assertThat(ia.get("devices").asInt()).isEqualTo(1);
    assertThat(ia.get("requests").asInt()).isEqualTo(1);
    assertThat(ia.get("epoch").asLong()).isPositive();
    assertThat(ia.get("silence_ms").asLong()).isBetween(0L, 1500L);
    assertThat(instances.get("b").get("standby_for").toString()).isEqualTo("[\"net-a\"]");
    assertThat(instances.get("b").get("requests").asInt()).isZero();
  }

  @Test
  void theHardwareOfADeviceIsReachedOnlyThroughTheInstanceDrivingIt() {
    start("a", "net-a", List.of(), FAST, 1);
    MozpoolServer b = start("b", "net-b", List.of("net-a"), FAST, 2);

    Answer ping = send(noRedirects, HttpRequest.newBuilder(
        URI.create(b.uri() + "/api/device/panda-1/ping/")).GET());
    assertThat(ping.status()).as(ping.body()).isEqualTo(409);
    assertThat(ping.json().get("error").asText()).contains("driven by instance a");
    assertThat(get(b, "/api/device/panda-2/ping/").status()).isEqualTo(200);
  }

  @Test
  void whenAnInstanceStopsTheOthersDeclareItDeadAndAdoptItsRequestsAndItsStandbyItsDevices() {
    MozpoolServer a = start("a", "net-a", List.of(), FAST, 1);
    MozpoolServer b = start("b", "net-b", List.of("net-a"), FAST, 2);
    String id = file(a);

    a.close(); // its heartbeat stops
    Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
        .until(() -> request(b, id).get("imaging_server").asText(), "b"::equals);

    JsonNode ia = instances(b).get("a");
    assertThat(ia.get("live").asBoolean()).isFalse();
    assertThat(ia.get("silence_ms").asLong()).isGreaterThanOrEqualTo(1500);
    assertThat(ia.get("requests").asInt()).isZero();
    assertThat(instances(b).get("b").get("requests").asInt()).isEqualTo(1);
    Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
        .until(() -> devices(b).get("panda-1").get("imaging_server").asText(), "b"::equals);
    assertThat(devices(b).get("panda-1").get("home_server").asText()).isEqualTo("a");
    assertThat(get(b, "/api/device/panda-1/ping/").status()).isEqualTo(200);
    Answer renew = post(noRedirects, b, "/api/request/" + id + "/renew/", "{\"duration\": 60}");
    assertThat(renew.status()).as(renew.body()).isEqualTo(204);
  }

  @Test
  void aChangeForAnInstanceThatIsNotAnsweringIsRefusedWithRetryAfterUntilItsWorkIsAdopted() {
    MozpoolServer a = start("a", "net-a", List.of(), FAST, 1);
    MozpoolServer b = start("b", "net-b", List.of(), SLOW, 2); // never adopts during the test
    String id = file(a);
    a.close();
    declareDead("a");

    Answer renew = post(noRedirects, b, "/api/request/" + id + "/renew/", "{\"duration\": 60}");
    assertThat(renew.status()).as(renew.body()).isEqualTo(503);
    assertThat(renew.header("Retry-After")).isEqualTo("1800");
    assertThat(renew.json().get("error").asText()).isEqualTo("request " + id + " is driven by"
        + " instance a, which is not answering; a live instance adopts it within 1800 s");
    assertThat(instances(b).get("a").get("live").asBoolean()).isFalse();
    assertThat(request(b, id).get("state").asText()).isNotEqualTo("closed");
  }

  @Test
  void aloneOnItsDatabaseAnInstanceListsItselfLive() throws Exception {
    MozpoolServer alone = startAlone();
    Map<String, JsonNode> instances = instances(alone);
    assertThat(instances.keySet()).containsExactly("solo");
    assertThat(instances.get("solo").get("live").asBoolean()).isTrue();
    assertThat(instances.get("solo").get("devices").asInt()).isEqualTo(1);
    assertThat(devices(alone).get("panda-1").get("imaging_server").asText()).isEqualTo("solo");
  }

  // ---- the lab ----

  private MozpoolServer start(String instance, String labNetwork, List<String> standbyFor,
      String liveness, int device) {
    String yaml = config(instance, "database: {url: \"" + database.url() + "\", user_env: DB_USER,"
        + " password_env: DB_PASSWORD}", device) + "cluster: {lab_network: " + labNetwork
        + ", standby_for: " + standbyFor + ", " + liveness + "}\n";
    return start(yaml);
  }

  private MozpoolServer startAlone() {
    return start(config("solo", "database: {url: \"h2:db/solo\"}", 1));
  }

  private MozpoolServer start(String yaml) {
    MozpoolServer s = MozpoolServer.builder(ConfigLoader.parse("lab.yaml", yaml))
        .configDirectory(dir)
        .environment(Map.of("DB_USER", FreshPostgres.USER, "DB_PASSWORD", FreshPostgres.PASSWORD))
        .start();
    servers.add(s);
    return s;
  }

  private static String config(String instance, String database, int device) {
    return """
        instance: %s
        %s
        api: {listen: "127.0.0.1:0"}
        tftp: {root: tftp-%s, port: 0}
        auth: open
        probe: {ping: "tcp:1", timeout_seconds: 1}
        hardware_types: [{name: panda}]
        pxe_configs: [{name: live, contents: "kernel live"}]
        images:
          - {name: self-test, hidden: true, pxe_configs: {panda: live}}
          - {name: maintenance, hidden: true, pxe_configs: {panda: live}}
          - {name: b2g, pxe_configs: {panda: live}}
        devices:
          - {name: panda-%d, mac: "00:11:22:33:44:%02x", hardware: panda, fqdn: localhost,
             power: "proxr://127.0.0.1:1/bank/1/relay/%d"}
        """.formatted(instance, database, instance, device, device, device);
  }

  /** Files a request for any device through {@code s}; returns its id. */
  private String file(MozpoolServer s) {
    Answer a = post(noRedirects, s, "/api/device/any/request/",
        "{\"assignee\": \"ci\", \"duration\": 3600, \"image\": \"b2g\"}");
    assertThat(a.status()).as(a.body()).isEqualTo(200);
    return a.json().get("request").get("id").asText();
  }

  /** Declares instance {@code id} dead in the shared store, as a third instance would. */
  private void declareDead(String id) {
    JdbcPoolStore store = JdbcPoolStore.forUrl(database.url(), FreshPostgres.USER,
        FreshPostgres.PASSWORD);
    try (store) {
      store.start();
      InstanceRecord r = store.inTransaction(tx -> tx.instances()).stream()
          .filter(i -> i.id().equals(id)).findFirst().orElseThrow();
      boolean declared = store.inTransaction(
          tx -> tx.declareDead(id, r.epoch(), Duration.ofMillis(1)));
      assertThat(declared).as("declared dead").isTrue();
    }
  }

  private Map<String, JsonNode> devices(MozpoolServer s) {
    return byId(get(s, "/api/device/list/?details").json().get("devices"));
  }

  private Map<String, JsonNode> instances(MozpoolServer s) {
    return byId(get(s, "/api/instance/list/").json().get("instances"));
  }

  private JsonNode request(MozpoolServer s, String id) {
    return byId(get(s, "/api/request/list/").json().get("requests")).get(id);
  }

  private static Map<String, JsonNode> byId(JsonNode list) {
    Map<String, JsonNode> out = new java.util.LinkedHashMap<>();
    list.forEach(n -> out.put(n.get("id").asText(), n));
    return out;
  }

  // ---- HTTP ----

  record Answer(int status, String body, HttpResponse<String> raw) {
    JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + body, e);
      }
    }

    String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }
  }

  private Answer get(MozpoolServer s, String path) {
    Answer a = send(noRedirects, HttpRequest.newBuilder(URI.create(s.uri() + path)).GET());
    assertThat(a.status()).as("GET " + path + ": " + a.body()).isEqualTo(200);
    return a;
  }

  private static Answer post(HttpClient http, MozpoolServer s, String path, String body) {
    return send(http, HttpRequest.newBuilder(URI.create(s.uri() + path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  private static Answer send(HttpClient http, HttpRequest.Builder request) {
    try {
      HttpResponse<String> r = http.send(request.timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofString());
      return new Answer(r.statusCode(), r.body(), r);
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
