package org.mozpool.server.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mozpool.DeviceStates;
import org.mozpool.DeviceView;
import org.mozpool.RequestStates;

/**
 * Issue 12's end-to-end test: the original clients' HTTP calls against a demo wire lab (simulated
 * pandas on loopback that follow their ProXR relays, fetch PXE configs by TFTP and call the
 * server back), the device re-imaged for real through the callback routes. The calls are
 * mozpoolclient's: request {@code any} with an image and a build, poll {@code status/} until
 * ready, renew, return; then what an operator does.
 */
@Timeout(240)
class OriginalClientOnDemoLabTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static DemoLab demo;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void startDemo() {
    demo = DemoLab.start(DemoLab.options().devices(4).compression(20).listen("127.0.0.1:0"));
    await().atMost(Duration.ofSeconds(120)).untilAsserted(() ->
        assertThat(demo.server().pool().inventory().devices()).extracting(DeviceView::state)
            .containsOnly(DeviceStates.READY));
  }

  @AfterAll
  static void stopDemo() {
    demo.close();
  }

  private record Answer(int status, JsonNode json, String body) {
  }

  private Answer call(String method, String path, String token, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(demo.uri() + path))
        .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + token)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode json = r.body().isBlank() ? JSON.nullNode() : JSON.readTree(r.body());
    return new Answer(r.statusCode(), json, r.body());
  }

  @Test
  void aCiClientGetsAFreshlyImagedDeviceKeepsItAndGivesItBack() throws Exception {
    String client = demo.clientToken();
    // mozpoolclient's request: device 'any', the image, the build; it also sends pxe_config null
    Answer filed = call("POST", "/api/device/any/request/", client, """
        {"assignee": "b2g-slave-7", "duration": 1800, "image": "b2g",
         "b2gbase": "http://builds.example/b2g/2026-12-01/", "pxe_config": null,
         "environment": "any"}""");
    assertThat(filed.status()).as(filed.body()).isEqualTo(200);
    String request = "/api/request/" + filed.json().get("request").get("id").asText() + "/";

    // it polls status/ until ready: the device is PXE-booted and imaged for real meanwhile
    await().atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofMillis(250))
        .until(() -> call("GET", request + "status/", client, null).json().get("state").asText(),
            state -> state.equals(RequestStates.READY) || state.startsWith("failed_"));
    Answer details = call("GET", request + "details/", client, null);
    assertThat(details.json().get("state").asText()).as(details.body())
        .isEqualTo(RequestStates.READY);
    String device = details.json().get("assigned_device").asText();
    DeviceView imaged = demo.server().pool().inventory().device(device);
    assertThat(imaged.image()).isEqualTo("b2g");
    assertThat(imaged.bootConfig()).containsEntry("b2gbase", "http://builds.example/b2g/2026-12-01/");

    // another client names the busy device: the original's answer, a 409 with the failed request
    Answer busy = call("POST", "/api/device/" + device + "/request/", client, """
        {"assignee": "b2g-slave-8", "duration": 600, "image": "b2g",
         "b2gbase": "http://builds.example/b2g/2026-12-01/"}""");
    assertThat(busy.status()).as(busy.body()).isEqualTo(409);
    assertThat(busy.body()).contains("failed_device_busy");

    assertThat(call("POST", request + "renew/", client, "{\"duration\": 3600}").status())
        .isEqualTo(204);
    assertThat(call("POST", request + "return/", client, "{}").status()).isEqualTo(204);
    assertThat(call("GET", request + "status/", client, null).json().get("state").asText())
        .isEqualTo(RequestStates.CLOSED);
    await().atMost(Duration.ofSeconds(30)).until(() ->
        demo.server().pool().inventory().device(device).claimedBy().isEmpty());
  }

  @Test
  void anOperatorPowerCyclesADeviceAndMovesItByAGuardedStateChange() throws Exception {
    String operator = demo.operatorToken();
    String device = await().atMost(Duration.ofSeconds(60)).until(() -> demo.server().pool()
        .inventory().devices().stream().filter(d -> d.state().equals(DeviceStates.READY)
            && d.claimedBy().isEmpty()).map(DeviceView::name).reduce((a, b) -> b).orElse(null),
        java.util.Objects::nonNull);

    Answer cycle = call("POST", "/api/device/" + device + "/power-cycle/", operator, "{}");
    assertThat(cycle.status()).as(cycle.body()).isEqualTo(200);
    // the relay switched for real: the board was unpowered, rebooted and answers again
    await().atMost(Duration.ofSeconds(60)).until(() -> demo.server().pool().inventory()
        .device(device).state(), DeviceStates.READY::equals);
    assertThat(demo.server().pool().inventory().deviceLog(device))
        .anyMatch(e -> e.message().contains("please_power_cycle from"));

    Answer wrongGuard = call("POST", "/api/device/" + device + "/state-change/"
        + DeviceStates.MAINTENANCE_MODE + "/to/" + DeviceStates.LOCKED_OUT + "/", operator, "{}");
    assertThat(wrongGuard.status()).as("the device is not in the guard state").isEqualTo(409);
    Answer locked = call("POST", "/api/device/" + device + "/state-change/"
        + DeviceStates.READY + "/to/" + DeviceStates.LOCKED_OUT + "/", operator, "{}");
    assertThat(locked.status()).as(locked.body()).isEqualTo(200);
    assertThat(call("GET", "/api/device/" + device + "/state/", operator, null).json()
        .get("state").asText()).isEqualTo(DeviceStates.LOCKED_OUT);

    Answer byClient = call("POST", "/api/device/" + device + "/power-cycle/",
        demo.clientToken(), "{}");
    assertThat(byClient.status()).as("a client token may not power-cycle").isEqualTo(403);
  }
}
