package org.mozpool.server.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.ConflictException;
import org.mozpool.DeviceStates;
import org.mozpool.DeviceView;
import org.mozpool.RequestView;
import org.mozpool.server.ConfigLoader;
import org.mozpool.server.MozpoolServer;
import org.mozpool.testkit.relay.RelayBoardEmulator;

/**
 * Issue 12, "bad input, fuzzed": thousands of generated calls over every route of the API — bad
 * JSON, wrong types, huge bodies, unknown ids, path tricks, bad tokens — are answered, never with a
 * 5xx, never by hanging, never with a stack trace; and calls that are refused change nothing.
 * Seeded: a failure names the seed and the call, {@code -Dmozpool.fuzz.seed=N} replays it.
 */
@Timeout(240)
class ApiFuzzTest {

  private static final long SEED = Long.getLong("mozpool.fuzz.seed", 20261201L);
  private static final String CLIENT_TOKEN = "client-secret-0123456789";
  private static final String OPERATOR_TOKEN = "operator-secret-0123456789";
  private static final List<String> DEVICES = List.of("panda-1", "panda-2", "panda-3", "panda-4");
  private static final Duration CALL_LIMIT = Duration.ofSeconds(15);

  /** Every route of the API, {@code {x}} marking a path parameter. */
  private static final List<String> ROUTES = List.of(
      "version/", "device/list/", "device/{device}/request/", "request/list/",
      "request/{request}/details/", "request/{request}/status/", "request/{request}/log/",
      "request/{request}/renew/", "request/{request}/return/", "image/list/",
      "device/{device}/event/{event}/", "device/{device}/bootconfig/",
      "device/{device}/state-change/{state}/to/{state}/", "device/{device}/status/",
      "device/{device}/state/", "device/{device}/log/", "device/{device}/power-cycle/",
      "device/{device}/power-off/", "device/{device}/ping/", "device/{device}/clear-pxe/",
      "device/{device}/set-comments/", "device/{device}/set-environment/",
      "environment/list/", "bmm/pxe_config/list/", "bmm/pxe_config/{name}/details/",
      "relay/{name}/test/");

  private static final List<String> METHODS =
      List.of("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS");

  @TempDir
  Path dir;

  private RelayBoardEmulator board;
  private MozpoolServer server;
  private HttpClient http;
  private final List<String> failures = Collections.synchronizedList(new ArrayList<>());

  @BeforeEach
  void startServer() {
    board = RelayBoardEmulator.start();
    StringBuilder devices = new StringBuilder();
    for (int i = 0; i < DEVICES.size(); i++) {
      devices.append("  - {name: ").append(DEVICES.get(i)).append(", mac: \"00:00:00:00:00:0")
          .append(i + 1).append("\", hardware: panda, environment: production, power: \"proxr://")
          .append(board.hostAndPort()).append("/bank/1/relay/").append(i + 1)
          .append("\", tags: {rack: r1}}\n");
    }
    String yaml = """
        instance: fuzz
        database: {url: "h2:db/mozpool"}
        api: {listen: "127.0.0.1:0"}
        tftp: {root: tftp, port: 0}
        probe: {ping: "tcp:9", timeout_seconds: 1}
        auth:
          mode: tokens
          tokens:
            - {name: ci, role: client, token_env: FUZZ_CLIENT_TOKEN}
            - {name: ops, role: operator, token_env: FUZZ_OPERATOR_TOKEN}
        hardware_types: [{name: panda}]
        pxe_configs:
          - {name: panda-live, contents: "default live\\nappend device=%DEVICE% token=%TOKEN%\\n"}
        images:
          - {name: b2g, boot_config_keys: [b2gbase], reusable: true, pxe_configs: {panda: panda-live}}
          - {name: android, pxe_configs: {panda: panda-live}}
          - {name: self-test, hidden: true, pxe_configs: {panda: panda-live}}
          - {name: maintenance, hidden: true, pxe_configs: {panda: panda-live}}
        relay_boards: [{name: relay-1, host: 127.0.0.1, port: BOARD_PORT}]
        devices:
        """.replace("BOARD_PORT", String.valueOf(board.port())) + devices;
    server = MozpoolServer.builder(ConfigLoader.parse("fuzz.yaml", yaml)).configDirectory(dir)
        .environment(Map.of("FUZZ_CLIENT_TOKEN", CLIENT_TOKEN,
            "FUZZ_OPERATOR_TOKEN", OPERATOR_TOKEN))
        .start();
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    // Devices that no automatic workflow moves, so that what a refused call did would show.
    for (String d : DEVICES) {
      lockOut(d);
    }
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    board.close();
  }

