package org.mozpool.bmm.live;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.mozpool.bmm.LiveScripts;

/**
 * A stand-in for a Mozpool server on 127.0.0.1, as the live image sees it: the device callbacks
 * ({@code /api/device/{name}/event/{event}/} recorded, {@code /bootconfig/} answered), the
 * second-stage scripts at {@code /live/{script}} from {@link LiveScripts}, and a build server at
 * {@code /build/} serving artifacts. Every call must carry the device's token as a bearer token
 * (401 otherwise), unless it was made {@linkplain #scriptsAndBuilds() for scripts and builds
 * only}. {@link #failEverything(int)} makes it answer every call with one status.
 */
final class FakeMozpool implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One reported event and its arguments. */
  record Event(String name, Map<String, Object> args) {}

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "fake-mozpool");
    t.setDaemon(true);
    return t;
  });
  private final String device;
  private final String token;
  private final List<Event> events = new CopyOnWriteArrayList<>();
  private final Map<String, byte[]> artifacts = new ConcurrentHashMap<>();
  private final AtomicInteger calls = new AtomicInteger();
  private volatile Map<String, String> bootConfig = Map.of();
  private volatile int failStatus;

  FakeMozpool(String device, String token) {
    this.device = device;
    this.token = token;
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /** A server of scripts and builds only, for any device's token (no device callbacks). */
  static FakeMozpool scriptsAndBuilds() {
    return new FakeMozpool("\0none", null);
  }

  /** The base URL, ending in {@code /}. */
  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
  }

  /** The base URL of the build server part. */
  String buildUrl() {
    return url() + "build/";
  }

  void bootConfig(Map<String, String> config) {
    this.bootConfig = Map.copyOf(config);
  }

  void artifact(String name, byte[] bytes) {
    artifacts.put(name, bytes.clone());
  }

  /** From now on, answers every call with {@code status}. */
  void failEverything(int status) {
    this.failStatus = status;
  }

  List<Event> events() {
    return List.copyOf(events);
  }

  List<String> eventNames() {
    return events.stream().map(Event::name).toList();
  }

  /** How many calls arrived, answered or not. */
  int calls() {
    return calls.get();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      calls.incrementAndGet();
      byte[] body = exchange.getRequestBody().readAllBytes();
      if (failStatus != 0) {
        answer(exchange, failStatus, "{\"ok\":false}");
        return;
      }
      if (token != null && !("Bearer " + token).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
        answer(exchange, 401, "{\"ok\":false,\"error\":\"a valid device token is required\"}");
        return;
      }
      String path = exchange.getRequestURI().getPath();
      String prefix = "/api/device/" + device + "/";
      if (path.startsWith(prefix + "event/")) {
        String event = path.substring((prefix + "event/").length()).replace("/", "");
        Map<String, Object> args = body.length == 0 ? Map.of()
            : JSON.readValue(body, new TypeReference<Map<String, Object>>() { });
        events.add(new Event(event, args));
        answer(exchange, 200, "{\"ok\":true}");
      } else if (path.equals(prefix + "bootconfig/")) {
        answer(exchange, 200, JSON.writeValueAsString(bootConfig));
      } else if (path.startsWith("/live/")) {
        var script = LiveScripts.script(path.substring("/live/".length()));
        if (script.isPresent()) {
          answer(exchange, 200, script.get());
        } else {
          answer(exchange, 404, "no such script");
        }
      } else if (path.startsWith("/build/") && artifacts.containsKey(path.substring(7))) {
        answer(exchange, 200, artifacts.get(path.substring(7)));
      } else {
        answer(exchange, 404, "not found: " + path);
      }
    }
  }

  private static void answer(HttpExchange exchange, int status, String body) throws IOException {
    answer(exchange, status, body.getBytes(StandardCharsets.UTF_8));
  }

  private static void answer(HttpExchange exchange, int status, byte[] body) throws IOException {
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      exchange.getResponseBody().write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
