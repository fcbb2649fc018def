package org.mozpool.bmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mozpool.DeviceSpec;
import org.mozpool.LogEntry;
import org.mozpool.RefusedException;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.Lifeguard;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;

@Timeout(30)
class DeviceCallbackServerTest {

  private static final String TOKEN = "tok-6f1c2a";
  private static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");

  private final InMemoryPoolStore store = new InMemoryPoolStore();
  private final RecordingLifeguard lifeguard = new RecordingLifeguard();
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();
  private DeviceCallbackServer server;

  @BeforeEach
  void setUp() {
    DeviceSpec spec = DeviceSpec.builder("panda-0042").mac("aabbccddeeff")
        .hardware("panda", "ES Rev B2").build();
    store.inTransaction(tx -> {
      tx.insertDevice(new DeviceRecord(spec, "android", Map.of("build", "old"), "b2g",
          Map.of("b2gbase", "http://builds/b2g/42/"), TOKEN,
          MachineRecord.initial("pxe_booting", null)));
      tx.insertDevice(new DeviceRecord(DeviceSpec.builder("panda-0043").mac("aabbccddee00")
          .hardware("panda", "").build(), "android", Map.of("build", "current"), "", Map.of(),
          "other-token", MachineRecord.initial("ready", null)));
      return null;
    });
    server = new DeviceCallbackServer(store, lifeguard, Clock.fixed(NOW, ZoneOffset.UTC),
        new InetSocketAddress("127.0.0.1", 0));
  }

  @AfterEach
  void tearDown() {
    server.close();
    store.close();
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpRequest.Builder post(String path, String body) {
    return HttpRequest.newBuilder(server.uri().resolve(path))
        .header("Authorization", "Bearer " + TOKEN)
        .POST(HttpRequest.BodyPublishers.ofString(body));
  }

  private List<String> deviceLog(String device) {
    return store.inTransaction(tx -> tx.log(MachineKind.DEVICE, device, 100)).stream()
        .map(LogEntry::message).toList();
  }

  @Test
  void anEventWithTheRightBearerTokenReachesLifeguardAndIsLogged() throws Exception {
    HttpResponse<String> response = send(post("api/device/panda-0042/event/image_failed/",
        "{\"reason\":\"checksum mismatch\",\"attempt\":2}"));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("{\"ok\":true}");
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(lifeguard.events).containsExactly(
        "panda-0042 image_failed {reason=checksum mismatch, attempt=2}");
    List<LogEntry> log = store.inTransaction(tx -> tx.log(MachineKind.DEVICE, "panda-0042", 10));
    assertThat(log).singleElement().satisfies(e -> {
      assertThat(e.timestamp()).isEqualTo(NOW);
      assertThat(e.source()).isEqualTo("device");
      assertThat(e.message()).contains("event image_failed").contains("checksum mismatch");
    });
  }

  @Test
  void aGetEventWithTheTokenInTheQueryIsAccepted() throws Exception {
    HttpResponse<String> response = send(HttpRequest.newBuilder(
        server.uri().resolve("api/device/panda-0042/event/mobile_init_started/?token=" + TOKEN)));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(lifeguard.events).containsExactly("panda-0042 mobile_init_started {}");
  }

  @Test
  void theOriginalScriptsEventNamesArePassedOnAsTheEventsTheyStandFor() throws Exception {
    assertThat(send(post("api/device/panda-0042/event/b2g_downloading/", "")).statusCode())
        .isEqualTo(200);
    assertThat(send(post("api/device/panda-0042/event/sut_verify_ok", "")).statusCode())
        .isEqualTo(200);

    assertThat(lifeguard.events).containsExactly("panda-0042 image_downloading {}",
        "panda-0042 verify_ok {}");
  }

  @Test
  void aWrongTokenIsRefusedWith401AndLogged() throws Exception {
    HttpResponse<String> response = send(HttpRequest.newBuilder(
            server.uri().resolve("api/device/panda-0042/event/self_test_ok/"))
        .header("Authorization", "Bearer other-token")
        .POST(HttpRequest.BodyPublishers.noBody()));

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(response.body()).contains("\"ok\":false");
    assertThat(lifeguard.events).isEmpty();
    assertThat(deviceLog("panda-0042")).singleElement().asString()
        .contains("callback refused").contains("wrong token");
  }

  @Test
  void aMissingTokenIsRefusedWith401() throws Exception {
    HttpResponse<String> response = send(HttpRequest.newBuilder(
        server.uri().resolve("api/device/panda-0042/bootconfig/")));

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(deviceLog("panda-0042")).singleElement().asString().contains("no token");
  }

  @Test
  void tokensAreComparedWholeAndADeviceWithoutATokenAcceptsNone() {
    assertThat(DeviceCallbackServer.tokenMatches("abc", "abc")).isTrue();
    assertThat(DeviceCallbackServer.tokenMatches("abc", "abcd")).isFalse();
    assertThat(DeviceCallbackServer.tokenMatches("abc", "ab")).isFalse();
    assertThat(DeviceCallbackServer.tokenMatches("", "")).isFalse();
  }

  @Test
  void anUnknownDeviceIs404() throws Exception {
    HttpResponse<String> response = send(post("api/device/panda-9999/event/self_test_ok/", ""));

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.body()).contains("panda-9999");
    assertThat(lifeguard.events).isEmpty();
  }

