package org.mozpool.server.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.commons.net.tftp.TFTP;
import org.apache.commons.net.tftp.TFTPClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.server.ConfigLoader;
import org.mozpool.server.MozpoolServer;
import org.mozpool.testkit.faults.FaultLog;
import org.mozpool.testkit.faults.OutageStore;
import org.mozpool.testkit.relay.RelayBoardEmulator;

/** {@code GET /metrics} and {@code GET /healthz} of a running server, over loopback. */
@Timeout(120)
class OpsRoutesTest {
  private static final String OPERATOR = "operator-secret-token";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();
  private final RelayBoardEmulator board = RelayBoardEmulator.start();
  private MozpoolServer server;

  @AfterEach
  void close() {
    if (server != null) {
      server.close();
    }
    board.close();
  }

  private MozpoolServer start(UnaryOperator<MozpoolServer.Builder> options) {
    String yaml = """
        instance: ops
        database: {url: "h2:db/mozpool"}
        api: {listen: "127.0.0.1:0"}
        tftp: {root: tftp, port: 0}
        auth:
          tokens:
            - {name: alice, role: operator, token_env: ALICE_TOKEN}
        hardware_types: [{name: panda, self_test: power_cycle}]
        relay_boards:
          - {name: relay-1, host: 127.0.0.1, port: %d}
        devices:
          - {name: panda-1, fqdn: 127.0.0.1, mac: "00:11:22:33:55:01", hardware: panda,
             power: "%s"}
          - {name: panda-2, fqdn: 127.0.0.1, mac: "00:11:22:33:55:02", hardware: panda,
             power: "%s"}
        """.formatted(board.port(), board.powerAddress(1, 1), board.powerAddress(1, 2));
    server = options.apply(MozpoolServer.builder(ConfigLoader.parse("ops.yaml", yaml))
        .configDirectory(dir).environment(Map.of("ALICE_TOKEN", OPERATOR))).start();
    return server;
  }

  private HttpResponse<String> get(String path, String token) {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(server.uri() + path))
        .timeout(Duration.ofSeconds(30)).GET();
    if (token != null) {
      r.header("Authorization", "Bearer " + token);
    }
    try {
      return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private JsonNode healthz(int status) throws IOException {
    HttpResponse<String> r = get("/healthz", null);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
    return JSON.readTree(r.body());
  }

  private static JsonNode check(JsonNode health, String name) {
    for (JsonNode c : health.path("checks")) {
      if (c.path("name").asText().equals(name)) {
        return c;
      }
    }
    throw new AssertionError("no check " + name + " in " + health);
  }

  private void fetchMissingFileOverTftp() throws IOException {
    TFTPClient client = new TFTPClient();
    client.setDefaultTimeout(Duration.ofSeconds(2));
    client.open(0, InetAddress.getLoopbackAddress());
    try {
      client.receiveFile("no-such-file", TFTP.BINARY_MODE, new ByteArrayOutputStream(),
          InetAddress.getLoopbackAddress(), server.tftp().port());
      throw new AssertionError("a missing file was served");
    } catch (IOException expected) {
      assertThat(expected).hasMessageContaining("Error code 1");
    } finally {
      client.close();
    }
  }

  @Test
  void metricsAreServedWithoutATokenInTheStrictPrometheusTextFormatWithTheNumbersOfWhatHappened()
      throws IOException {
    start(b -> b);
    assertThat(get("/api/relay/relay-1/test/", OPERATOR).body()).contains("\"success\":true");
    fetchMissingFileOverTftp();
    assertThat(get("/api/device/panda-1/event/image_downloading/?token=wrong", null).statusCode())
        .isEqualTo(401);
    assertThat(get("/api/device/panda-1/event/image_downloading/?token=wrong", null).statusCode())
        .isEqualTo(401);
    assertThat(get("/api/device/panda-9/event/image_downloading/?token=x", null).statusCode())
        .isEqualTo(404);

    HttpResponse<String> scrape = get("/metrics", null);

    assertThat(scrape.statusCode()).isEqualTo(200);
    assertThat(scrape.headers().firstValue("Content-Type").orElse(""))
        .startsWith("text/plain; version=0.0.4");
    PrometheusText metrics = PrometheusText.parse(scrape.body());
    assertThat(metrics.samples("mozpool_devices").stream().mapToDouble(s -> s.value()).sum())
        .as("every configured device is in exactly one state").isEqualTo(2.0);
    assertThat(metrics.families().get("mozpool_devices").type()).isEqualTo("gauge");
    assertThat(metrics.value("mozpool_relay_operations_seconds_count",
        "board", board.hostAndPort(), "operation", "two_way_test", "outcome", "ok"))
        .isEqualTo(1.0);
    assertThat(metrics.families().get("mozpool_relay_operations_seconds").type())
        .isEqualTo("histogram");
    assertThat(metrics.value("mozpool_tftp_transfers_seconds_count", "outcome", "not_found"))
        .isEqualTo(1.0);
    assertThat(metrics.value("mozpool_callbacks_total", "kind", "event", "status", "401"))
        .isEqualTo(2.0);
    assertThat(metrics.value("mozpool_callbacks_total", "kind", "event", "status", "404"))
        .isEqualTo(1.0);
    assertThat(metrics.families().get("mozpool_callbacks_total").type()).isEqualTo("counter");
    assertThat(metrics.samples("mozpool_store_transactions_seconds_count", "database", "h2",
        "outcome", "committed")).singleElement()
        .satisfies(s -> assertThat(s.value()).isPositive());
    assertThat(metrics.families()).containsKeys("mozpool_engine_lag_seconds",
        "jvm_memory_used_bytes", "process_uptime_seconds");
    // every Mozpool meter served is documented under its Micrometer name
    String page = java.nio.file.Files.readString(Path.of("..", "METRICS.md"));
    for (String family : metrics.families().keySet()) {
      if (family.startsWith("mozpool_")) {
        String name = family.replaceAll("(_total|_seconds|_seconds_max)$", "").replace('_', '.');
        assertThat(page).as(family).contains("| `" + name + "` |");
      }
    }
  }

  @Test
  void healthzIs503DuringADatabaseOutageNamingItAnd200Again() throws IOException {
    OutageStore store = new OutageStore(new InMemoryPoolStore(), Clock.systemUTC(),
        new FaultLog());
    start(b -> b.store(store));

    JsonNode up = healthz(200);
    assertThat(up.path("status").asText()).isEqualTo("ok");
    assertThat(up.path("checks")).extracting(c -> c.path("name").asText())
        .containsExactly("database", "engine", "tftp", "http");
    assertThat(up.path("checks")).allSatisfy(c -> assertThat(c.path("ok").asBoolean()).isTrue());

    store.goDown();
    JsonNode down = healthz(503);
    store.comeBack();

    assertThat(down.path("status").asText()).isEqualTo("unavailable");
    assertThat(check(down, "database").path("ok").asBoolean()).isFalse();
    assertThat(check(down, "database").path("detail").asText())
        .contains("simulated database outage");
    assertThat(check(down, "engine").path("ok").asBoolean()).isTrue();
    assertThat(check(down, "tftp").path("ok").asBoolean()).isTrue();
    assertThat(healthz(200).path("status").asText()).isEqualTo("ok");
  }

  @Test
  void healthzIs503OnceTheTftpServerHasStopped() throws IOException {
    start(b -> b);
    healthz(200);

    server.tftp().close();

    JsonNode health = healthz(503);
    assertThat(check(health, "tftp").path("ok").asBoolean()).isFalse();
    assertThat(check(health, "database").path("ok").asBoolean()).isTrue();
  }
}
