package org.mozpool.bmm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mozpool.ConflictException;
import org.mozpool.LogEntry;
import org.mozpool.NoSuchDeviceException;
import org.mozpool.RefusedException;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.Lifeguard;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.PoolStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP endpoint the live image calls home on (DESIGN §7.4), on the JDK's built-in HTTP
 * server.
 *
 * <ul>
 *   <li>{@code GET|POST /api/device/{name}/event/{event}/} reports progress; a POST body, if any,
 *       is a JSON object of arguments (a GET's query parameters are its arguments). The event is
 *       passed to {@link Lifeguard#deviceEvent} under its {@linkplain DeviceEvents#canonical
 *       canonical name}, and the answer {@code {"ok":true}} waits until Lifeguard has taken it.
 *   <li>{@code GET /api/device/{name}/bootconfig/} answers the boot config of the image being
 *       installed (or, if none, of the current image) as a JSON object.
 * </ul>
 *
 * <p>Every call must carry the device's callback token, as {@code Authorization: Bearer <token>}
 * or {@code ?token=<token>}; tokens are compared in constant time. Answers: 401 for a missing or
 * wrong token, 404 for an unknown device or path, 400 for malformed JSON (trailing content after
 * the JSON value included) or an unknown event, 405
 * for a wrong method, 409 when Lifeguard refuses, 413 for a body over the limit (64 KiB), 503 when
 * Lifeguard does not take the event in time (10 s). Every call to a known device is written to the
 * device's log, refusals included. Error answers are {@code {"ok":false,"error":"..."}}.
 *
 * <p>Thread safe. The server is listening once constructed; {@link #close()} stops it and every
 * thread it started, and is idempotent.
 */
public final class DeviceCallbackServer implements AutoCloseable {

  /** The largest {@link Builder#maxBodyBytes} accepted: device events carry small arguments. */
  public static final int MAX_BODY_LIMIT = 1024 * 1024;

  private static final Logger LOG = LoggerFactory.getLogger(DeviceCallbackServer.class);
  private static final Pattern EVENT = Pattern.compile("/api/device/([^/]+)/event/([^/]+)/?");
  private static final Pattern BOOTCONFIG = Pattern.compile("/api/device/([^/]+)/bootconfig/?");
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  private static final String SOURCE = "device";

  private final PoolStore store;
  private final Lifeguard lifeguard;
  private final Clock clock;
  private final int maxBodyBytes;
  private final Duration eventTimeout;
  private final HttpServer server;
  private final ThreadPoolExecutor executor;
  private final DaemonThreads threads = DaemonThreads.numbered("device-callback");
  private volatile boolean closed;

  /**
   * Starts an endpoint with the default limits (64 KiB bodies, 10 s for Lifeguard to take an
   * event, 8 threads).
   *
   * @param bind address and port to listen on; port 0 picks a free port (see {@link #uri()})
   * @throws UncheckedIOException when the address cannot be bound
   */
  public DeviceCallbackServer(PoolStore store, Lifeguard lifeguard, Clock clock,
      InetSocketAddress bind) {
    this(builder(store, lifeguard).clock(clock).bind(bind));
  }

  private DeviceCallbackServer(Builder b) {
    this.store = b.store;
    this.lifeguard = b.lifeguard;
    this.clock = b.clock;
    this.maxBodyBytes = b.maxBodyBytes;
    this.eventTimeout = b.eventTimeout;
    this.executor = new ThreadPoolExecutor(b.threads, b.threads, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), threads);
    executor.allowCoreThreadTimeOut(true);
    try {
      server = HttpServer.create(b.bind, 0);
    } catch (IOException e) {
      executor.shutdownNow();
      throw new UncheckedIOException("cannot bind the device callback endpoint to " + b.bind
          + ": " + e.getMessage(), e);
    }
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
    LOG.info("device callback endpoint listening on {}", uri());
  }

  /** Starts configuring an endpoint that reads devices from {@code store} and feeds {@code lifeguard}. */
  public static Builder builder(PoolStore store, Lifeguard lifeguard) {
    return new Builder(store, lifeguard);
  }

  /** The address the endpoint listens on (with the actual port). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** The base URI, e.g. {@code http://127.0.0.1:8010/}; device paths are relative to it. */
  public URI uri() {
    InetSocketAddress a = server.getAddress();
    String host = a.getAddress().getHostAddress();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return URI.create("http://" + host + ":" + a.getPort() + "/");
  }

  /** The URI a device reports {@code event} on. */
  public URI eventUri(String device, String event) {
    return uri().resolve("api/device/" + device + "/event/" + event + "/");
  }

  /** The URI a device fetches its boot config from. */
  public URI bootConfigUri(String device) {
    return uri().resolve("api/device/" + device + "/bootconfig/");
  }

  /** Answer of one call: status and JSON body. */
  private record Answer(int status, Object body) {
    static Answer error(int status, String message) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("ok", false);
      body.put("error", message);
      return new Answer(status, body);
    }
  }

  private void handle(HttpExchange exchange) {
    Answer answer;
    try {
      answer = route(exchange);
    } catch (RuntimeException e) {
      LOG.error("device callback {} {} failed", exchange.getRequestMethod(),
          exchange.getRequestURI(), e);
      answer = Answer.error(500, "internal error");
    }
    try {
      byte[] body = JSON.writeValueAsBytes(answer.body());
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(answer.status(), body.length);
      exchange.getResponseBody().write(body);
    } catch (IOException e) {
      LOG.debug("device callback: cannot answer {}: {}", exchange.getRemoteAddress(), e.getMessage());
    } finally {
      exchange.close();
    }
  }

  private Answer route(HttpExchange exchange) {
    String path = exchange.getRequestURI().getRawPath();
    String method = exchange.getRequestMethod();
    Matcher event = EVENT.matcher(path);
    Matcher bootconfig = BOOTCONFIG.matcher(path);
    if (event.matches()) {
      if (!method.equals("GET") && !method.equals("POST")) {
        return Answer.error(405, "use GET or POST to report an event");
      }
      return event(exchange, decode(event.group(1)), decode(event.group(2)));
    }
    if (bootconfig.matches()) {
      if (!method.equals("GET")) {
        return Answer.error(405, "use GET to fetch the boot config");
      }
      return bootConfig(exchange, decode(bootconfig.group(1)));
    }
    return Answer.error(404, "no such endpoint: " + path);
  }

  private Answer event(HttpExchange exchange, String name, String event) {
    long declared = contentLength(exchange);
    if (declared > maxBodyBytes) {
      return Answer.error(413, "body larger than " + maxBodyBytes + " bytes");
    }
    Auth auth = authenticate(exchange, name, "event " + event);
    if (auth.refusal() != null) {
      return auth.refusal();
    }
    byte[] body;
    try {
      body = readBounded(exchange.getRequestBody());
    } catch (IOException e) {
      return Answer.error(400, "cannot read the body: " + e.getMessage());
    }
    if (body == null) {
      log(name, "callback refused: event " + event + " with a body over " + maxBodyBytes + " bytes");
      return Answer.error(413, "body larger than " + maxBodyBytes + " bytes");
    }
    Optional<String> canonical = DeviceEvents.canonical(event);
    if (canonical.isEmpty()) {
      log(name, "callback refused: unknown event " + event);
      return Answer.error(400, "unknown event '" + event + "'");
    }
    Map<String, Object> args;
    try {
      args = arguments(exchange, body);
    } catch (JsonProcessingException e) {
      log(name, "callback refused: event " + event + " with malformed JSON");
      return Answer.error(400, "malformed JSON: " + e.getOriginalMessage());
    } catch (IllegalArgumentException e) {
      log(name, "callback refused: event " + event + " with a body that is not a JSON object");
      return Answer.error(400, "the body must be a JSON object: " + e.getMessage());
    } catch (IOException e) {
      return Answer.error(400, "cannot read the body: " + e.getMessage());
    }
    log(name, "event " + event + (event.equals(canonical.get()) ? "" : " (" + canonical.get() + ")")
        + (args.isEmpty() ? "" : " " + args));
    try {
      lifeguard.deviceEvent(name, canonical.get(), args).toCompletableFuture()
          .get(eventTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      LOG.warn("device {}: Lifeguard did not take event {} within {}", name, event, eventTimeout);
      return Answer.error(503, "Lifeguard did not take the event within " + eventTimeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Answer.error(503, "server shutting down");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof NoSuchDeviceException) {
        return Answer.error(404, cause.getMessage());
      }
      if (cause instanceof RefusedException || cause instanceof ConflictException) {
        return Answer.error(409, cause.getMessage());
      }
      LOG.warn("device {}: event {} failed", name, event, cause);
      return Answer.error(500, "event failed: " + cause);
    }
    return new Answer(200, Map.of("ok", true));
  }

  private Answer bootConfig(HttpExchange exchange, String name) {
    Auth auth = authenticate(exchange, name, "boot config");
    if (auth.refusal() != null) {
      return auth.refusal();
    }
    DeviceRecord d = auth.device();
    Map<String, String> config = d.nextBootConfig().isEmpty() ? d.bootConfig() : d.nextBootConfig();
    log(name, "boot config fetched");
    return new Answer(200, config);
  }

  /** The device a call is about, or why it is refused. */
  private record Auth(DeviceRecord device, Answer refusal) {}

  /** Refuses (401, logged) unless the call carries the device's token; 404 for unknown devices. */
  private Auth authenticate(HttpExchange exchange, String name, String what) {
    Optional<DeviceRecord> device = store.inTransaction(tx -> tx.device(name));
    if (device.isEmpty()) {
      LOG.info("device callback for unknown device '{}' from {}", name, exchange.getRemoteAddress());
      return new Auth(null, Answer.error(404, "no device named '" + name + "'"));
    }
    String presented = token(exchange);
    if (presented == null || !tokenMatches(device.get().callbackToken(), presented)) {
      String reason = presented == null ? "no token" : "wrong token";
      LOG.warn("device {}: callback {} from {} refused: {}", name, what,
          exchange.getRemoteAddress(), reason);
      log(name, "callback refused: " + what + " with " + reason + " from "
          + exchange.getRemoteAddress().getAddress().getHostAddress());
      return new Auth(null, Answer.error(401, "a valid device token is required"));
    }
    return new Auth(device.get(), null);
  }

  /**
   * Compares in time independent of where the tokens differ and of their lengths (both are
   * hashed first). A device without a token accepts none.
   */
  static boolean tokenMatches(String expected, String presented) {
    if (expected.isEmpty()) {
      return false;
    }
    return MessageDigest.isEqual(sha256(expected), sha256(presented));
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is a required JDK algorithm", e);
    }
  }

  private static String token(HttpExchange exchange) {
    String header = exchange.getRequestHeaders().getFirst("Authorization");
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return header.substring(7).trim();
    }
    return query(exchange).get("token");
  }

  private static Map<String, String> query(HttpExchange exchange) {
    Map<String, String> params = new LinkedHashMap<>();
    String raw = exchange.getRequestURI().getRawQuery();
    if (raw == null || raw.isEmpty()) {
      return params;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String key = decode(eq < 0 ? pair : pair.substring(0, eq));
      String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
      params.putIfAbsent(key, value);
    }
    return params;
  }

  private Map<String, Object> arguments(HttpExchange exchange, byte[] body) throws IOException {
    Map<String, Object> args = new LinkedHashMap<>();
    query(exchange).forEach((k, v) -> {
      if (!k.equals("token")) {
        args.put(k, v);
      }
    });
    if (new String(body, StandardCharsets.UTF_8).isBlank()) {
      return args;
    }
    JsonNode node = JSON.readTree(body);
    if (node == null || node.isNull() || node.isMissingNode()) {
      return args;
    }
    if (!node.isObject()) {
      throw new IllegalArgumentException("expected a JSON object, got " + node.getNodeType());
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> fromBody = JSON.convertValue(node, Map.class);
    args.putAll(fromBody);
    return args;
  }

  private static long contentLength(HttpExchange exchange) {
    String header = exchange.getRequestHeaders().getFirst("Content-Length");
    if (header == null) {
      return -1;
    }
    try {
      return Long.parseLong(header.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The body, or {@code null} when it is longer than the limit. */
  private byte[] readBounded(InputStream in) throws IOException {
    byte[] body = in.readNBytes(maxBodyBytes + 1);
    return body.length > maxBodyBytes ? null : body;
  }

  private void log(String device, String message) {
    try {
      store.inTransaction(tx -> {
        tx.appendLog(MachineKind.DEVICE, device, new LogEntry(clock.instant(), SOURCE, message));
        return null;
      });
    } catch (RuntimeException e) {
      LOG.warn("device {}: cannot log '{}': {}", device, message, e.toString());
    }
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s;
    }
  }

  /** Stops listening and stops every thread. Idempotent. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    server.stop(0);
    executor.shutdownNow();
    try {
      if (!executor.awaitTermination(5, TimeUnit.SECONDS) || !threads.joinAll(Duration.ofSeconds(5))) {
        LOG.warn("device callback endpoint: threads did not stop within 5 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Configures a {@link DeviceCallbackServer}. Defaults: system UTC clock, 127.0.0.1 on an
   * ephemeral port, 64 KiB bodies, 10 s for Lifeguard to take an event, 8 threads. Setters
   * validate eagerly and throw {@link IllegalArgumentException} naming the setting and its
   * accepted range. Not thread safe.
   */
  public static final class Builder {
    private final PoolStore store;
    private final Lifeguard lifeguard;
    private Clock clock = Clock.systemUTC();
    private InetSocketAddress bind = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private int maxBodyBytes = 64 * 1024;
    private Duration eventTimeout = Duration.ofSeconds(10);
    private int threads = 8;

    private Builder(PoolStore store, Lifeguard lifeguard) {
      this.store = Objects.requireNonNull(store, "store");
      this.lifeguard = Objects.requireNonNull(lifeguard, "lifeguard");
    }

    /** The clock that timestamps log lines. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Where to listen (default 127.0.0.1, ephemeral port). */
    public Builder bind(InetSocketAddress bind) {
      this.bind = Objects.requireNonNull(bind, "bind");
      return this;
    }

    /**
     * The largest accepted request body (default 64 KiB); larger ones are answered 413.
     *
     * @throws IllegalArgumentException unless 0..{@value DeviceCallbackServer#MAX_BODY_LIMIT}
     */
    public Builder maxBodyBytes(int maxBodyBytes) {
      if (maxBodyBytes < 0 || maxBodyBytes > MAX_BODY_LIMIT) {
        throw new IllegalArgumentException("maxBodyBytes must be 0.." + MAX_BODY_LIMIT
            + " (bytes), got " + maxBodyBytes);
      }
      this.maxBodyBytes = maxBodyBytes;
      return this;
    }

    /**
     * How long a call waits for Lifeguard to take its event (default 10 s); then it is answered
     * 503.
     *
     * @throws IllegalArgumentException unless positive and at most 10 minutes
     */
    public Builder eventTimeout(Duration eventTimeout) {
      Objects.requireNonNull(eventTimeout, "eventTimeout");
      if (eventTimeout.isNegative() || eventTimeout.isZero()
          || eventTimeout.compareTo(Duration.ofMinutes(10)) > 0) {
        throw new IllegalArgumentException("eventTimeout must be positive and at most PT10M, got "
            + eventTimeout);
      }
      this.eventTimeout = eventTimeout;
      return this;
    }

    /**
     * How many calls are served at once (default 8).
     *
     * @throws IllegalArgumentException unless 1..256
     */
    public Builder threads(int threads) {
      if (threads < 1 || threads > 256) {
        throw new IllegalArgumentException("threads must be 1..256, got " + threads);
      }
      this.threads = threads;
      return this;
    }

    /**
     * Binds and starts the endpoint.
     *
     * @throws UncheckedIOException when the address cannot be bound
     */
    public DeviceCallbackServer start() {
      return new DeviceCallbackServer(this);
    }
  }
}
