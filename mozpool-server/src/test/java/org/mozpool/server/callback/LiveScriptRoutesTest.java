package org.mozpool.server.callback;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mozpool.bmm.LiveScripts;
import org.mozpool.server.internal.Limits;

/** {@code GET /live/{script}}: the live image fetches its scripts with its device token. */
class LiveScriptRoutesTest {

  private final CallbackHttpFixture server = new CallbackHttpFixture(Limits.defaults()).open();
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void close() {
    server.close();
  }

  private HttpResponse<String> get(String path, String bearer) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.uri() + path));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aDeviceFetchesEveryScriptWithItsOwnToken() throws Exception {
    for (String name : LiveScripts.names()) {
      HttpResponse<String> answer = get("/live/" + name, CallbackHttpFixture.TOKEN);
      assertThat(answer.statusCode()).as(name).isEqualTo(200);
      assertThat(answer.body()).as(name)
          .isEqualTo(new String(LiveScripts.script(name).orElseThrow(), StandardCharsets.UTF_8));
      assertThat(answer.headers().firstValue("Content-Type").orElse(""))
          .startsWith("text/x-shellscript");
    }
  }

  @Test
  void theTokenMayComeAsAQueryParameterAndAnOperatorMayFetchToo() throws Exception {
    assertThat(get("/live/init?token=" + CallbackHttpFixture.TOKEN, null).statusCode())
        .isEqualTo(200);
    assertThat(get("/live/init", "other-token").statusCode()).as("another device's token")
        .isEqualTo(200);
    assertThat(get("/live/init", CallbackHttpFixture.OPERATOR_TOKEN).statusCode())
        .isEqualTo(200);
  }

  @Test
  void withoutADeviceOrOperatorTokenNothingIsServed() throws Exception {
    for (String bearer : new String[] {null, "wrong", CallbackHttpFixture.CLIENT_TOKEN}) {
      HttpResponse<String> answer = get("/live/init", bearer);
      assertThat(answer.statusCode()).as("token %s", bearer).isEqualTo(401);
      assertThat(answer.body()).startsWith("{\"error\":").doesNotContain("#!/bin/sh");
    }
  }

  @Test
  void aScriptThatDoesNotExistIsA404AndPathTricksReachNoFile() throws Exception {
    for (String path : new String[] {"/live/no-such-script", "/live/..%2f..%2fetc%2fpasswd",
        "/live/%2e%2e", "/live/initramfs-init"}) {
      HttpResponse<String> answer = get(path, CallbackHttpFixture.TOKEN);
      assertThat(answer.statusCode()).as(path).isBetween(400, 404);
      assertThat(answer.body()).as(path).startsWith("{\"error\":").doesNotContain("root:");
    }
  }
}
