package org.mozpool.server.callback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mozpool.server.callback.CallbackHttpFixture.CLIENT_TOKEN;
import static org.mozpool.server.callback.CallbackHttpFixture.OPERATOR_TOKEN;
import static org.mozpool.server.callback.CallbackHttpFixture.TOKEN;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mozpool.RefusedException;
import org.mozpool.server.internal.Limits;
import org.mozpool.server.internal.callback.CallbackRoutes;

/**
 * The device callback routes on the server's port answer as the standalone {@code
 * DeviceCallbackServer} does (its test is the specification), over real loopback sockets.
 */
@Timeout(30)
class CallbackRoutesTest {

  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();
  private CallbackHttpFixture server = new CallbackHttpFixture(Limits.defaults()).open();

  @AfterEach
  void tearDown() {
    server.close();
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpRequest.Builder get(String path) {
    return HttpRequest.newBuilder(server.uri().resolve(path));
  }

  private HttpRequest.Builder post(String path, String body) {
    return get(path).header("Authorization", "Bearer " + TOKEN)
        .POST(HttpRequest.BodyPublishers.ofString(body));
  }

  @Test
  void anEventWithTheDevicesBearerTokenReachesLifeguardAndIsLogged() throws Exception {
    HttpResponse<String> response = send(post("api/device/panda-0042/event/image_failed/",
        "{\"reason\":\"checksum mismatch\",\"attempt\":2}"));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("{\"ok\":true}");
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
        type -> assertThat(type).startsWith("application/json"));
    assertThat(server.events()).containsExactly(
        "panda-0042 image_failed {reason=checksum mismatch, attempt=2}");
    assertThat(server.deviceLog("panda-0042")).singleElement().asString()
        .contains("event image_failed").contains("checksum mismatch");
  }

  @Test
  void aGetEventWithTheTokenInTheQueryIsAcceptedAndItsOtherParametersAreArguments()
      throws Exception {
    HttpResponse<String> response = send(get(
        "api/device/panda-0042/event/mobile_init_started/?token=" + TOKEN + "&attempt=3"));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(server.events()).containsExactly(
        "panda-0042 mobile_init_started {attempt=3}");
  }

  @Test
  void theOriginalScriptsEventNamesArePassedOnAsTheEventsTheyStandFor() throws Exception {
    assertThat(send(post("api/device/panda-0042/event/b2g_downloading/", "")).statusCode())
        .isEqualTo(200);
    assertThat(send(post("api/device/panda-0042/event/sut_verify_ok", "")).statusCode())
        .isEqualTo(200);

    assertThat(server.events()).containsExactly("panda-0042 image_downloading {}",
        "panda-0042 verify_ok {}");
  }

  @Test
  void aWrongTokenIsRefusedWith401AndLogged() throws Exception {
    HttpResponse<String> response = send(get("api/device/panda-0042/event/self_test_ok/")
        .header("Authorization", "Bearer other-token").POST(HttpRequest.BodyPublishers.noBody()));

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(response.body()).isEqualTo(
        "{\"ok\":false,\"error\":\"a valid device token is required\"}");
    assertThat(server.events()).isEmpty();
    assertThat(server.deviceLog("panda-0042")).singleElement().asString()
        .contains("callback refused").contains("wrong token");
  }

  @Test
  void aMissingTokenIsRefusedWith401() throws Exception {
    HttpResponse<String> response = send(get("api/device/panda-0042/bootconfig/"));

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(server.deviceLog("panda-0042")).singleElement().asString().contains("no token");
  }

  @Test
  void anOperatorApiTokenMayPostAnEventAndIsNamedInTheDeviceLog() throws Exception {
    HttpResponse<String> response = send(get("api/device/panda-0042/event/maint_mode/")
        .header("Authorization", "Bearer " + OPERATOR_TOKEN)
        .POST(HttpRequest.BodyPublishers.noBody()));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(server.events()).containsExactly("panda-0042 maint_mode {}");
    assertThat(server.deviceLog("panda-0042")).singleElement().asString()
        .contains("event maint_mode").contains("posted by operator alice");
  }

  @Test
  void aClientApiTokenMayNotPostEventsNorFetchBootConfigs() throws Exception {
    HttpResponse<String> event = send(get("api/device/panda-0042/event/maint_mode/")
        .header("Authorization", "Bearer " + CLIENT_TOKEN)
        .POST(HttpRequest.BodyPublishers.noBody()));
    HttpResponse<String> bootConfig = send(get("api/device/panda-0042/bootconfig/?token="
        + CLIENT_TOKEN));

    assertThat(event.statusCode()).isEqualTo(401);
    assertThat(bootConfig.statusCode()).isEqualTo(401);
    assertThat(server.events()).isEmpty();
  }

