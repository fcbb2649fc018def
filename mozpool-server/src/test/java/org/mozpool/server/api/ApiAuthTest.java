package org.mozpool.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mozpool.server.api.ApiLab.CLIENT;
import static org.mozpool.server.api.ApiLab.OPERATOR;
import static org.mozpool.server.api.ApiLab.assertError;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ApiAuthTest {

  @TempDir
  static Path dir;
  static ApiLab lab;

  @BeforeAll
  static void start() {
    lab = ApiLab.start(dir, Labs.OFFLINE);
  }

  @AfterAll
  static void stop() {
    lab.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/api/version/", "/api/device/list", "/api/request/list/",
      "/api/image/list", "/api/device/panda-1/status/", "/api/no/such/route/"})
  void aCallWithoutATokenIsAnswered401WithAJsonError(String path) {
    ApiLab.Answer a = lab.get(path, null);
    assertError(a, 401);
    assertThat(a.raw().headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
        v -> assertThat(v).startsWith("Bearer"));
  }

  @Test
  void anUnknownTokenIsAnswered401() {
    assertError(lab.get("/api/version/", "not-a-token"), 401);
    assertError(lab.get("/api/version/", CLIENT + "x"), 401);
  }

  @Test
  void aTokenWithoutTheBearerSchemeIsAnswered401() {
    ApiLab.Answer a = lab.get("/api/version/", null);
    assertError(a, 401);
    var raw = java.net.http.HttpRequest.newBuilder(
        java.net.URI.create(lab.server.uri() + "/api/version/"))
        .header("Authorization", "Basic " + CLIENT).build();
    try {
      var r = java.net.http.HttpClient.newHttpClient().send(raw,
          java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(401);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void bothRolesMayRead() {
    assertThat(lab.get("/api/version/", CLIENT).status()).isEqualTo(200);
    assertThat(lab.get("/api/version", OPERATOR).status()).isEqualTo(200);
  }

  @Test
  void aClientTokenOnAnOperatorRouteIsAnswered403AndChangesNothing() {
    assertError(lab.post("/api/device/panda-1/set-comments/", CLIENT,
        Map.of("comments", "mine now")), 403);
    assertError(lab.post("/api/device/panda-1/state-change/a/to/ready/", CLIENT, "{}"), 403);
    assertError(lab.post("/api/device/panda-1/power-cycle/", CLIENT, "{}"), 403);
    assertError(lab.get("/api/device/panda-1/power-off/", CLIENT), 403);
    assertError(lab.get("/api/device/panda-1/ping/", CLIENT), 403);
    assertError(lab.post("/api/device/panda-1/clear-pxe/", CLIENT, "{}"), 403);
    assertError(lab.post("/api/device/panda-1/set-environment/", CLIENT,
        Map.of("environment", "staging")), 403);
    assertError(lab.get("/api/relay/relay-1/test/", CLIENT), 403);
    assertThat(lab.server.pool().inventory().device("panda-1").spec().comments())
        .isEqualTo("top shelf");
    assertThat(lab.server.pool().inventory().device("panda-1").spec().environment())
        .isEqualTo("production");
  }

  @Test
  void anOperatorTokenMayCallOperatorRoutes() {
    assertThat(lab.post("/api/device/panda-2/set-comments/", OPERATOR,
        Map.of("comments", "checked")).status()).isEqualTo(200);
  }

  @Test
  void theDeviceCallbackRoutesAreLeftToTheirOwnPerDeviceTokens() {
    // not this API's routes: the callback routes answer (in their own {"ok":false} shape, without
    // the API's WWW-Authenticate challenge), not the bearer-token check
    for (String path : List.of("/api/device/panda-1/bootconfig/",
        "/api/device/panda-1/event/mobile_init_started/")) {
      ApiLab.Answer answer = lab.get(path, null);
      assertThat(answer.body()).as(path).contains("\"ok\":false");
      assertThat(answer.raw().headers().firstValue("WWW-Authenticate")).as(path).isEmpty();
    }
    assertThat(lab.post("/api/device/panda-1/event/mobile_init_started", null, "{}").body())
        .contains("\"ok\":false");
  }

  @Test
  void anOpenApiTakesCallsWithoutATokenAsAnOperator(@TempDir Path other) {
    String yaml = Labs.OFFLINE.replace("""
        auth:
          tokens:
            - {name: ci, role: client, token_env: CI_TOKEN}
            - {name: alice, role: operator, token_env: ALICE_TOKEN}
        """, "auth: {mode: open}\n");
    try (ApiLab open = ApiLab.start(other, yaml)) {
      assertThat(open.get("/api/device/list/", null).status()).isEqualTo(200);
      assertThat(open.post("/api/device/panda-1/set-comments/", null,
          Map.of("comments", "anyone")).status()).isEqualTo(200);
    }
  }
}
