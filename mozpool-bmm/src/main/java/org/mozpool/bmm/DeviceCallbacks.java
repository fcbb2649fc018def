package org.mozpool.bmm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.mozpool.ConflictException;
import org.mozpool.LogEntry;
import org.mozpool.NoSuchDeviceException;
import org.mozpool.NoSuchImageException;
import org.mozpool.RefusedException;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.Lifeguard;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.PoolStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the device callback endpoints do with a call, whatever carries it over HTTP (DESIGN §7.4):
 * the token check, the event's canonical name, the device log and the refusal rate limit, the
 * hand-over to Lifeguard and the boot config. {@link DeviceCallbackServer} and the Mozpool
 * server's routes are two transports over one instance of this class each; they read the request
 * off the wire, call {@link #event} or {@link #bootConfig}, and write back the {@link Answer}.
 *
 * <p>A call must carry the device's callback token (compared in constant time), or a credential
 * that the {@linkplain Builder#alsoAccept alternative check} accepts (the server's operator
 * tokens). Answers: 200 {@code {"ok":true}} once Lifeguard has taken an event, or the boot config
 * as a JSON object; errors are {@code {"ok":false,"error":"..."}} with 401 (missing or wrong
 * token), 404 (unknown device), 400 (unknown event, malformed JSON, a body that is not one JSON
 * object), 409 (Lifeguard refuses), 413 (body over the transport's limit), 503 (Lifeguard does not
 * take the event in time).
 *
 * <p>Every call to a known device is written to its log, what the device sent escaped and
 * shortened. Refused calls are logged at most {@linkplain Builder#refusalsLoggedPerMinute a number
 * of times} per device and minute of the injected clock; the rest are counted, and the count is
 * logged once the minute is over.
 *
 * <p>Thread safe. Holds no threads or sockets.
 */
public final class DeviceCallbacks {

  private static final Logger LOG = LoggerFactory.getLogger(DeviceCallbacks.class);
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
  private final Duration eventTimeout;
  private final Function<String, Optional<String>> alsoAccept;
  private final RefusalLog refusals;
  private final BmmMeters meters;

  private DeviceCallbacks(Builder b) {
    this.meters = BmmMeters.of(b.meterRegistry);
    this.store = b.store;
    this.lifeguard = b.lifeguard;
    this.clock = b.clock;
    this.eventTimeout = b.eventTimeout;
    this.alsoAccept = b.alsoAccept;
    this.refusals = new RefusalLog(b.refusalsLoggedPerMinute);
  }

  /** Starts configuring the callbacks of the devices in {@code store}, feeding {@code lifeguard}. */
  public static Builder builder(PoolStore store, Lifeguard lifeguard) {
    return new Builder(store, lifeguard);
  }

  /**
   * The answer to one call.
   *
   * @param status the HTTP status
   * @param body the JSON body: {@code ok} and, on errors, {@code error}; or the boot config.
   *     Unmodifiable, in the order its keys go on the wire
   */
  public record Answer(int status, Map<String, Object> body) {
    /** Copies {@code body}, keeping its order. */
    public Answer {
      body = Collections.unmodifiableMap(new LinkedHashMap<>(body));
    }

    /** An error answer {@code {"ok":false,"error":message}}. */
    public static Answer error(int status, String message) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("ok", false);
      body.put("error", message);
      return new Answer(status, body);
    }

    /** The success answer to an event, {@code {"ok":true}}. */
    public static Answer ok() {
      return new Answer(200, Map.of("ok", true));
    }

    /** The body as JSON bytes. */
    public byte[] json() {
      try {
        return JSON.writeValueAsBytes(body);
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("a map of strings and booleans is always JSON", e);
      }
    }
  }

  /**
   * Who a call claims to be and what it presents.
   *
   * @param device the device name from the path, percent-decoded
   * @param token the token presented, null if none (see {@link #presentedToken})
   * @param peer the address the call came from, for the logs
   */
  public record Call(String device, String token, InetAddress peer) {
    /** Checks that device and peer are given. */
    public Call {
      Objects.requireNonNull(device, "device");
      Objects.requireNonNull(peer, "peer");
    }
  }

  /**
   * The token a call presents: the {@code Authorization: Bearer} header's if there is one, else
   * the {@code token} query parameter's; null if neither.
   *
   * @param authorization the {@code Authorization} header, or null
   * @param tokenParameter the decoded {@code token} query parameter, or null
   */
  public static String presentedToken(String authorization, String tokenParameter) {
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return authorization.substring(7).trim();
    }
    return tokenParameter;
  }

  /**
   * Handles {@code GET|POST /api/device/{name}/event/{event}/}: checks the token, reads the
   * arguments and passes the event to Lifeguard under its {@linkplain DeviceEvents#canonical
   * canonical name}, waiting up to the {@linkplain Builder#eventTimeout event timeout} for it to
   * be taken. Blocks the calling thread meanwhile.
   *
   * @param event the event from the path, percent-decoded
   * @param query the decoded query parameters (first value of each); {@code token} is not an
   *     argument
   * @param body the request body (empty for none), or null when the transport found it larger
   *     than its limit of {@code maxBodyBytes}
   */
  public Answer event(Call call, String event, Map<String, String> query, byte[] body,
      int maxBodyBytes) {
    Answer answer = answerEvent(call, event, query, body, maxBodyBytes);
    meters.callback("event", answer.status());
    return answer;
  }

  private Answer answerEvent(Call call, String event, Map<String, String> query, byte[] body,
      int maxBodyBytes) {
    String name = call.device();
    String shownEvent = printable(event, NAME_IN_LOG);
    Auth auth = authenticate(call, "event " + shownEvent);
    if (auth.refusal() != null) {
      return auth.refusal();
    }
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
      args = arguments(query, body);
    } catch (JsonProcessingException e) {
      logRefusal(name, "callback refused: event " + event + " with malformed JSON");
      return Answer.error(400, "malformed JSON: " + e.getOriginalMessage());
    } catch (IllegalArgumentException e) {
      logRefusal(name, "callback refused: event " + event
          + " with a body that is not a JSON object");
      return Answer.error(400, "the body must be a JSON object: " + e.getMessage());
    }
    log(name, "event " + event + (event.equals(canonical.get()) ? "" : " (" + canonical.get() + ")")
        + (args.isEmpty() ? "" : " " + printable(args.toString(), ARGS_IN_LOG))
        + (auth.by() == null ? "" : " (posted by " + printable(auth.by(), NAME_IN_LOG) + ")"));
    return whenTaken(lifeguard.deviceEvent(name, canonical.get(), args), eventTimeout,
        "device " + name + ": event " + event);
  }

  /**
   * The answer once Lifeguard has taken what {@code stage} stands for: 200 {@code {"ok":true}};
   * 404 for an unknown device; 400 for an unknown image or a bad argument; 409 when the device's
   * state refuses it or a conditional change does not apply; 503 when it is not taken within
   * {@code timeout} (or the server is shutting down); 500 for anything else, logged with {@code
   * what}. Blocks the calling thread meanwhile.
   */
  public static Answer whenTaken(CompletionStage<Void> stage, Duration timeout, String what) {
    try {
      stage.toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      LOG.warn("{}: Lifeguard did not take it within {}", what, timeout);
      return Answer.error(503, "Lifeguard did not take the event within " + timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Answer.error(503, "server shutting down");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof NoSuchDeviceException) {
        return Answer.error(404, cause.getMessage());
      }
      if (cause instanceof NoSuchImageException || cause instanceof IllegalArgumentException) {
        return Answer.error(400, cause.getMessage());
      }
      if (cause instanceof RefusedException || cause instanceof ConflictException) {
        return Answer.error(409, cause.getMessage());
      }
      LOG.warn("{} failed", what, cause);
      return Answer.error(500, "event failed: " + cause);
    }
    return Answer.ok();
  }

  /**
   * Handles {@code GET /api/device/{name}/bootconfig/}: the boot config of the image being
   * installed, or, if none, of the current image.
   */
  public Answer bootConfig(Call call) {
    Answer answer = answerBootConfig(call);
    meters.callback("boot_config", answer.status());
    return answer;
  }

  private Answer answerBootConfig(Call call) {
    Auth auth = authenticate(call, "boot config");
    if (auth.refusal() != null) {
      return auth.refusal();
    }
    DeviceRecord d = auth.device();
    Map<String, String> config = d.nextBootConfig().isEmpty() ? d.bootConfig() : d.nextBootConfig();
    log(call.device(), "boot config fetched"
        + (auth.by() == null ? "" : " by " + printable(auth.by(), NAME_IN_LOG)));
    return new Answer(200, new LinkedHashMap<>(config));
  }

  /** The device a call is about and who made it (null: the device), or why it is refused. */
  private record Auth(DeviceRecord device, String by, Answer refusal) {}

  /**
   * Refuses (401, logged within the refusal limit) unless the call carries the device's token or
   * a credential the alternative check accepts; 404 for unknown devices. {@code what} must
   * already be {@linkplain #printable printable}.
   */
  private Auth authenticate(Call call, String what) {
    String name = call.device();
    String peer = call.peer().getHostAddress();
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
            printable(name, NAME_IN_LOG), peer);
      }
      return new Auth(null, null, Answer.error(404, "no device named '"
          + printable(name, NAME_IN_LOG) + "'"));
    }
    String presented = call.token();
    if (presented != null && tokenMatches(device.get().callbackToken(), presented)) {
      return new Auth(device.get(), null, null);
    }
    Optional<String> other = presented == null || presented.isEmpty() ? Optional.empty()
        : alsoAccept.apply(presented);
    if (other.isPresent()) {
      return new Auth(device.get(), other.get(), null);
    }
    String reason = presented == null ? "no token" : "wrong token";
    if (logRefusal(name, "callback refused: " + what + " with " + reason + " from " + peer)) {
      LOG.warn("device {}: callback {} from {} refused: {}", name, what, peer, reason);
    }
    return new Auth(null, null, Answer.error(401, "a valid device token is required"));
  }

  /**
   * Whether {@code presented} is {@code expected}, compared in time independent of where the
   * tokens differ and of their lengths (both are hashed first). A device without a token
   * ({@code expected} empty) accepts none.
   */
  public static boolean tokenMatches(String expected, String presented) {
    if (expected.isEmpty() || presented == null) {
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

  private static Map<String, Object> arguments(Map<String, String> query, byte[] body)
      throws JsonProcessingException {
    Map<String, Object> args = new LinkedHashMap<>();
    query.forEach((k, v) -> {
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
   * {@code s} fit for one log line or error message: backslashes and control characters
   * escaped ({@code \n}, {@code \r}, {@code \t}, otherwise {@code \}{@code uXXXX}), at most
   * {@code max} characters of it kept.
   */
  public static String printable(String s, int max) {
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
   * Configures {@link DeviceCallbacks}. Defaults: system UTC clock, 10 s for Lifeguard to take an
   * event, 10 refusals logged per device and minute, no credential accepted but the device's
   * token. Setters validate eagerly and throw {@link IllegalArgumentException} naming the setting
   * and its accepted range. Not thread safe.
   */
  public static final class Builder {
    private PoolStore store;
    private Lifeguard lifeguard;
    private Clock clock = Clock.systemUTC();
    private Duration eventTimeout = Duration.ofSeconds(10);
    private int refusalsLoggedPerMinute = 10;
    private Function<String, Optional<String>> alsoAccept = token -> Optional.empty();
    private io.micrometer.core.instrument.MeterRegistry meterRegistry;

    private Builder(PoolStore store, Lifeguard lifeguard) {
      routeTo(store, lifeguard);
    }

    /** Settings without a pool yet: {@link #routeTo} names it before {@link #build()}. */
    Builder() {}

    /** The devices' store and the Lifeguard that takes their events. */
    Builder routeTo(PoolStore store, Lifeguard lifeguard) {
      this.store = Objects.requireNonNull(store, "store");
      this.lifeguard = Objects.requireNonNull(lifeguard, "lifeguard");
      return this;
    }

    /** Whether a store and Lifeguard are named. */
    boolean routed() {
      return store != null;
    }

    /** The clock that timestamps log lines and times the refusal-log minute. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
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
          || eventTimeout.compareTo(MAX_TIMEOUT) > 0) {
        throw new IllegalArgumentException("eventTimeout must be positive and at most "
            + MAX_TIMEOUT + ", got " + eventTimeout);
      }
      this.eventTimeout = eventTimeout;
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

    /**
     * A second credential check for presented tokens that are not the device's: it answers who
     * holds {@code token} (a name for the device log, e.g. {@code "operator alice"}), or empty to
     * refuse. Called only with a non-empty token the device's did not match; it must compare in
     * constant time and be thread safe. Default: refuses every token.
     */
    public Builder alsoAccept(Function<String, Optional<String>> holderOfToken) {
      this.alsoAccept = Objects.requireNonNull(holderOfToken, "holderOfToken");
      return this;
    }

    /**
     * Where to count every answered call as {@code mozpool.callbacks}, tagged with its kind
     * ({@code event}, {@code boot_config}) and HTTP status (see {@code METRICS.md}); default none.
     *
     * @throws NullPointerException if {@code registry} is null
     */
    public Builder meterRegistry(io.micrometer.core.instrument.MeterRegistry registry) {
      this.meterRegistry = Objects.requireNonNull(registry, "meterRegistry");
      return this;
    }

    /** The configured callbacks. */
    public DeviceCallbacks build() {
      if (!routed()) {
        throw new IllegalStateException("no store and Lifeguard to route the callbacks to");
      }
      return new DeviceCallbacks(this);
    }
  }
}
