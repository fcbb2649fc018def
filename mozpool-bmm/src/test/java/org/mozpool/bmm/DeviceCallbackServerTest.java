package org.mozpool.bmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.UnaryOperator;
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
import org.mozpool.testkit.doubles.ScriptedLifeguard;

@Timeout(30)
class DeviceCallbackServerTest {

  private static final String TOKEN = "tok-6f1c2a";
  private static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");

  private final InMemoryPoolStore store = new InMemoryPoolStore();
  private final MutableClock clock = new MutableClock(NOW);
  private final ScriptedLifeguard scripted = ScriptedLifeguard.completingAtOnce();
  private final Lifeguard lifeguard = scripted.stateless(clock);
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
    server = new DeviceCallbackServer(store, lifeguard, clock,
        new InetSocketAddress("127.0.0.1", 0));
  }

  /** Replaces the server with one configured by {@code settings}, on 127.0.0.1. */
  private void restart(UnaryOperator<DeviceCallbackServer.Builder> settings) {
    server.close();
    server = settings.apply(DeviceCallbackServer.builder(store, lifeguard).clock(clock)
        .bind(new InetSocketAddress("127.0.0.1", 0))).start();
  }

  /** A raw connection from {@code host} (another loopback address than the devices' 127.0.0.1). */
  private Socket connectFrom(String host) throws IOException {
    Socket socket = new Socket();
    socket.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
    socket.connect(server.address(), 2000);
    socket.setSoTimeout(5000);
    return socket;
  }

  private static String readAll(Socket socket) throws IOException {
    return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
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

  /** What Lifeguard was told, one {@code "device event args"} per call, in order. */
  static List<String> events(ScriptedLifeguard lifeguard) {
    return lifeguard.calls().stream()
        .map(call -> call.device() + " " + call.event() + " " + call.args()).toList();
  }

  private List<String> deviceLog(String device) {
    return store.inTransaction(tx -> tx.log(MachineKind.DEVICE, device, 10_000)).stream()
        .map(LogEntry::message).toList();
  }

  @Test
  void anEventWithTheRightBearerTokenReachesLifeguardAndIsLogged() throws Exception {
    HttpResponse<String> response = send(post("api/device/panda-0042/event/image_failed/",
        "{\"reason\":\"checksum mismatch\",\"attempt\":2}"));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("{\"ok\":true}");
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(events(scripted)).containsExactly(
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
    assertThat(events(scripted)).containsExactly("panda-0042 mobile_init_started {}");
  }

  @Test
  void theOriginalScriptsEventNamesArePassedOnAsTheEventsTheyStandFor() throws Exception {
    assertThat(send(post("api/device/panda-0042/event/b2g_downloading/", "")).statusCode())
        .isEqualTo(200);
    assertThat(send(post("api/device/panda-0042/event/sut_verify_ok", "")).statusCode())
        .isEqualTo(200);

    assertThat(events(scripted)).containsExactly("panda-0042 image_downloading {}",
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
    assertThat(events(scripted)).isEmpty();
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
    assertThat(events(scripted)).isEmpty();
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
    assertThat(events(scripted)).isEmpty();
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
    assertThat(events(scripted)).isEmpty();
  }

  @Test
  void anOversizeBodyIs413() throws Exception {
    String big = "{\"junk\":\"" + "x".repeat(70 * 1024) + "\"}";

    HttpResponse<String> response = send(post("api/device/panda-0042/event/image_failed/", big));

    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(events(scripted)).isEmpty();
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
    assertThat(events(scripted)).isEmpty();
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
    scripted.replies("panda-0042").failsWith(
        new RefusedException("panda-0042", "self_test_ok", "ready", "not expected"));

    assertThat(send(post("api/device/panda-0042/event/self_test_ok/", "")).statusCode())
        .isEqualTo(409);
  }

  @Test
  void anEventLifeguardDoesNotTakeInTimeIs503() throws Exception {
    server.close();
    server = DeviceCallbackServer.builder(store, lifeguard)
        .eventTimeout(Duration.ofMillis(200)).start();
    scripted.replies("panda-0042").hangs();

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
  void slowAndSilentConnectionsDoNotKeepALegitimateDeviceFromBeingAnswered() throws Exception {
    List<Socket> stalling = new ArrayList<>();
    try {
      for (int i = 0; i < 20; i++) {
        Socket s = connectFrom("127.0.0.2");
        if (i % 3 != 0) { // the others connect and send nothing at all
          OutputStream out = s.getOutputStream();
          out.write("POST /api/device/panda-0042/ev".getBytes(StandardCharsets.US_ASCII));
          out.flush();
        }
        stalling.add(s);
      }

      long start = System.nanoTime();
      HttpResponse<String> response = http.send(
          post("api/device/panda-0042/event/image_failed/", "").timeout(Duration.ofSeconds(3))
              .build(), HttpResponse.BodyHandlers.ofString());

      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    } finally {
      for (Socket s : stalling) {
        s.close();
      }
    }
  }

  @Test
  void aClientThatDoesNotSendItsWholeRequestInTimeIsAnswered408AndDisconnected() throws Exception {
    restart(b -> b.requestReadTimeout(Duration.ofMillis(300)));
    try (Socket s = connectFrom("127.0.0.1")) {
      s.getOutputStream().write(("POST /api/device/panda-0042/event/image_failed/ HTTP/1.1\r\n"
          + "Content-Length: 10\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
      long start = System.nanoTime();

      assertThat(readAll(s)).startsWith("HTTP/1.1 408 ");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    }
    assertThat(events(scripted)).isEmpty();
  }

  @Test
  void connectionsFromOnePeerBeyondItsLimitAreRefusedWhileOtherPeersAreServed() throws Exception {
    restart(b -> b.maxConnectionsPerPeer(2));
    try (Socket first = connectFrom("127.0.0.2"); Socket second = connectFrom("127.0.0.2");
        Socket third = connectFrom("127.0.0.2")) {
      assertThat(readAll(third)).startsWith("HTTP/1.1 503 ").contains("too many connections");

      assertThat(send(post("api/device/panda-0042/event/image_failed/", "")).statusCode())
          .isEqualTo(200);
    }
  }

  @Test
  void anEncodedLineBreakInARefusedEventNameCannotForgeASecondLogLine() throws Exception {
    String forged = "x%0D%0A2026-11-25T12:00:00Z%20%5Bdevice%5D%20event%20self_test_ok";
    HttpResponse<String> response = send(HttpRequest.newBuilder(
            server.uri().resolve("api/device/panda-0042/event/" + forged + "/"))
        .header("Authorization", "Bearer wrong"));

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(deviceLog("panda-0042")).singleElement().asString()
        .doesNotContain("\n").doesNotContain("\r").contains("x\\r\\n2026-11-25");
  }

  @Test
  void whatADeviceSentIsLoggedShortenedAndWithoutControlCharacters() throws Exception {
    String longName = "y".repeat(5000);
    send(post("api/device/panda-0042/event/" + longName + "/", "")); // unknown event, with token
    send(post("api/device/panda-0042/event/image_failed/",
        "{\"reason\":\"line one\\nline two " + "z".repeat(5000) + "\"}"));

    assertThat(deviceLog("panda-0042")).hasSize(2).allSatisfy(line -> assertThat(line)
        .hasSizeLessThan(1200).doesNotContain("\n"));
    assertThat(deviceLog("panda-0042").get(1)).contains("line one\\nline two");
  }

  @Test
  void twoThousandRefusedCallsAddOnlyABoundedNumberOfLogLines() throws Exception {
    String event = "self_test_ok" + "-".repeat(2000);
    ExecutorService callers = Executors.newFixedThreadPool(4);
    try {
      List<Future<Integer>> calls = new ArrayList<>();
      for (int i = 0; i < 2000; i++) {
        calls.add(callers.submit(() -> send(HttpRequest.newBuilder(
                server.uri().resolve("api/device/panda-0042/event/" + event + "/"))
            .header("Authorization", "Bearer guess")).statusCode()));
      }
      for (Future<Integer> call : calls) {
        assertThat(call.get()).isEqualTo(401);
      }
    } finally {
      callers.shutdownNow();
    }

    List<String> log = deviceLog("panda-0042");
    assertThat(log).hasSize(10).allSatisfy(l -> assertThat(l).contains("callback refused"));
    assertThat(log.stream().mapToInt(String::length).sum()).isLessThan(10 * 1024);

    clock.advance(Duration.ofMinutes(1));
    send(HttpRequest.newBuilder(server.uri().resolve("api/device/panda-0042/bootconfig/")));
    List<String> later = deviceLog("panda-0042");
    assertThat(later).hasSize(12);
    assertThat(later.get(10))
        .isEqualTo("... 1990 more refused calls suppressed since 2026-11-25T12:00:00Z");
    assertThat(later.get(11)).contains("boot config").contains("no token");
  }

  @Test
  void trailingContentAfterTheJsonBodyIs400() throws Exception {
    HttpResponse<String> response = send(post("api/device/panda-0042/event/image_failed/",
        "{\"a\":1} trailing"));

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.body()).contains("malformed JSON");
    assertThat(events(scripted)).isEmpty();
  }

  @Test
  void aChunkedBodyAndAnExpectContinueBodyAreReadWhole() throws Exception {
    byte[] json = "{\"reason\":\"chunked\"}".getBytes(StandardCharsets.UTF_8);
    assertThat(send(HttpRequest.newBuilder(
            server.uri().resolve("api/device/panda-0042/event/image_failed/"))
        .header("Authorization", "Bearer " + TOKEN)
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(json))))
        .statusCode()).isEqualTo(200);
    assertThat(send(post("api/device/panda-0042/event/image_failed/", "{\"reason\":\"expect\"}")
        .expectContinue(true)).statusCode()).isEqualTo(200);

    assertThat(events(scripted)).containsExactly("panda-0042 image_failed {reason=chunked}",
        "panda-0042 image_failed {reason=expect}");
  }

  @Test
  void aMalformedRequestIs400() throws Exception {
    try (Socket s = connectFrom("127.0.0.1")) {
      s.getOutputStream().write("NONSENSE\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      assertThat(readAll(s)).startsWith("HTTP/1.1 400 ");
    }
    try (Socket s = connectFrom("127.0.0.1")) {
      s.getOutputStream().write(("GET /api/device/panda-0042/bootconfig/ HTTP/1.1\r\n"
          + "X-Long: " + "h".repeat(20_000) + "\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      assertThat(readAll(s)).startsWith("HTTP/1.1 431 ");
    }
  }

  @Test
  void aRepeatedContentLengthOrTransferEncodingIs400() throws Exception {
    for (String framing : new String[] {"Content-Length: 2\r\nContent-Length: 40\r\n",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n"}) {
      try (Socket s = connectFrom("127.0.0.1")) {
        s.getOutputStream().write(("POST /api/device/panda-0042/event/image_failed/ HTTP/1.1\r\n"
            + "Authorization: Bearer " + TOKEN + "\r\n" + framing + "\r\n{}")
            .getBytes(StandardCharsets.US_ASCII));
        assertThat(readAll(s)).as(framing).startsWith("HTTP/1.1 400 ").contains("repeated");
      }
    }
    assertThat(events(scripted)).isEmpty();
  }

  @Test
  void aDeviceNameNoDeviceCanHaveIs404WithoutAskingTheStore() throws Exception {
    // Some stores answer such bytes with an error (PostgreSQL refuses a NUL), not "no such row".
    java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
    org.mozpool.spi.PoolStore counting = new org.mozpool.spi.PoolStore() {
      @Override
      public <T> T inTransaction(java.util.function.Function<org.mozpool.spi.StoreTransaction, T> work) {
        asked.incrementAndGet();
        return store.inTransaction(work);
      }

      @Override
      public void close() {}
    };
    server.close();
    server = DeviceCallbackServer.builder(counting, lifeguard).clock(clock)
        .bind(new InetSocketAddress("127.0.0.1", 0)).start();

    HttpResponse<String> nul = send(HttpRequest.newBuilder(
        server.uri().resolve("api/device/a%00b/bootconfig/")).header("Authorization", "Bearer x"));
    HttpResponse<String> long_ = send(HttpRequest.newBuilder(
        server.uri().resolve("api/device/" + "p".repeat(200) + "/bootconfig/")));

    assertThat(nul.statusCode()).isEqualTo(404);
    assertThat(long_.statusCode()).isEqualTo(404);
    assertThat(asked).hasValue(0);
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
    assertThatThrownBy(() -> b.requestReadTimeout(Duration.ZERO))
        .hasMessageContaining("requestReadTimeout");
    assertThatThrownBy(() -> b.maxConnections(0)).hasMessageContaining("maxConnections")
        .hasMessageContaining("1..4096");
    assertThatThrownBy(() -> b.maxConnectionsPerPeer(0))
        .hasMessageContaining("maxConnectionsPerPeer");
    assertThatThrownBy(() -> b.refusalsLoggedPerMinute(-1))
        .hasMessageContaining("refusalsLoggedPerMinute").hasMessageContaining("0..1000");
    assertThatThrownBy(() -> b.maxConnections(4).maxConnectionsPerPeer(5).start())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxConnectionsPerPeer").hasMessageContaining("maxConnections (4)");
  }

  @Test
  void theKnownEventsAreTheDeviceScriptsEventsAndAliases() {
    assertThat(DeviceEvents.EVENTS).containsExactlyInAnyOrder("mobile_init_started",
        "image_downloading", "image_extracting", "image_rebooting", "image_failed", "maint_mode",
        "self_test_running", "self_test_ok", "failed_self_test");
    assertThat(DeviceEvents.canonical("android_rebooting")).hasValue("image_rebooting");
    assertThat(DeviceEvents.isKnown("please_image")).isFalse();
  }

  /** A clock that moves only when told to. */
  static final class MutableClock extends Clock {
    private volatile Instant now;

    MutableClock(Instant start) {
      this.now = start;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }
  }
}
