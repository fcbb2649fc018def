package org.mozpool.server.callback;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mozpool.RefusedException;
import org.mozpool.server.internal.Limits;

/**
 * Operators' please-events on the event route ({@code POST /api/device/{id}/event/please_…/}), as
 * the original's operators and web UI sent them to Lifeguard.
 */
class PleaseEventRoutesTest {

  private final CallbackHttpFixture server = new CallbackHttpFixture(Limits.defaults()).open();
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void close() {
    server.close();
  }

  private HttpResponse<String> post(String event, String bearer, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(
        server.uri().resolve("api/device/panda-0042/event/" + event + "/"))
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void anOperatorAsksLifeguardForEachWorkflow() throws Exception {
    String op = CallbackHttpFixture.OPERATOR_TOKEN;
    assertThat(post("please_self_test", op, "").statusCode()).isEqualTo(200);
    assertThat(post("please_power_cycle", op, "").statusCode()).isEqualTo(200);
    assertThat(post("please_start_maintenance", op, "").statusCode()).isEqualTo(200);
    HttpResponse<String> image = post("please_image", op,
        "{\"image\": \"b2g\", \"boot_config\": {\"b2gbase\": \"http://builds/1\"}}");
    assertThat(image.statusCode()).isEqualTo(200);
    assertThat(image.body()).isEqualTo("{\"ok\":true}");

    assertThat(server.events()).containsExactly("panda-0042 please_self_test",
        "panda-0042 please_power_cycle", "panda-0042 please_start_maintenance",
        "panda-0042 please_image b2g {b2gbase=http://builds/1}");
  }

  @Test
  void neitherTheDeviceNorAClientMayOrderWork() throws Exception {
    assertThat(post("please_self_test", CallbackHttpFixture.TOKEN, "").statusCode())
        .as("the device's own token").isEqualTo(401);
    assertThat(post("please_self_test", CallbackHttpFixture.CLIENT_TOKEN, "").statusCode())
        .isEqualTo(403);
    assertThat(post("please_self_test", null, "").statusCode()).isEqualTo(401);
    assertThat(server.events()).isEmpty();
  }

  @Test
  void badPleaseEventsAreRefusedWithTheReason() throws Exception {
    String op = CallbackHttpFixture.OPERATOR_TOKEN;
    assertThat(post("please_fly", op, "").statusCode()).isEqualTo(400);
    for (String body : new String[] {"", "{", "[]", "{\"image\": 7}",
        "{\"image\": \"b2g\", \"boot_config\": {\"b2gbase\": 1}}",
        "{\"image\": \"b2g\", \"boot_config\": \"x\"}"}) {
      HttpResponse<String> answer = post("please_image", op, body);
      assertThat(answer.statusCode()).as(body).isEqualTo(400);
      assertThat(answer.body()).as(body).startsWith("{\"ok\":false,\"error\":");
    }
    assertThat(server.events()).isEmpty();
  }

  @Test
  void aPleaseEventTheDevicesStateRefusesIsAConflict() throws Exception {
    server.lifeguard.replies("panda-0042").failsWith(
        new RefusedException("panda-0042", "please_self_test", "pxe_booting", "not now"));
    HttpResponse<String> answer = post("please_self_test", CallbackHttpFixture.OPERATOR_TOKEN,
        "");
    assertThat(answer.statusCode()).isEqualTo(409);
    assertThat(answer.body()).contains("pxe_booting");
  }
}