  private void lockOut(String device) {
    for (int attempt = 0; attempt < 100; attempt++) {
      String state = server.pool().lifeguard().state(device);
      if (state.equals(DeviceStates.LOCKED_OUT)) {
        return;
      }
      try {
        server.pool().lifeguard().changeState(device, state, DeviceStates.LOCKED_OUT)
            .toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        if (!(e.getCause() instanceof ConflictException)) {
          throw new AssertionError("cannot lock " + device + " out", e);
        }
      }
    }
    throw new AssertionError(device + " never settled in " + DeviceStates.LOCKED_OUT);
  }

  @Test
  void refusedCallsAreAnsweredFourHundredSomethingAndChangeNothing() throws Exception {
    String before = snapshot();
    Random random = new Random(SEED);
    AtomicInteger refused = new AtomicInteger();
    runConcurrently(6_000, i -> {
      Call call = refusedCall(new Random(random.nextLong() ^ i));
      int status = send(call);
      if (status >= 200 && status < 400) {
        failures.add("accepted a call meant to be refused (" + status + "): " + call);
      } else if (status >= 400) {
        refused.incrementAndGet();
      }
    });
    assertNoFailures();
    assertThat(refused.get()).isEqualTo(6_000);
    assertThat(snapshot()).as("what refused calls left behind").isEqualTo(before);
  }

  @Test
  void anyCallAtAllIsAnsweredWithoutServerErrorOrHang() throws Exception {
    Random random = new Random(SEED + 1);
    runConcurrently(6_000, i -> send(anyCall(new Random(random.nextLong() ^ i))));
    assertNoFailures();
    // and the server still serves
    assertThat(send(new Call("GET", "/api/version/", null, "Bearer " + CLIENT_TOKEN, null)))
        .isEqualTo(200);
  }

  @Test
  void rawRequestsWithPathTricksHugeBodiesAndBrokenFramingGetAnAnswerNotAnError()
      throws Exception {
    Random random = new Random(SEED + 2);
    List<String> raw = new ArrayList<>();
    for (String path : List.of("/api/../../etc/passwd", "/api/device/..%2f..%2fetc/status/",
        "/api/device/%00/status/", "/api/device/panda-1/state-change/%ff%fe/to/ready/",
        "//api//version//", "/api/device/" + "x".repeat(20_000) + "/status/",
        "/api/request/%2e%2e/details/", "/api/device/panda-1/../panda-2/status/")) {
      raw.add("GET " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + OPERATOR_TOKEN
          + "\r\nConnection: close\r\n\r\n");
    }
    raw.add("POST /api/device/any/request/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + CLIENT_TOKEN + "\r\nContent-Type: application/json\r\nContent-Length: 3000000\r\n"
        + "Connection: close\r\n\r\n" + "[".repeat(3_000_000));
    raw.add("POST /api/device/any/request/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + CLIENT_TOKEN + "\r\nContent-Length: 10\r\nContent-Length: 20\r\nConnection: close"
        + "\r\n\r\n{}{}{}{}{}");
    raw.add("POST /api/device/any/request/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + CLIENT_TOKEN + "\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        + "zz\r\nnot hex\r\n0\r\n\r\n");
    raw.add("GARBAGE\r\n\r\n");
    byte[] noise = new byte[4096];
    random.nextBytes(noise);
    raw.add(new String(noise, StandardCharsets.ISO_8859_1) + "\r\n\r\n");
    for (String request : raw) {
      String statusLine = rawExchange(request);
      String shown = request.length() > 120 ? request.substring(0, 120) + "…" : request;
      if (statusLine.isEmpty()) {
        continue; // the server may simply close on bytes that are not HTTP
      }
      int status = Integer.parseInt(statusLine.split(" ")[1]);
      if (status >= 500) {
        failures.add(status + " for raw request " + shown.replace("\r\n", "\\r\\n"));
      }
    }
    assertNoFailures();
  }