  @Test
  void anUnknownPathIs404() throws Exception {
    assertThat(send(HttpRequest.newBuilder(server.uri().resolve("api/nothing"))).statusCode())
        .isEqualTo(404);
  }

  @Test
  void malformedJsonIs400AndLogged() throws Exception {
    HttpResponse<String> response = send(post("api/device/panda-0042/event/image_failed/",
        "{\"reason\": "));

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.body()).contains("malformed JSON");
    assertThat(lifeguard.events).isEmpty();
    assertThat(deviceLog("panda-0042")).singleElement().asString().contains("malformed JSON");
  }

  @Test
  void aBodyThatIsNotAJsonObjectIs400() throws Exception {
    assertThat(send(post("api/device/panda-0042/event/image_failed/", "[1,2]")).statusCode())
        .isEqualTo(400);
  }

  @Test
  void anUnknownEventIs400() throws Exception {
    HttpResponse<String> response = send(post("api/device/panda-0042/event/launch_missiles/", ""));

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.body()).contains("unknown event 'launch_missiles'");
    assertThat(lifeguard.events).isEmpty();
  }

  @Test
  void anOversizeBodyIs413() throws Exception {
    String big = "{\"junk\":\"" + "x".repeat(70 * 1024) + "\"}";

    HttpResponse<String> response = send(post("api/device/panda-0042/event/image_failed/", big));

    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(lifeguard.events).isEmpty();
  }

  @Test
  void anOversizeBodyWithoutAContentLengthIs413() throws Exception {
    byte[] big = new byte[70 * 1024];
    java.util.Arrays.fill(big, (byte) ' ');

    HttpResponse<String> response = send(HttpRequest.newBuilder(
            server.uri().resolve("api/device/panda-0042/event/image_failed/"))
        .header("Authorization", "Bearer " + TOKEN)
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))));

    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(lifeguard.events).isEmpty();
  }

  @Test
  void theBootConfigOfTheImageBeingInstalledIsServedAsJson() throws Exception {
    HttpResponse<String> response = send(HttpRequest.newBuilder(
            server.uri().resolve("api/device/panda-0042/bootconfig/"))
        .header("Authorization", "Bearer " + TOKEN));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(new ObjectMapper().readValue(response.body(), Map.class))
        .isEqualTo(Map.of("b2gbase", "http://builds/b2g/42/"));
  }

  @Test
  void withoutANextImageTheCurrentBootConfigIsServed() throws Exception {
    HttpResponse<String> response = send(HttpRequest.newBuilder(
        server.uri().resolve("api/device/panda-0043/bootconfig?token=other-token")));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("{\"build\":\"current\"}");
  }

  @Test
  void aWrongMethodIs405() throws Exception {
    assertThat(send(post("api/device/panda-0042/bootconfig/", "")).statusCode()).isEqualTo(405);
  }

  @Test
  void anEventLifeguardRefusesIs409() throws Exception {
    lifeguard.answer = CompletableFuture.failedFuture(
        new RefusedException("panda-0042", "self_test_ok", "ready", "not expected"));

    assertThat(send(post("api/device/panda-0042/event/self_test_ok/", "")).statusCode())
        .isEqualTo(409);
  }

  @Test
  void anEventLifeguardDoesNotTakeInTimeIs503() throws Exception {
    server.close();
    server = DeviceCallbackServer.builder(store, lifeguard)
        .eventTimeout(Duration.ofMillis(200)).start();
    lifeguard.answer = new CompletableFuture<>();

    assertThat(send(post("api/device/panda-0042/event/self_test_ok/", "")).statusCode())
        .isEqualTo(503);
  }

  @Test
  void closeStopsTheServerAndIsIdempotent() {
    URI uri = server.eventUri("panda-0042", "self_test_ok");
    server.close();
    server.close();

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> send(post(uri.getPath().substring(1), "")))
        .isInstanceOf(IOException.class);
    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(t -> t.getName().startsWith("device-callback-") && t.isAlive());
  }

  @Test
  void trailingContentAfterTheJsonBodyIs400() throws Exception {
    HttpResponse<String> response = send(post("api/device/panda-0042/event/image_failed/",
        "{\"a\":1} trailing"));

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.body()).contains("malformed JSON");
    assertThat(lifeguard.events).isEmpty();
  }

  @Test
  void settingsOutsideTheirRangeAreRefusedNamingTheSettingAndTheRange() {
    DeviceCallbackServer.Builder b = DeviceCallbackServer.builder(store, lifeguard);
    assertThatThrownBy(() -> b.maxBodyBytes(Integer.MAX_VALUE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxBodyBytes").hasMessageContaining("0..1048576");
    assertThatThrownBy(() -> b.maxBodyBytes(-1)).hasMessageContaining("maxBodyBytes");
    assertThatThrownBy(() -> b.threads(0)).hasMessageContaining("threads").hasMessageContaining("1..256");
    assertThatThrownBy(() -> b.eventTimeout(Duration.ofHours(1)))
        .hasMessageContaining("eventTimeout");
  }

  @Test
  void theKnownEventsAreTheDeviceScriptsEventsAndAliases() {
    assertThat(DeviceEvents.EVENTS).containsExactlyInAnyOrder("mobile_init_started",
        "image_downloading", "image_extracting", "image_rebooting", "image_failed", "maint_mode",
        "self_test_running", "self_test_ok", "failed_self_test");
    assertThat(DeviceEvents.canonical("android_rebooting")).hasValue("image_rebooting");
    assertThat(DeviceEvents.isKnown("please_image")).isFalse();
  }

  /** Records device events; answers each with {@link #answer}. */
  static final class RecordingLifeguard implements Lifeguard {
    final List<String> events = Collections.synchronizedList(new ArrayList<>());
    volatile CompletableFuture<Void> answer = CompletableFuture.completedFuture(null);

    @Override
    public CompletionStage<Void> deviceEvent(String device, String event, Map<String, Object> args) {
      events.add(device + " " + event + " " + args);
      return answer;
    }

    @Override
    public void start() {}

    @Override
    public void deviceRegistered(String device) {}

    @Override
    public CompletionStage<Void> pleaseImage(String device, String image,
        Map<String, String> bootConfig) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletionStage<Void> pleasePowerCycle(String device) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletionStage<Void> pleaseSelfTest(String device) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletionStage<Void> pleaseStartMaintenance(String device) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletionStage<Void> changeState(String device, String from, String to) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletionStage<Void> released(String device) {
      throw new UnsupportedOperationException();
    }

    @Override
    public String state(String device) {
      return "unknown";
    }

    @Override
    public void close() {}
  }
}
