package org.mozpool.server.api;

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
import java.util.Map;
import java.util.function.UnaryOperator;
import org.awaitility.Awaitility;
import org.mozpool.server.ConfigLoader;
import org.mozpool.server.MozpoolServer;
import org.mozpool.server.ServerConfig;

/**
 * A Mozpool server started from YAML in a test's directory, with one client and one operator
 * token, and a small HTTP client that speaks to it over loopback.
 */
final class ApiLab implements AutoCloseable {
  static final String CLIENT = "client-secret-token";
  static final String OPERATOR = "operator-secret-token";
  static final ObjectMapper JSON = new ObjectMapper();

  /** The YAML header: tokens, a fresh H2 database, TFTP on a free port. */
  static String header(String instance) {
    return """
        instance: %s
        database: {url: "h2:db/mozpool"}
        api: {listen: "127.0.0.1:0"}
        tftp: {root: tftp, port: 0}
        auth:
          tokens:
            - {name: ci, role: client, token_env: CI_TOKEN}
            - {name: alice, role: operator, token_env: ALICE_TOKEN}
        """.formatted(instance);
  }

  final MozpoolServer server;
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  private ApiLab(MozpoolServer server) {
    this.server = server;
  }

  static ApiLab start(Path dir, String yaml) {
    return start(dir, yaml, b -> b);
  }

  static ApiLab start(Path dir, String yaml, UnaryOperator<MozpoolServer.Builder> options) {
    ServerConfig config = ConfigLoader.parse("lab.yaml", yaml);
    MozpoolServer.Builder builder = MozpoolServer.builder(config).configDirectory(dir)
        .environment(Map.of("CI_TOKEN", CLIENT, "ALICE_TOKEN", OPERATOR));
    return new ApiLab(options.apply(builder).start());
  }

  /** An answer: status and body (parsed when JSON). */
  record Answer(int status, String body, HttpResponse<String> raw) {
    JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + body, e);
      }
    }

    String error() {
      return json().path("error").asText();
    }
  }

  Answer get(String path, String token) {
    return send(HttpRequest.newBuilder(uri(path)).GET(), token);
  }

  Answer post(String path, String token, String body) {
    return send(HttpRequest.newBuilder(uri(path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)), token);
  }

  Answer post(String path, String token, Map<String, ?> body) {
    try {
      return post(path, token, JSON.writeValueAsString(body));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private URI uri(String path) {
    return URI.create(server.uri() + path);
  }

  private Answer send(HttpRequest.Builder request, String token) {
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
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

  /** Waits (real time, with a deadline) until the device is in {@code state}. */
  void awaitDeviceState(String device, String state) {
    Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
        .until(() -> server.pool().inventory().device(device).state(), state::equals);
  }

  /** Waits until the request is in {@code state}. */
  void awaitRequestState(String id, String state) {
    Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
        .until(() -> server.pool().findRequest(id).orElseThrow().state(), state::equals);
  }

  /** Asserts a JSON error answer with {@code status}. */
  static void assertError(Answer a, int status) {
    assertThat(a.status()).as(a.body()).isEqualTo(status);
    assertThat(a.raw().headers().firstValue("Content-Type").orElse(""))
        .startsWith("application/json");
    assertThat(a.error()).isNotBlank();
  }

  @Override
  public void close() {
    server.close();
  }
}