  @Test
  void anUnknownDeviceIs404() throws Exception {
    HttpResponse<String> response = send(post("api/device/panda-9999/event/self_test_ok/", ""));

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.body()).contains("\"ok\":false").contains("panda-9999");
    assertThat(server.events()).isEmpty();
  }

  @Test
  void aDeviceNameNoDeviceCanHaveIsRefused() throws Exception {
    // Jetty refuses an encoded NUL in a path before routing (the standalone endpoint answers 404)
    HttpResponse<String> nul = send(get("api/device/a%00b/bootconfig/")
        .header("Authorization", "Bearer x"));
    assertThat(nul.statusCode()).isEqualTo(400);
    assertThat(nul.body()).startsWith("{\"error\":");
    assertThat(send(get("api/device/" + "p".repeat(200) + "/bootconfig/")).statusCode())
        .isEqualTo(404);
  }

  @Test
  void malformedJsonIs400AndLogged() throws Exception {
    HttpResponse<String> response = send(post("api/device/panda-0042/event/image_failed/",
        "{\"reason\": "));

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.body()).contains("malformed JSON");
    assertThat(server.events()).isEmpty();
    assertThat(server.deviceLog("panda-0042")).singleElement().asString()
        .contains("malformed JSON");
  }

  @Test
  void aBodyThatIsNotOneJsonObjectIs400() throws Exception {
    assertThat(send(post("api/device/panda-0042/event/image_failed/", "[1,2]")).statusCode())
        .isEqualTo(400);
    assertThat(send(post("api/device/panda-0042/event/image_failed/", "{\"a\":1} trailing"))
        .statusCode()).isEqualTo(400);
    assertThat(server.events()).isEmpty();
  }

  @Test
  void anUnknownEventIs400() throws Exception {
    HttpResponse<String> response = send(post("api/device/panda-0042/event/launch_missiles/", ""));

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.body()).contains("unknown event 'launch_missiles'");
    assertThat(server.events()).isEmpty();
  }

  @Test
  void anOversizeBodyIs413() throws Exception {
    String big = "{\"junk\":\"" + "x".repeat(70 * 1024) + "\"}";

    HttpResponse<String> response = send(post("api/device/panda-0042/event/image_failed/", big));

    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(response.body()).contains("\"ok\":false");
    assertThat(server.events()).isEmpty();
  }

  @Test
  void anOversizeBodyWithoutAContentLengthIs413AndLogged() throws Exception {
    byte[] big = new byte[70 * 1024];
    Arrays.fill(big, (byte) ' ');

    HttpResponse<String> response = send(get("api/device/panda-0042/event/image_failed/")
        .header("Authorization", "Bearer " + TOKEN)
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))));

    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(server.events()).isEmpty();
    assertThat(server.deviceLog("panda-0042")).singleElement().asString()
        .contains("body over 65536 bytes");
  }

  @Test
  void aChunkedBodyAndAnExpectContinueBodyAreReadWhole() throws Exception {
    byte[] json = "{\"reason\":\"chunked\"}".getBytes(StandardCharsets.UTF_8);
    assertThat(send(get("api/device/panda-0042/event/image_failed/")
        .header("Authorization", "Bearer " + TOKEN)
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(json))))
        .statusCode()).isEqualTo(200);
    assertThat(send(post("api/device/panda-0042/event/image_failed/", "{\"reason\":\"expect\"}")
        .expectContinue(true)).statusCode()).isEqualTo(200);

    assertThat(server.events()).containsExactly("panda-0042 image_failed {reason=chunked}",
        "panda-0042 image_failed {reason=expect}");
  }

  @Test
  void theBootConfigOfTheImageBeingInstalledIsServedAsJson() throws Exception {
    HttpResponse<String> response = send(get("api/device/panda-0042/bootconfig/")
        .header("Authorization", "Bearer " + TOKEN));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(new ObjectMapper().readValue(response.body(), Map.class))
        .isEqualTo(Map.of("b2gbase", "http://builds/b2g/42/"));
    assertThat(server.deviceLog("panda-0042")).singleElement().asString()
        .contains("boot config fetched");
  }

  @Test
  void withoutANextImageTheCurrentBootConfigIsServed() throws Exception {
    HttpResponse<String> response = send(get("api/device/panda-0043/bootconfig?token=other-token"));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("{\"build\":\"current\"}");
  }

  @Test
  void aWrongMethodIs405InTheCallbacksShape() throws Exception {
    HttpResponse<String> post = send(post("api/device/panda-0042/bootconfig/", ""));
    HttpResponse<String> delete = send(get("api/device/panda-0042/event/image_failed/")
        .DELETE());

    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.body()).isEqualTo(
        "{\"ok\":false,\"error\":\"use GET to fetch the boot config\"}");
    assertThat(delete.statusCode()).isEqualTo(405);
  }

  @Test
  void anEventLifeguardRefusesIs409() throws Exception {
    server.lifeguard.replies("panda-0042").failsWith(
        new RefusedException("panda-0042", "self_test_ok", "ready", "not expected"));

    assertThat(send(post("api/device/panda-0042/event/self_test_ok/", "")).statusCode())
        .isEqualTo(409);
  }

  @Test
  void anEventLifeguardDoesNotTakeInTimeIs503() throws Exception {
    server.close();
    server = new CallbackHttpFixture(Limits.defaults()
        .withCallbackEventTimeout(Duration.ofMillis(200))).open();
    server.lifeguard.replies("panda-0042").hangs();

    HttpResponse<String> response = send(post("api/device/panda-0042/event/self_test_ok/", ""));

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.body()).contains("did not take the event");
  }

  @Test
  void beforeTheServerHasStartedEveryCallIs503() throws Exception {
    server.close();
    server = new CallbackHttpFixture(Limits.defaults());

    HttpResponse<String> response = send(post("api/device/panda-0042/event/self_test_ok/", ""));

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.body()).isEqualTo("{\"error\":\"the server is starting\"}");
    assertThat(server.events()).isEmpty();
  }

  @Test
  void anEncodedLineBreakInARefusedEventNameCannotForgeASecondLogLine() throws Exception {
    String forged = "x%0D%0A2026-11-25T12:00:00Z%20%5Bdevice%5D%20event%20self_test_ok";
    HttpResponse<String> response = send(get("api/device/panda-0042/event/" + forged + "/")
        .header("Authorization", "Bearer wrong"));

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(server.deviceLog("panda-0042")).singleElement().asString()
        .doesNotContain("\n").doesNotContain("\r").contains("x\\r\\n2026-11-25");
  }

  @Test
  void whatADeviceSentIsLoggedShortenedAndWithoutControlCharacters() throws Exception {
    send(post("api/device/panda-0042/event/" + "y".repeat(2000) + "/", "")); // unknown event
    send(post("api/device/panda-0042/event/image_failed/",
        "{\"reason\":\"line one\\nline two " + "z".repeat(5000) + "\"}"));

    assertThat(server.deviceLog("panda-0042")).hasSize(2).allSatisfy(line -> assertThat(line)
        .hasSizeLessThan(1200).doesNotContain("\n"));
    assertThat(server.deviceLog("panda-0042").get(1)).contains("line one\\nline two");
  }

  @Test
  void twoHundredRefusedCallsAddOnlyTenLogLines() throws Exception {
    // Many callers at once: the first calls of a server race to set up its callbacks, and two
    // set-ups once meant two refusal logs, each letting ten lines through.
    ExecutorService callers = Executors.newFixedThreadPool(16);
    try {
      List<Future<Integer>> calls = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        calls.add(callers.submit(() -> send(get("api/device/panda-0042/event/self_test_ok/")
            .header("Authorization", "Bearer guess")).statusCode()));
      }
      for (Future<Integer> call : calls) {
        assertThat(call.get()).isEqualTo(401);
      }
    } finally {
      callers.shutdownNow();
    }

    assertThat(server.deviceLog("panda-0042")).hasSize(10)
        .allSatisfy(l -> assertThat(l).contains("callback refused"));
  }

  @Test
  void theApiCanTellTheCallbackPathsFromItsOwn() {
    assertThat(CallbackRoutes.isCallbackPath("/api/device/panda-0042/event/image_failed/"))
        .isTrue();
    assertThat(CallbackRoutes.isCallbackPath("/api/device/panda-0042/bootconfig")).isTrue();
    assertThat(CallbackRoutes.isCallbackPath("/api/device/panda-0042/status/")).isFalse();
    assertThat(CallbackRoutes.isCallbackPath("/api/device/list/")).isFalse();
  }

  @Test
  void aMalformedRequestIs400AsJson() throws Exception {
    try (Socket s = server.connectFrom("127.0.0.1")) {
      s.getOutputStream().write("NONSENSE\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      String answer = CallbackHttpFixture.readAll(s);
      assertThat(answer).startsWith("HTTP/1.1 400 ").contains("application/json")
          .contains("{\"error\":");
    }
  }
}
