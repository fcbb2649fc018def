package org.mozpool.server.callback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.mozpool.server.callback.CallbackHttpFixture.TOKEN;
import static org.mozpool.server.callback.CallbackHttpFixture.readAll;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mozpool.server.internal.Limits;

/**
 * The HTTP server's limits hold for the whole port (API and device callbacks), over real loopback
 * sockets: slow and silent clients are cut off without holding up others, one peer cannot take
 * every connection, bodies are bounded, and every error is JSON without a server banner.
 */
@Timeout(30)
class HttpHardeningTest {

  private static final Duration REQUEST_TIMEOUT = Duration.ofMillis(500);

  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();
  private final CallbackHttpFixture server = new CallbackHttpFixture(Limits.defaults()
      .withRequestTimeout(REQUEST_TIMEOUT).withMaxConnectionsPerPeer(4)).open();

  @AfterEach
  void tearDown() {
    server.close();
  }

  private HttpResponse<String> postEvent() throws Exception {
    return http.send(HttpRequest.newBuilder(
            server.uri().resolve("api/device/panda-0042/event/image_failed/"))
        .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(3))
        .POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void write(Socket s, String text) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(text.getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  @Test
  void aClientThatSendsHalfARequestHeadIsAnswered408AndDisconnected() throws Exception {
    try (Socket s = server.connectFrom("127.0.0.2")) {
      write(s, "POST /api/device/panda-0042/event/image_failed/ HTTP/1.1\r\nHost: x\r\n");
      long start = System.nanoTime();

      String answer = readAll(s); // returns once the server has closed the connection

      assertThat(answer).startsWith("HTTP/1.1 408 ").contains("{\"error\":");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    }
    assertThat(server.events()).isEmpty();
  }

  @Test
  void aClientThatDripsItsHeadOneByteAtATimeIsCutOffAtTheRequestTimeout() throws Exception {
    try (Socket s = server.connectFrom("127.0.0.2")) {
      long start = System.nanoTime();
      String head = "GET /api/device/panda-0042/bootconfig/ HTTP/1.1\r\nX-Slow: "
          + "a".repeat(200);
      boolean cut = false;
      for (int i = 0; i < head.length() && !cut; i++) {
        try {
          write(s, head.substring(i, i + 1));
          Thread.sleep(50);
        } catch (IOException e) {
          cut = true; // the server has closed the connection
        }
      }
      s.setSoTimeout(3000);
      InputStream in = s.getInputStream();
      String answer = cut ? "" : new String(in.readAllBytes(), StandardCharsets.US_ASCII);

      assertThat(cut || answer.startsWith("HTTP/1.1 408 ")).as(answer).isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }
  }

  @Test
  void aClientThatSendsHalfItsBodyIsDisconnected() throws Exception {
    try (Socket s = server.connectFrom("127.0.0.2")) {
      write(s, "POST /api/device/panda-0042/event/image_failed/ HTTP/1.1\r\nHost: x\r\n"
          + "Authorization: Bearer " + TOKEN + "\r\nContent-Length: 20\r\n\r\n{\"rea");
      long start = System.nanoTime();

      readAll(s); // whatever the handler manages to say, the connection ends

      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    }
    assertThat(server.events()).isEmpty();
  }

  @Test
  void slowAndSilentConnectionsDoNotKeepADeviceFromBeingAnswered() throws Exception {
    List<Socket> stalling = new ArrayList<>();
    try {
      for (int i = 0; i < 20; i++) { // from five addresses, within the per-peer limit
        Socket s = server.connectFrom("127.0.0." + (2 + i % 5));
        if (i % 3 != 0) { // the others connect and send nothing at all
          write(s, "POST /api/device/panda-0042/ev");
        }
        stalling.add(s);
      }

      long start = System.nanoTime();
      HttpResponse<String> response = postEvent();

      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    } finally {
      for (Socket s : stalling) {
        s.close();
      }
    }
  }

  @Test
  void connectionsFromOnePeerBeyondItsLimitAreRefused503WhileOtherPeersAreServed()
      throws Exception {
    // Silent connections count against their peer until the request timeout cuts them off: a
    // long one here, so that a loaded machine cannot let them expire before the fifth arrives.
    try (CallbackHttpFixture patient = new CallbackHttpFixture(Limits.defaults()
        .withRequestTimeout(Duration.ofSeconds(30)).withMaxConnectionsPerPeer(4)).open()) {
      List<Socket> flood = new ArrayList<>();
      try {
        for (int i = 0; i < 4; i++) {
          flood.add(patient.connectFrom("127.0.0.2"));
        }
        // the server counts a connection when it accepts it, which may be after connect()
        // returned here: a fifth that came too early is simply tried again
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(() -> {
          try (Socket fifth = patient.connectFrom("127.0.0.2")) {
            assertThat(readAll(fifth)).startsWith("HTTP/1.1 503 ")
                .contains("too many connections");
          }
        });

        HttpResponse<String> served = http.send(HttpRequest.newBuilder(
                patient.uri().resolve("api/device/panda-0042/event/image_failed/"))
            .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(served.statusCode()).isEqualTo(200);
      } finally {
        for (Socket s : flood) {
          s.close();
        }
      }
    }
  }


  @Test
  void beyondTheOverallCapANewConnectionWaitsUntilSilentOnesAreCutOff() throws Exception {
    Limits fourConnections = new Limits(Limits.MAX_BODY_BYTES, 64 * 1024, REQUEST_TIMEOUT,
        Duration.ofSeconds(30), 64, 4, 4, 16 * 1024, Duration.ofSeconds(10));
    try (CallbackHttpFixture small = new CallbackHttpFixture(fourConnections).open()) {
      List<Socket> silent = new ArrayList<>();
      try {
        for (int i = 0; i < 4; i++) {
          silent.add(small.connectFrom("127.0.0." + (2 + i)));
        }
        Thread.sleep(100); // all four accepted: Jetty stops accepting
        try (Socket waiting = small.connectFrom("127.0.0.9")) { // in the listen backlog
          write(waiting, "GET /api/device/panda-0043/bootconfig/?token=other-token HTTP/1.1\r\n"
              + "Host: x\r\nConnection: close\r\n\r\n");
          long start = System.nanoTime();

          assertThat(readAll(waiting)).startsWith("HTTP/1.1 200 ")
              .endsWith("{\"build\":\"current\"}");
          assertThat(Duration.ofNanos(System.nanoTime() - start))
              .isGreaterThan(REQUEST_TIMEOUT.dividedBy(2)).isLessThan(Duration.ofSeconds(3));
        }
      } finally {
        for (Socket s : silent) {
          s.close();
        }
      }
    }
  }

  @Test
  void aBodyOverThePortsLimitIs413OnAnyRoute() throws Exception {
    try (Socket s = server.connectFrom("127.0.0.1")) {
      write(s, "POST /api/version HTTP/1.1\r\nHost: x\r\nContent-Length: "
          + (Limits.MAX_BODY_BYTES + 1) + "\r\n\r\n{}");
      String answer = readAll(s);
      assertThat(answer).startsWith("HTTP/1.1 413 ").contains("application/json")
          .contains("{\"error\":\"body larger than 1048576 bytes\"}");
    }
  }

  @Test
  void unknownRoutesAndWrongMethodsAreJson() throws Exception {
    HttpResponse<String> missing = http.send(HttpRequest.newBuilder(
        server.uri().resolve("nothing")).build(), HttpResponse.BodyHandlers.ofString());
    // (under /api/ the API's token check answers first; the callback routes check their own)
    HttpResponse<String> wrongMethod = http.send(HttpRequest.newBuilder(
            server.uri().resolve("api/device/panda-0042/bootconfig")).DELETE().build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body()).startsWith("{\"error\":");
    assertThat(wrongMethod.statusCode()).isEqualTo(405);
    assertThat(wrongMethod.body()).startsWith("{").contains("\"error\":");
  }

  @Test
  void anOversizedRequestHeadIs431AsJsonWithoutAServerBanner() throws Exception {
    try (Socket s = server.connectFrom("127.0.0.1")) {
      write(s, "GET /api/device/panda-0042/bootconfig/ HTTP/1.1\r\nHost: x\r\nX-Long: "
          + "h".repeat(20_000) + "\r\n\r\n");
      String answer = readAll(s);
      assertThat(answer).startsWith("HTTP/1.1 431 ").contains("{\"error\":");
      assertThat(answer.toLowerCase()).doesNotContain("server:").doesNotContain("jetty")
          .doesNotContain("<html");
    }
  }

  @Test
  void noAnswerNamesTheServersSoftware() throws Exception {
    HttpResponse<String> ok = http.send(HttpRequest.newBuilder(
        server.uri().resolve("api/version")).build(), HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> refused = postEvent();

    assertThat(ok.headers().firstValue("Server")).isEmpty();
    assertThat(ok.headers().firstValue("X-Powered-By")).isEmpty();
    assertThat(refused.headers().firstValue("Server")).isEmpty();
  }
}