  private String rawExchange(String request) throws IOException {
    try (Socket s = new Socket(server.uri().getHost(), server.port())) {
      s.setSoTimeout((int) CALL_LIMIT.toMillis());
      OutputStream out = s.getOutputStream();
      try {
        out.write(request.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
      } catch (IOException e) {
        // the server may stop reading a request it already refused; its answer is still there
      }
      InputStream in = s.getInputStream();
      StringBuilder line = new StringBuilder();
      int c;
      try {
        while ((c = in.read()) >= 0 && c != '\n') {
          line.append((char) c);
        }
      } catch (java.net.SocketTimeoutException e) {
        failures.add("no answer within " + CALL_LIMIT + " to raw request "
            + request.substring(0, Math.min(80, request.length())));
      } catch (IOException e) {
        // reset after the answer was refused
      }
      return line.toString().strip();
    }
  }

  // ---------------------------------------------------------------- generated calls

  private record Call(String method, String path, String body, String authorization,
      String contentType) {
    @Override
    public String toString() {
      String b = body == null ? "" : body.length() > 80 ? " body " + body.substring(0, 80) + "…"
          : " body " + body;
      return method + " " + (path.length() > 120 ? path.substring(0, 120) + "…" : path)
          + " auth=" + (authorization == null ? "none" : authorization.length() > 30
              ? authorization.substring(0, 30) + "…" : authorization) + b;
    }
  }

  /** A call that must be refused: no or a wrong token, or an operator route with a client's. */
  private Call refusedCall(Random r) {
    String path = "/api/" + fill(pick(r, ROUTES), r, true);
    String method = pick(r, METHODS);
    String auth = switch (r.nextInt(5)) {
      case 0 -> null;
      case 1 -> "Bearer wrong-" + r.nextInt(1000);
      case 2 -> "Basic " + CLIENT_TOKEN;
      case 3 -> "Bearer " + CLIENT_TOKEN.substring(0, CLIENT_TOKEN.length() - 1);
      default -> "Bearer " + "x".repeat(1 + r.nextInt(8000));
    };
    return new Call(method, path + query(r), body(r, path), auth, contentType(r));
  }

  /** Anything: any route, any method, any token, valid or not. */
  private Call anyCall(Random r) {
    String path = "/api/" + fill(pick(r, ROUTES), r, r.nextInt(4) == 0);
    String auth = switch (r.nextInt(6)) {
      case 0 -> null;
      case 1 -> "Bearer wrong";
      case 2, 3 -> "Bearer " + OPERATOR_TOKEN;
      default -> "Bearer " + CLIENT_TOKEN;
    };
    String method = r.nextInt(3) == 0 ? pick(r, METHODS) : r.nextBoolean() ? "GET" : "POST";
    return new Call(method, path + query(r), body(r, path), auth, contentType(r));
  }

  private String fill(String route, Random r, boolean hostile) {
    StringBuilder sb = new StringBuilder();
    int i = 0;
    while (i < route.length()) {
      int open = route.indexOf('{', i);
      if (open < 0) {
        sb.append(route, i, route.length());
        break;
      }
      int close = route.indexOf('}', open);
      sb.append(route, i, open);
      String kind = route.substring(open + 1, close);
      sb.append(hostile || r.nextInt(3) == 0 ? hostileSegment(r) : validSegment(kind, r));
      i = close + 1;
    }
    if (r.nextBoolean() && sb.charAt(sb.length() - 1) == '/') {
      sb.setLength(sb.length() - 1); // the trailing slash is optional
    }
    return sb.toString();
  }

  private String validSegment(String kind, Random r) {
    return switch (kind) {
      case "device" -> r.nextInt(4) == 0 ? "any" : pick(r, DEVICES);
      case "request" -> String.valueOf(r.nextInt(50));
      case "event" -> pick(r, List.of("please_power_cycle", "please_self_test",
          "please_image", "mobile_init_started", "image_downloading", "self_test_ok",
          "free", "nonsense"));
      case "state" -> pick(r, List.of("ready", "locked_out", "free", "failed_self_test",
          "new", "maintenance_mode"));
      case "name" -> pick(r, List.of("relay-1", "panda-live", "nope"));
      default -> "x";
    };
  }

  private String hostileSegment(Random r) {
    return switch (r.nextInt(12)) {
      case 0 -> "no-such-thing-" + r.nextInt(1_000_000);
      case 1 -> "%2e%2e";
      case 2 -> "..%2f..%2fetc%2fpasswd";
      case 3 -> "%00";
      case 4 -> "x".repeat(300 + r.nextInt(5000));
      case 5 -> "%E2%98%83%F0%9F%90%BC";
      case 6 -> "%27%3B%20DROP%20TABLE%20devices%3B--";
      case 7 -> "-1";
      case 8 -> "99999999999999999999999999";
      case 9 -> "%20";
      case 10 -> "%ff%fe";
      default -> "%3Cscript%3E";
    };
  }

  private String query(Random r) {
    return switch (r.nextInt(8)) {
      case 0 -> "?details";
      case 1 -> "?include_closed=1";
      case 2 -> "?details=%ff&include_closed=%00";
      case 3 -> "?" + "a=b&".repeat(200);
      default -> "";
    };
  }

  private String contentType(Random r) {
    return switch (r.nextInt(5)) {
      case 0 -> null;
      case 1 -> "text/plain";
      case 2 -> "application/x-www-form-urlencoded";
      default -> "application/json";
    };
  }

  private String body(Random r, String path) {
    return switch (r.nextInt(16)) {
      case 0 -> null;
      case 1 -> "";
      case 2 -> "{";
      case 3 -> "[1,";
      case 4 -> "null";
      case 5 -> "\"just a string\"";
      case 6 -> "{\"assignee\": 42, \"duration\": \"soon\", \"image\": [\"b2g\"]}";
      case 7 -> "{\"assignee\": \"fuzz\", \"duration\": -5, \"image\": \"b2g\"}";
      case 8 -> "{\"assignee\": \"fuzz\", \"duration\": 1e309, \"image\": \"b2g\"}";
      case 9 -> "{\"assignee\": \"fuzz\", \"duration\": 600, \"image\": \"no-such-image\"}";
      case 10 -> "{\"assignee\": \"fuzz\", \"duration\": 600, \"image\": \"b2g\"}";
      case 11 -> "{\"assignee\": \"fuzz\", \"duration\": 600, \"image\": \"b2g\","
          + " \"b2gbase\": \"http://127.0.0.1:1/build\", \"environment\": \"production\"}";
      case 12 -> "[".repeat(5000) + "]".repeat(5000);
      case 13 -> "{\"comments\": \"" + "c".repeat(r.nextInt(60_000)) + "\"}";
      case 14 -> "{\"environment\": {\"nested\": true}, \"duration\": 9223372036854775807}";
      default -> {
        byte[] junk = new byte[r.nextInt(2000)];
        r.nextBytes(junk);
        yield new String(junk, StandardCharsets.ISO_8859_1);
      }
    };
  }

  private static <T> T pick(Random r, List<T> list) {
    return list.get(r.nextInt(list.size()));
  }

  // ---------------------------------------------------------------- sending and checking

  private int send(Call call) {
    HttpRequest.Builder b;
    try {
      b = HttpRequest.newBuilder(URI.create(server.uri() + call.path())).timeout(CALL_LIMIT);
    } catch (IllegalArgumentException e) {
      failures.add("the fuzzer made a URI Java cannot send: " + call);
      return -1;
    }
    HttpRequest.BodyPublisher body = call.body() == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(call.body(), StandardCharsets.ISO_8859_1);
    b.method(call.method(), body);
    if (call.authorization() != null) {
      b.header("Authorization", call.authorization());
    }
    if (call.contentType() != null) {
      b.header("Content-Type", call.contentType());
    }
    HttpResponse<String> response;
    try {
      try {
        response = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      } catch (IOException e) {
        if (!String.valueOf(e.getMessage()).contains("received no bytes")) {
          throw e;
        }
        // The server closed a kept-alive connection just as the client reused it (HTTP's idle
        // race; the JDK's client retries only GETs): nothing was read, so send once more on a
        // new connection. A server that drops this call again is still a failure.
        response = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      }
    } catch (java.net.http.HttpTimeoutException e) {
      failures.add("no answer within " + CALL_LIMIT + ": " + call);
      return -1;
    } catch (IOException e) {
      failures.add("connection failed (" + e + "): " + call);
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
    int status = response.statusCode();
    String text = response.body();
    if (status >= 500) {
      failures.add(status + " " + abbreviate(text) + " for " + call);
    } else if (text.contains("Exception") || text.contains("\tat ") || text.contains("at org.")) {
      failures.add("a stack trace or exception name in the answer " + abbreviate(text) + " for "
          + call);
    } else if (status >= 400 && !call.method().equals("HEAD") && !text.isEmpty()
        && !text.strip().startsWith("{")) {
      failures.add("a " + status + " answer that is not a JSON error: " + abbreviate(text)
          + " for " + call);
    }
    return status;
  }

  private static String abbreviate(String s) {
    return s.length() > 200 ? s.substring(0, 200) + "…" : s;
  }

  private interface Body {
    void run(int i) throws Exception;
  }

  private void runConcurrently(int calls, Body body) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < calls; i++) {
        int n = i;
        futures.add(pool.submit(() -> {
          body.run(n);
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * What a call could change: devices and requests. (Not the logs: a refused call to a device is
   * written to its log, as an audit trail should.)
   */
  private String snapshot() {
    StringBuilder sb = new StringBuilder();
    for (DeviceView d : server.pool().inventory().devices()) {
      sb.append(d.name()).append(' ').append(d.state()).append(' ').append(d.image()).append(' ')
          .append(d.spec().environment()).append(' ').append(d.spec().comments()).append(' ')
          .append(d.claimedBy()).append('\n');
    }
    for (RequestView r : server.pool().requests()) {
      sb.append(r).append('\n');
    }
    return sb.toString();
  }

  private void assertNoFailures() {
    if (!failures.isEmpty()) {
      throw new AssertionError(failures.size() + " bad answers (seed " + SEED + "), first ones:\n  "
          + String.join("\n  ", failures.subList(0, Math.min(20, failures.size()))));
    }
  }
}
