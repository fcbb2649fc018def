package org.mozpool.core.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.mozpool.DeviceStates;
import org.mozpool.RequestStates;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.PoolStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool's Micrometer meters (listed in {@code METRICS.md}): devices per state, device
 * transitions and failures, requests filed, served, failed and closed, time to ready, claim
 * latency, the engines' timer lag and their store retries.
 *
 * <p>Without a registry every method returns at once and nothing is allocated: metrics cost
 * nothing unless an embedder asks for them. With one, meters are looked up once per distinct tag
 * set and cached, so a transition costs a map lookup and an increment. Every tag has a bounded set
 * of values (state names, outcomes); device names and request ids are never tags.
 *
 * <p>Thread safe. Unsupported: public only for Mozpool's own modules.
 */
public final class PoolMeters implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PoolMeters.class);

  /** How long one reading of the store serves the per-state device gauges of one scrape. */
  private static final Duration DEVICE_COUNT_FRESHNESS = Duration.ofSeconds(1);

  /** Reason tag of request outcomes that have none. */
  static final String NO_REASON = "none";

  private final MeterRegistry registry;
  private final List<Meter> registered = new CopyOnWriteArrayList<>();
  private final Map<String, Map<String, Counter>> deviceTransitions = new ConcurrentHashMap<>();
  private final Map<String, Map<String, Counter>> requestTransitions = new ConcurrentHashMap<>();
  private final Map<String, Counter> deviceFailures = new ConcurrentHashMap<>();
  private final Map<String, Counter> requestOutcomes = new ConcurrentHashMap<>();
  private final Map<String, Instant> filedAt = new ConcurrentHashMap<>();
  private final Map<String, Instant> findingSince = new ConcurrentHashMap<>();
  private Timer timeToReady;
  private Timer claimLatency;

  private PoolMeters(MeterRegistry registry) {
    this.registry = registry;
    if (registry != null) {
      timeToReady = keep(Timer.builder("mozpool.request.time.to.ready")
          .description("Time from filing a request to its device being ready")
          .publishPercentileHistogram()
          .minimumExpectedValue(Duration.ofSeconds(1)).maximumExpectedValue(Duration.ofHours(2))
          .register(registry));
      claimLatency = keep(Timer.builder("mozpool.claim.latency")
          .description("Time a request spent finding a device, until it claimed one")
          .publishPercentileHistogram()
          .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofHours(1))
          .register(registry));
    }
  }

  /** Meters in {@code registry}, or none (every call a no-op) when it is empty. */
  public static PoolMeters of(Optional<MeterRegistry> registry) {
    return new PoolMeters(registry.orElse(null));
  }

  /** Whether meters are recorded at all. */
  public boolean enabled() {
    return registry != null;
  }

  /**
   * How an engine of {@code kind} reports into {@code registry}: its timer lag and its retried
   * steps; a no-op observer when the registry is empty.
   */
  public static MachineEngine.Observer engineObserver(Optional<MeterRegistry> registry,
      MachineKind kind) {
    if (registry.isEmpty()) {
      return MachineEngine.Observer.NONE;
    }
    MeterRegistry r = registry.get();
    String machine = kind.name().toLowerCase(java.util.Locale.ROOT);
    Timer lag = Timer.builder("mozpool.engine.lag")
        .description("How late machine timers fired after their deadline")
        .tag("machine", machine)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(5))
        .register(r);
    Counter conflict = retries(r, "engine", "conflict");
    Counter transientFailure = retries(r, "engine", "transient");
    return new MachineEngine.Observer() {
      @Override
      public void timerFired(Duration late) {
        lag.record(late.isNegative() ? Duration.ZERO : late);
      }

      @Override
      public void stepRetried(boolean transientStoreFailure) {
        (transientStoreFailure ? transientFailure : conflict).increment();
      }
    };
  }

  private static Counter retries(MeterRegistry r, String caller, String cause) {
    return Counter.builder("mozpool.store.retries")
        .description("Store transactions retried: a lost optimistic race (conflict) or a"
            + " transient store failure")
        .tag("caller", caller).tag("cause", cause)
        .register(r);
  }

  /** A client call's store transaction is retried after a transient failure. */
  void clientRetried() {
    if (registry != null) {
      retries(registry, "client", "transient").increment();
    }
  }

  /**
   * Publishes {@code mozpool.devices}: how many devices the store holds in each state, read from
   * the store at most once per {@link #DEVICE_COUNT_FRESHNESS} (one reading serves a scrape).
   */
  void watchDevices(PoolStore store) {
    if (registry == null) {
      return;
    }
    DeviceCounts counts = new DeviceCounts(store);
    for (String state : knownDeviceStates()) {
      keep(Gauge.builder("mozpool.devices", counts, c -> c.count(state))
          .description("Devices in each state, as the store has them (the whole pool, not this"
              + " instance's share)")
          .tag("state", state).tag("family", family(state))
          .strongReference(true)
          .register(registry));
    }
  }

  /** A request was filed at {@code at}. */
  void requestFiled(String id, Instant at) {
    if (registry == null) {
      return;
    }
    filedAt.put(id, at);
    outcome("filed", NO_REASON).increment();
  }

  /**
   * A request moved; {@code filed} reads its filing time from the store when this instance did
   * not see it filed (it resumed after a restart).
   */
  void requestTransitioned(String id, String from, String to, Instant now,
      Function<String, Optional<Instant>> filed) {
    if (registry == null) {
      return;
    }
    transitionCounter(requestTransitions, "mozpool.request.transitions",
        "Request state transitions by from and to state", from, to).increment();
    if (RequestStates.FINDING_DEVICE.equals(to)) {
      findingSince.put(id, now);
    } else if (RequestStates.FINDING_DEVICE.equals(from)) {
      Instant since = findingSince.remove(id);
      if (since != null && RequestStates.CONTACTING_LIFEGUARD.equals(to)) {
        claimLatency.record(Duration.between(since, now));
      }
    }
    if (RequestStates.READY.equals(to)) {
      outcome("served", NO_REASON).increment();
      Instant at = filedAt.remove(id);
      Optional<Instant> created = at != null ? Optional.of(at) : filed.apply(id);
      created.ifPresent(c -> timeToReady.record(Duration.between(c, now)));
    } else if (RequestStates.CLOSED.equals(to)) {
      outcome("closed", RequestStates.READY.equals(from) ? "after_ready" : "before_ready")
          .increment();
    } else if (RequestStates.isTerminal(to)) {
      outcome("failed", to).increment();
    }
    if (RequestStates.isTerminal(to)) {
      filedAt.remove(id);
      findingSince.remove(id);
    }
  }

  /** A device moved (called after commit for every device transition). */
  public void deviceTransitioned(String from, String to) {
    if (registry == null) {
      return;
    }
    transitionCounter(deviceTransitions, "mozpool.device.transitions",
        "Device state transitions by from and to state", from, to).increment();
    if (DeviceStates.isFailed(to) && !to.equals(from)) {
      deviceFailures.computeIfAbsent(to, s -> keep(Counter.builder("mozpool.device.failures")
          .description("Times devices entered a failed_* state, by state")
          .tag("state", s)
          .register(registry))).increment();
    }
  }

  private Counter outcome(String outcome, String reason) {
    return requestOutcomes.computeIfAbsent(outcome + '\0' + reason,
        k -> keep(Counter.builder("mozpool.requests")
            .description("Requests filed, served (device ready), failed (reason: the failed"
                + " state) and closed (before or after being ready)")
            .tag("outcome", outcome).tag("reason", reason)
            .register(registry)));
  }

  private Counter transitionCounter(Map<String, Map<String, Counter>> cache, String name,
      String description, String from, String to) {
    return cache.computeIfAbsent(from, f -> new ConcurrentHashMap<>())
        .computeIfAbsent(to, t -> keep(Counter.builder(name).description(description)
            .tag("from", from).tag("to", to).register(registry)));
  }

  private <M extends Meter> M keep(M meter) {
    registered.add(meter);
    return meter;
  }

  /** Removes this pool's meters from the registry (the pool closed). Idempotent. */
  @Override
  public void close() {
    if (registry == null) {
      return;
    }
    for (Meter m : registered) {
      registry.remove(m);
    }
    registered.clear();
  }

  /** Every state named in {@link DeviceStates}, sorted. */
  static List<String> knownDeviceStates() {
    TreeSet<String> states = new TreeSet<>();
    for (Field f : DeviceStates.class.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
        try {
          states.add((String) f.get(null));
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return new ArrayList<>(states);
  }

  /**
   * A coarse grouping of device states for dashboards: {@code ready}, {@code failed}, {@code
   * idle} (maintenance, troubleshooting, locked out, retired, unknown, new) or {@code
   * working} (power cycling, PXE booting, imaging, verifying, self-testing).
   */
  static String family(String state) {
    if (DeviceStates.READY.equals(state)) {
      return "ready";
    }
    if (DeviceStates.isFailed(state)) {
      return "failed";
    }
    return switch (state) {
      case DeviceStates.MAINTENANCE_MODE, DeviceStates.TROUBLESHOOTING, DeviceStates.LOCKED_OUT,
          DeviceStates.RETIRED, DeviceStates.UNKNOWN, DeviceStates.NEW -> "idle";
      default -> "working";
    };
  }

  /** Device counts per state, read from the store when the last reading is stale. */
  private static final class DeviceCounts {
    private final PoolStore store;
    private Map<String, Integer> counts = Map.of();
    private long readAt;
    private boolean read;

    DeviceCounts(PoolStore store) {
      this.store = store;
    }

    synchronized double count(String state) {
      long now = System.nanoTime();
      if (!read || now - readAt > DEVICE_COUNT_FRESHNESS.toNanos()) {
        try {
          Map<String, Integer> fresh = new HashMap<>();
          for (DeviceRecord d : store.inTransaction(tx -> tx.devices())) {
            fresh.merge(d.machine().state(), 1, Integer::sum);
          }
          counts = fresh;
          read = true;
          readAt = now;
        } catch (RuntimeException e) {
          LOG.debug("device counts for mozpool.devices not read: {}", e.getMessage());
          return Double.NaN;
        }
      }
      return counts.getOrDefault(state, 0);
    }
  }
}
