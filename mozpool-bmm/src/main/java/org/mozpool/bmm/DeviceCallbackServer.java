package org.mozpool.bmm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
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
 * The HTTP endpoint the live image calls home on (DESIGN §7.4).
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
 * the JSON value included), an unknown event or a malformed request, 405 for a wrong method, 408
 * for a request that does not arrive in time, 409 when Lifeguard refuses, 413 for a body over the
 * limit, 503 when a peer has too many connections open or Lifeguard does not take the event in
 * time. Error answers are {@code {"ok":false,"error":"..."}}.
 *
 * <p>Hostile or broken clients cannot keep devices from being served: each connection must send
 * its whole request within {@linkplain Builder#requestReadTimeout a time limit}, one peer address
 * may hold only {@linkplain Builder#maxConnectionsPerPeer a few connections} at once, and reading
 * a request does not take one of the {@linkplain Builder#threads threads} that handle calls. Each
 * connection carries one call and is closed after the answer.
 *
 * <p>Every call to a known device is written to the device's log, with what the device sent
 * escaped (no control characters) and shortened. Refused calls are logged at most {@linkplain
 * Builder#refusalsLoggedPerMinute a number of times} per device and minute (by the injected
 * clock); the rest are counted, and the count is logged once the minute is over.
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
  /** How much of a name (device, event) sent by a client goes into a log line. */
  private static final int NAME_IN_LOG = 64;
  /** Device names are at most this long (the store's key columns). */
  private static final int MAX_DEVICE_NAME = 128;
  /** How much of an event's arguments go into a log line. */
  private static final int ARGS_IN_LOG = 1000;
  /** The refusal-log key of calls for devices that do not exist (they have no device log). */
  private static final String UNKNOWN_DEVICES = "\0unknown devices";
  private static final Duration MAX_TIMEOUT = Duration.ofMinutes(10);

  private final PoolStore store;
  private final Lifeguard lifeguard;
  private final Clock clock;
  private final int maxBodyBytes;
  private final Duration eventTimeout;
  private final Duration requestReadTimeout;
  private final int maxConnections;
  private final int maxConnectionsPerPeer;
  private final ServerSocket listener;
  private final Thread acceptor;
  private final ThreadPoolExecutor connections;
  private final Semaphore handlers;
  private final RefusalLog refusals;
  private final DaemonThreads threads = DaemonThreads.numbered("device-callback");
  private final Set<Socket> openSockets = ConcurrentHashMap.newKeySet();
  /** Open connections per peer address, guarded by itself; {@link #open} counts them all. */
  private final Map<InetAddress, Integer> openPerPeer = new HashMap<>();
  private int open;
  /** Peers refused for having too many connections, so that a flood is logged once. */
  private final Set<InetAddress> throttled = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /**
   * Starts an endpoint with the default limits (see {@link Builder}).
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
    this.requestReadTimeout = b.requestReadTimeout;
    this.maxConnections = b.maxConnections;
    this.maxConnectionsPerPeer = b.effectiveMaxConnectionsPerPeer();
    this.handlers = new Semaphore(b.threads);
    this.refusals = new RefusalLog(b.refusalsLoggedPerMinute);
    // bounded by the connection count, not by the pool: a finishing thread still counts as busy
    this.connections = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS,
        new SynchronousQueue<>(), threads);
    try {
      listener = new ServerSocket();
      listener.bind(b.bind, 128);
    } catch (IOException e) {
      connections.shutdownNow();
      throw new UncheckedIOException("cannot bind the device callback endpoint to " + b.bind
          + ": " + e.getMessage(), e);
    }
    acceptor = new Thread(this::accept, "device-callback-acceptor-" + listener.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
    LOG.info("device callback endpoint listening on {}", uri());
  }

  /** Starts configuring an endpoint that reads devices from {@code store} and feeds {@code lifeguard}. */
  public static Builder builder(PoolStore store, Lifeguard lifeguard) {
    return new Builder(store, lifeguard);
  }

  /** The address the endpoint listens on (with the actual port). */
  public InetSocketAddress address() {
    return new InetSocketAddress(listener.getInetAddress(), listener.getLocalPort());
  }

  /** The base URI, e.g. {@code http://127.0.0.1:8010/}; device paths are relative to it. */
  public URI uri() {
    InetSocketAddress a = address();
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

  private void accept() {
    while (!closed) {
      Socket socket;
      try {
        socket = listener.accept();
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("device callback endpoint: accept failed: {}", e.getMessage());
          try {
            Thread.sleep(100); // e.g. out of file descriptors: do not spin
          } catch (InterruptedException interrupted) {
            return;
          }
        }
        continue;
      }
      InetAddress peer = socket.getInetAddress();
      String refusal = admit(peer);
      if (refusal != null) {
        refuse(socket, refusal);
        continue;
      }
      try {
        connections.execute(() -> serve(socket, peer));
      } catch (RejectedExecutionException e) {
        release(peer);
        refuse(socket, "the endpoint is shutting down");
      }
    }
  }

  /** Counts a connection from {@code peer}; or says why it is refused. */
  private String admit(InetAddress peer) {
    synchronized (openPerPeer) {
      if (open >= maxConnections) {
        return "the endpoint has " + maxConnections + " connections open, try again later";
      }
      int fromPeer = openPerPeer.getOrDefault(peer, 0);
      if (fromPeer >= maxConnectionsPerPeer) {
        if (throttled.add(peer)) {
          LOG.warn("device callback endpoint: {} connections from {} open; refusing more",
              fromPeer, peer.getHostAddress());
        }
        return "too many connections from " + peer.getHostAddress() + ", try again later";
      }
      openPerPeer.put(peer, fromPeer + 1);
      open++;
      return null;
    }
  }

  private void release(InetAddress peer) {
    synchronized (openPerPeer) {
      openPerPeer.computeIfPresent(peer, (p, n) -> n <= 1 ? null : n - 1);
      open--;
    }
    throttled.remove(peer);
  }

  /** Answers 503 on the acceptor's thread: a short answer to a fresh socket does not block. */
  private static void refuse(Socket socket, String why) {
    try (socket) {
      CallbackRequest.answer(socket, 503, JSON.writeValueAsBytes(Answer.error(503, why).body()));
    } catch (IOException e) {
      LOG.debug("device callback: cannot refuse {}: {}", socket.getRemoteSocketAddress(),
          e.getMessage());
    }
  }

  private void serve(Socket socket, InetAddress peer) {
    openSockets.add(socket);
    try (socket) {
      if (closed) {
        return;
      }
      Answer answer;
      CallbackRequest request = null;
      try {
        request = CallbackRequest.read(socket,
            System.nanoTime() + requestReadTimeout.toNanos(), maxBodyBytes);
        handlers.acquire();
        try {
          answer = route(request, peer);
        } catch (RuntimeException e) {
          LOG.error("device callback {} {} failed", request.method, request.rawPath, e);
          answer = Answer.error(500, "internal error");
        } finally {
          handlers.release();
        }
      } catch (SocketTimeoutException e) {
        LOG.debug("device callback: {} did not send its request within {}",
            peer.getHostAddress(), requestReadTimeout);
        answer = Answer.error(408, "the request did not arrive within " + requestReadTimeout);
      } catch (CallbackRequest.Malformed e) {
        answer = Answer.error(e.status, e.getMessage());
      }
      CallbackRequest.answer(socket, answer.status(), JSON.writeValueAsBytes(answer.body()));
      if (answer.status() != 408 && (request == null || request.body == null)) {
        discardRest(socket); // so that closing does not reset the answer away
      }
    } catch (EOFException e) {
      LOG.debug("device callback: {} closed the connection mid-request", peer.getHostAddress());
    } catch (IOException e) {
      if (!closed) {
        LOG.debug("device callback: cannot serve {}: {}", peer.getHostAddress(), e.getMessage());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // closing
    } finally {
      openSockets.remove(socket);
      release(peer);
    }
  }

  /**
   * Reads and drops what the client still sends after an early answer, briefly: closing a socket
   * with unread input resets the connection, and the client may lose the answer.
   */
  private static void discardRest(Socket socket) throws IOException {
    socket.shutdownOutput();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    long budget = 4L * MAX_BODY_LIMIT;
    InputStream in = socket.getInputStream();
    byte[] sink = new byte[8192];
    try {
      long left;
      while (budget > 0 && (left = until - System.nanoTime()) > 0) {
        socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
        int n = in.read(sink);
        if (n < 0) {
          return;
        }
        budget -= n;
      }
    } catch (SocketTimeoutException e) {
      // the client keeps the connection open; close it anyway
    }
  }

  private Answer route(CallbackRequest request, InetAddress peer) {
    String path = request.rawPath;
    String method = request.method;
    Matcher event = EVENT.matcher(path);
    Matcher bootconfig = BOOTCONFIG.matcher(path);
    if (event.matches()) {
      if (!method.equals("GET") && !method.equals("POST")) {
        return Answer.error(405, "use GET or POST to report an event");
      }
      return event(request, peer, decode(event.group(1)), decode(event.group(2)));
    }
    if (bootconfig.matches()) {
      if (!method.equals("GET")) {
        return Answer.error(405, "use GET to fetch the boot config");
      }
      return bootConfig(request, peer, decode(bootconfig.group(1)));
    }
    return Answer.error(404, "no such endpoint: " + printable(path, 200));
  }

  private Answer event(CallbackRequest request, InetAddress peer, String name, String event) {
    if (request.declaredLength > maxBodyBytes) {
      return Answer.error(413, "body larger than " + maxBodyBytes + " bytes");
    }
    String shownEvent = printable(event, NAME_IN_LOG);
    Auth auth = authenticate(request, peer, name, "event " + shownEvent);
    if (auth.refusal() != null) {
      return auth.refusal();
    }
    byte[] body = request.body;
    if (body == null) {
      logRefusal(name, "callback refused: event " + shownEvent + " with a body over "
          + maxBodyBytes + " bytes");
      return Answer.error(413, "body larger than " + maxBodyBytes + " bytes");
    }
    Optional<String> canonical = DeviceEvents.canonical(event);
    if (canonical.isEmpty()) {
      logRefusal(name, "callback refused: unknown event " + shownEvent);
      return Answer.error(400, "unknown event '" + shownEvent + "'");
    }
    Map<String, Object> args;
    try {
      args = arguments(request, body);
    } catch (JsonProcessingException e) {
      logRefusal(name, "callback refused: event " + event + " with malformed JSON");
      return Answer.error(400, "malformed JSON: " + e.getOriginalMessage());
    } catch (IllegalArgumentException e) {
      logRefusal(name, "callback refused: event " + event
          + " with a body that is not a JSON object");
      return Answer.error(400, "the body must be a JSON object: " + e.getMessage());
    }
    log(name, "event " + event + (event.equals(canonical.get()) ? "" : " (" + canonical.get() + ")")
        + (args.isEmpty() ? "" : " " + printable(args.toString(), ARGS_IN_LOG)));
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

  private Answer bootConfig(CallbackRequest request, InetAddress peer, String name) {
    Auth auth = authenticate(request, peer, name, "boot config");
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

  /**
   * Refuses (401, logged within the refusal limit) unless the call carries the device's token;
   * 404 for unknown devices. {@code what} must already be {@linkplain #printable printable}.
   */
  private Auth authenticate(CallbackRequest request, InetAddress peer, String name, String what) {
    // A name no device can have (a decoded %00, say) is unknown without asking the store, some
    // of which refuse such bytes with an error rather than finding nothing.
    boolean possible = name.length() <= MAX_DEVICE_NAME
        && name.chars().noneMatch(Character::isISOControl);
    Optional<DeviceRecord> device = possible ? store.inTransaction(tx -> tx.device(name))
        : Optional.empty();
    if (device.isEmpty()) {
      RefusalLog.Decision decision = refusals.refusal(UNKNOWN_DEVICES, clock.instant());
      if (decision.summary() != null) {
        LOG.info("device callbacks for unknown devices: {}", decision.summary());
      }
      if (decision.log()) {
        LOG.info("device callback for unknown device '{}' from {}",
            printable(name, NAME_IN_LOG), peer.getHostAddress());
      }
      return new Auth(null, Answer.error(404, "no device named '" + printable(name, NAME_IN_LOG)
          + "'"));
    }
    String presented = token(request);
    if (presented == null || !tokenMatches(device.get().callbackToken(), presented)) {
      String reason = presented == null ? "no token" : "wrong token";
      if (logRefusal(name, "callback refused: " + what + " with " + reason + " from "
          + peer.getHostAddress())) {
        LOG.warn("device {}: callback {} from {} refused: {}", name, what,
            peer.getHostAddress(), reason);
      }
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

  private static String token(CallbackRequest request) {
    String header = request.header("Authorization");
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return header.substring(7).trim();
    }
    return query(request).get("token");
  }

  private static Map<String, String> query(CallbackRequest request) {
    Map<String, String> params = new LinkedHashMap<>();
    String raw = request.rawQuery;
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

  private static Map<String, Object> arguments(CallbackRequest request, byte[] body)
      throws JsonProcessingException {
    Map<String, Object> args = new LinkedHashMap<>();
    query(request).forEach((k, v) -> {
      if (!k.equals("token")) {
        args.put(k, v);
      }
    });
    if (new String(body, StandardCharsets.UTF_8).isBlank()) {
      return args;
    }
    JsonNode node;
    try {
      node = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw e;
    } catch (IOException e) {
      throw new UncheckedIOException("reading JSON from memory", e);
    }
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

  /**
   * Logs a refused call for {@code device} within the refusal limit.
   *
   * @return whether it was logged (rather than only counted)
   */
  private boolean logRefusal(String device, String message) {
    RefusalLog.Decision decision = refusals.refusal(device, clock.instant());
    if (decision.summary() != null) {
      append(device, decision.summary());
    }
    if (decision.firstSuppressed()) {
      LOG.warn("device {}: more than {} refused callbacks this minute; counting, not logging,"
          + " the rest", device, refusals.limit);
    }
    if (decision.log()) {
      append(device, message);
    }
    return decision.log();
  }

  private void log(String device, String message) {
    String summary = refusals.endedWindowSummary(device, clock.instant());
    if (summary != null) {
      append(device, summary);
    }
    append(device, message);
  }

  private void append(String device, String message) {
    try {
      store.inTransaction(tx -> {
        tx.appendLog(MachineKind.DEVICE, device, new LogEntry(clock.instant(), SOURCE, message));
        return null;
      });
    } catch (RuntimeException e) {
      LOG.warn("device {}: cannot log '{}': {}", device, message, e.toString());
    }
  }

  /**
   * {@code s} fit for one log line: backslashes and control characters escaped ({@code \n},
   * {@code \r}, {@code \t}, otherwise {@code \}{@code uXXXX}), at most {@code max} characters
   * of it kept.
   */
  static String printable(String s, int max) {
    StringBuilder out = new StringBuilder(Math.min(s.length(), max) + 16);
    int i = 0;
    for (; i < s.length() && i < max; i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029'
              || Character.getType(c) == Character.FORMAT) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    if (i < s.length()) {
      if (Character.isHighSurrogate(s.charAt(i - 1))) {
        out.setLength(out.length() - 1);
      }
      out.append("... (").append(s.length()).append(" characters)");
    }
    return out.toString();
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s;
    }
  }

  /** Stops listening, drops open connections and stops every thread. Idempotent. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    try {
      listener.close();
    } catch (IOException e) {
      LOG.debug("device callback endpoint: closing the listener: {}", e.getMessage());
    }
    for (Socket s : openSockets) {
      try {
        s.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
    connections.shutdownNow();
    try {
      acceptor.join(5000);
      if (!connections.awaitTermination(5, TimeUnit.SECONDS)
          || !threads.joinAll(Duration.ofSeconds(5)) || acceptor.isAlive()) {
        LOG.warn("device callback endpoint: threads did not stop within 5 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Lets through at most {@code limit} refusal log lines per key (a device) and minute, and
   * counts the rest; the count is reported once the minute is over. Keys are names of devices
   * that exist (and one for unknown devices), so the map stays as small as the fleet. Thread
   * safe.
   */
  static final class RefusalLog {
    private static final Duration WINDOW = Duration.ofMinutes(1);

    /** Whether to log this refusal, and a summary of an ended minute to log first (or null). */
    record Decision(boolean log, String summary, boolean firstSuppressed) {}

    final int limit;
    private final Map<String, Window> windows = new ConcurrentHashMap<>();

    private static final class Window {
      Instant start;
      int logged;
      int suppressed;

      Window(Instant start) {
        this.start = start;
      }
    }

    RefusalLog(int limit) {
      this.limit = limit;
    }

    Decision refusal(String key, Instant now) {
      Window w = windows.computeIfAbsent(key, k -> new Window(now));
      synchronized (w) {
        String summary = roll(w, now);
        if (w.logged < limit) {
          w.logged++;
          return new Decision(true, summary, false);
        }
        w.suppressed++;
        return new Decision(false, summary, w.suppressed == 1);
      }
    }

    /** The summary of an ended minute with suppressed refusals, to log before another line. */
    String endedWindowSummary(String key, Instant now) {
      Window w = windows.get(key);
      if (w == null) {
        return null;
      }
      synchronized (w) {
        return roll(w, now);
      }
    }

    private static String roll(Window w, Instant now) {
      if (now.isBefore(w.start.plus(WINDOW))) {
        return null;
      }
      String summary = w.suppressed == 0 ? null
          : "... " + w.suppressed + " more refused calls suppressed since " + w.start;
      w.start = now;
      w.logged = 0;
      w.suppressed = 0;
      return summary;
    }
  }

  /**
   * Configures a {@link DeviceCallbackServer}. Defaults: system UTC clock, 127.0.0.1 on an
   * ephemeral port, 64 KiB bodies, 10 s for Lifeguard to take an event, 8 calls handled at once,
   * 10 s for a client to send its request, 64 connections and 8 per peer address, 10 refusals
   * logged per device and minute. Setters validate eagerly and throw {@link
   * IllegalArgumentException} naming the setting and its accepted range. Not thread safe.
   */
  public static final class Builder {
    private final PoolStore store;
    private final Lifeguard lifeguard;
    private Clock clock = Clock.systemUTC();
    private InetSocketAddress bind = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private int maxBodyBytes = 64 * 1024;
    private Duration eventTimeout = Duration.ofSeconds(10);
    private int threads = 8;
    private Duration requestReadTimeout = Duration.ofSeconds(10);
    private int maxConnections = 64;
    private Integer maxConnectionsPerPeer; // null: 8, or maxConnections when that is smaller
    private int refusalsLoggedPerMinute = 10;

    private Builder(PoolStore store, Lifeguard lifeguard) {
      this.store = Objects.requireNonNull(store, "store");
      this.lifeguard = Objects.requireNonNull(lifeguard, "lifeguard");
    }

    /** The clock that timestamps log lines and times the refusal-log minute. */
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
      this.eventTimeout = checkTimeout("eventTimeout", eventTimeout);
      return this;
    }

    /**
     * How long a client has, from connecting, to send its whole request: request line, headers
     * and body (default 10 s). A client that takes longer is answered 408 and disconnected, so
     * that slow or silent connections cannot hold the endpoint.
     *
     * @throws IllegalArgumentException unless positive and at most 10 minutes
     */
    public Builder requestReadTimeout(Duration requestReadTimeout) {
      this.requestReadTimeout = checkTimeout("requestReadTimeout", requestReadTimeout);
      return this;
    }

    /**
     * How many calls are handled at once (default 8): checked, logged and passed to Lifeguard.
     * Reading requests off the network does not count against it.
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
     * How many connections may be open at once, from all peers (default 64); further ones are
     * answered 503 and closed.
     *
     * @throws IllegalArgumentException unless 1..4096
     */
    public Builder maxConnections(int maxConnections) {
      if (maxConnections < 1 || maxConnections > 4096) {
        throw new IllegalArgumentException("maxConnections must be 1..4096, got "
            + maxConnections);
      }
      this.maxConnections = maxConnections;
      return this;
    }

    /**
     * How many connections one peer address may have open at once (default 8, or {@link
     * #maxConnections} when that is smaller); further ones are answered 503 and closed, so that
     * one host cannot take every connection. At most {@code maxConnections}, checked by {@link
     * #start()}.
     *
     * @throws IllegalArgumentException unless positive
     */
    public Builder maxConnectionsPerPeer(int maxConnectionsPerPeer) {
      if (maxConnectionsPerPeer < 1) {
        throw new IllegalArgumentException("maxConnectionsPerPeer must be 1..maxConnections, got "
            + maxConnectionsPerPeer);
      }
      this.maxConnectionsPerPeer = maxConnectionsPerPeer;
      return this;
    }

    /**
     * How many refused calls (wrong or missing token, bad body, unknown event) are written to a
     * device's log per minute of the {@linkplain #clock clock} (default 10); further ones are
     * counted, and the count is logged once the minute is over.
     *
     * @throws IllegalArgumentException unless 0..1000
     */
    public Builder refusalsLoggedPerMinute(int refusalsLoggedPerMinute) {
      if (refusalsLoggedPerMinute < 0 || refusalsLoggedPerMinute > 1000) {
        throw new IllegalArgumentException("refusalsLoggedPerMinute must be 0..1000, got "
            + refusalsLoggedPerMinute);
      }
      this.refusalsLoggedPerMinute = refusalsLoggedPerMinute;
      return this;
    }

    private static Duration checkTimeout(String name, Duration timeout) {
      Objects.requireNonNull(timeout, name);
      if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(MAX_TIMEOUT) > 0) {
        throw new IllegalArgumentException(name + " must be positive and at most " + MAX_TIMEOUT
            + ", got " + timeout);
      }
      return timeout;
    }

    private int effectiveMaxConnectionsPerPeer() {
      return maxConnectionsPerPeer != null ? maxConnectionsPerPeer : Math.min(8, maxConnections);
    }

    /**
     * Binds and starts the endpoint.
     *
     * @throws UncheckedIOException when the address cannot be bound
     * @throws IllegalArgumentException when {@link #maxConnectionsPerPeer} exceeds {@link
     *     #maxConnections}
     */
    public DeviceCallbackServer start() {
      if (maxConnectionsPerPeer != null && maxConnectionsPerPeer > maxConnections) {
        throw new IllegalArgumentException("maxConnectionsPerPeer must be 1..maxConnections ("
            + maxConnections + "), got " + maxConnectionsPerPeer);
      }
      return new DeviceCallbackServer(this);
    }
  }
}
