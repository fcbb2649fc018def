package org.mozpool.bmm;

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
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mozpool.bmm.DeviceCallbacks.Answer;
import org.mozpool.spi.Lifeguard;
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
 * time, and 503 to every call while the pool is not running (an endpoint that {@link LabHardware}
 * binds before it builds the pool). Error answers are {@code {"ok":false,"error":"..."}}.
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
 * clock); the rest are counted, and the count is logged once the minute is over. What a call
 * means — tokens, events, logging, Lifeguard — is {@link DeviceCallbacks}'s, shared with the
 * Mozpool server's callback routes; this class is the HTTP transport for embedders without the
 * server.
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
  private static final Duration MAX_TIMEOUT = Duration.ofMinutes(10);

  /** The settings of {@link #callbacks}, kept until an unrouted endpoint is routed. */
  private final DeviceCallbacks.Builder pending;
  /** What calls mean; null while the endpoint waits for its pool (calls are answered 503). */
  private volatile DeviceCallbacks callbacks;
  private final int maxBodyBytes;
  private final Duration requestReadTimeout;
  private final int maxConnections;
  private final int maxConnectionsPerPeer;
  private final ServerSocket listener;
  private final Thread acceptor;
  private final ThreadPoolExecutor connections;
  private final Semaphore handlers;
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
    this.pending = b.callbacks;
    this.callbacks = b.callbacks.routed() ? b.callbacks.build() : null;
    this.maxBodyBytes = b.maxBodyBytes;
    this.requestReadTimeout = b.requestReadTimeout;
    this.maxConnections = b.maxConnections;
    this.maxConnectionsPerPeer = b.effectiveMaxConnectionsPerPeer();
    this.handlers = new Semaphore(b.threads);
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

  /**
   * Settings for an endpoint that listens before its pool exists: until {@link #routeTo} names
   * the pool, every call is answered 503. {@link LabHardware} binds one first, so that the PXE
   * configs can name its real address before the pool is built.
   */
  static Builder unrouted() {
    return new Builder(new DeviceCallbacks.Builder());
  }

  /**
   * Routes calls to the devices of {@code store} and to {@code lifeguard}, timestamped by {@code
   * clock}, from now on; calls already answered 503 are not replayed (the device retries).
   *
   * @throws IllegalStateException if the endpoint is routed already
   */
  synchronized void routeTo(PoolStore store, Lifeguard lifeguard, Clock clock) {
    if (callbacks != null) {
      throw new IllegalStateException("the device callback endpoint is routed already");
    }
    callbacks = pending.routeTo(store, lifeguard).clock(clock).build();
    LOG.info("device callback endpoint {}: routing calls to the pool", uri());
  }

  /** Answers every further call 503 again, e.g. before its pool is closed. */
  void unroute() {
    callbacks = null;
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
      CallbackRequest.answer(socket, 503, Answer.error(503, why).json());
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
      CallbackRequest.answer(socket, answer.status(), answer.json());
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
    DeviceCallbacks routed = callbacks;
    if (routed == null) {
      return Answer.error(503, "the pool is not running yet (starting or stopping), try again"
          + " shortly");
    }
    String path = request.rawPath;
    String method = request.method;
    Matcher event = EVENT.matcher(path);
    Matcher bootconfig = BOOTCONFIG.matcher(path);
    if (event.matches()) {
      if (!method.equals("GET") && !method.equals("POST")) {
        return Answer.error(405, "use GET or POST to report an event");
      }
      return event(routed, request, peer, decode(event.group(1)), decode(event.group(2)));
    }
    if (bootconfig.matches()) {
      if (!method.equals("GET")) {
        return Answer.error(405, "use GET to fetch the boot config");
      }
      return routed.bootConfig(call(request, peer, decode(bootconfig.group(1))));
    }
    return Answer.error(404, "no such endpoint: " + DeviceCallbacks.printable(path, 200));
  }

  private Answer event(DeviceCallbacks routed, CallbackRequest request, InetAddress peer,
      String name, String event) {
    if (request.declaredLength > maxBodyBytes) {
      return Answer.error(413, "body larger than " + maxBodyBytes + " bytes");
    }
    return routed.event(call(request, peer, name), event, query(request), request.body,
        maxBodyBytes);
  }

  private static DeviceCallbacks.Call call(CallbackRequest request, InetAddress peer,
      String name) {
    return new DeviceCallbacks.Call(name, DeviceCallbacks.presentedToken(
        request.header("Authorization"), query(request).get("token")), peer);
  }

  /** See {@link DeviceCallbacks#tokenMatches}. */
  static boolean tokenMatches(String expected, String presented) {
    return DeviceCallbacks.tokenMatches(expected, presented);
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
   * Configures a {@link DeviceCallbackServer}. Defaults: system UTC clock, 127.0.0.1 on an
   * ephemeral port, 64 KiB bodies, 10 s for Lifeguard to take an event, 8 calls handled at once,
   * 10 s for a client to send its request, 64 connections and 8 per peer address, 10 refusals
   * logged per device and minute. Setters validate eagerly and throw {@link
   * IllegalArgumentException} naming the setting and its accepted range. Not thread safe.
   */
  public static final class Builder {
    /** The endpoint's logic and its settings (clock, event timeout, refusal log), checked there. */
    private final DeviceCallbacks.Builder callbacks;
    private InetSocketAddress bind = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private int maxBodyBytes = 64 * 1024;
    private int threads = 8;
    private Duration requestReadTimeout = Duration.ofSeconds(10);
    private int maxConnections = 64;
    private Integer maxConnectionsPerPeer; // null: 8, or maxConnections when that is smaller

    private Builder(PoolStore store, Lifeguard lifeguard) {
      this(DeviceCallbacks.builder(store, lifeguard));
    }

    private Builder(DeviceCallbacks.Builder callbacks) {
      this.callbacks = callbacks;
    }

    /** Where the endpoint is to listen. */
    InetSocketAddress bindAddress() {
      return bind;
    }

    /** The clock that timestamps log lines and times the refusal-log minute. */
    public Builder clock(Clock clock) {
      callbacks.clock(clock);
      return this;
    }

    /**
     * Where to count every answered callback as {@code mozpool.callbacks} (see {@link
     * DeviceCallbacks.Builder#meterRegistry}); default none.
     *
     * @throws NullPointerException if {@code registry} is null
     */
    public Builder meterRegistry(io.micrometer.core.instrument.MeterRegistry registry) {
      callbacks.meterRegistry(registry);
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
      callbacks.eventTimeout(eventTimeout);
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
      callbacks.refusalsLoggedPerMinute(refusalsLoggedPerMinute);
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
