package org.mozpool.core.internal;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.mozpool.ConflictException;
import org.mozpool.DeviceView;
import org.mozpool.Image;
import org.mozpool.ImagingResult;
import org.mozpool.InstancePolicy;
import org.mozpool.InvalidRequestException;
import org.mozpool.Inventory;
import org.mozpool.Lease;
import org.mozpool.LeaseException;
import org.mozpool.LogEntry;
import org.mozpool.NoSuchDeviceException;
import org.mozpool.NoSuchImageException;
import org.mozpool.NoSuchRequestException;
import org.mozpool.Pool;
import org.mozpool.PoolListener;
import org.mozpool.PoolPolicy;
import org.mozpool.RequestSpec;
import org.mozpool.RequestStates;
import org.mozpool.RequestView;
import org.mozpool.spi.AttentionListener;
import org.mozpool.spi.BootControl;
import org.mozpool.spi.Claim;
import org.mozpool.spi.DeviceChooser;
import org.mozpool.spi.DeviceProbe;
import org.mozpool.spi.DeviceQuery;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.DeviceSelector;
import org.mozpool.spi.Lifeguard;
import org.mozpool.spi.LifeguardContext;
import org.mozpool.spi.LifeguardFactory;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;
import org.mozpool.spi.PoolStore;
import org.mozpool.spi.PowerControl;
import org.mozpool.spi.QueuePolicy;
import org.mozpool.spi.RequestRecord;
import org.mozpool.spi.StoreTransaction;
import org.mozpool.spi.Timekeeper;
import org.mozpool.spi.TransientStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool: files requests, runs their state machines, and is the {@link LifeguardContext} of its
 * Lifeguard. Unsupported: public only so that Mozpool's own modules can assemble it.
 */
public final class StandardPool implements Pool, LifeguardContext {
  private static final Logger LOG = LoggerFactory.getLogger(StandardPool.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  /** Everything a pool is made of; assembled by the builder's Guice module. */
  public record Parts(
      PoolStore store, Timekeeper timekeeper, LifeguardFactory lifeguardFactory,
      PowerControl powerControl, BootControl bootControl, DeviceProbe deviceProbe,
      DeviceSelector selector, AttentionListener attentionListener, PoolPolicy policy,
      String serverId, Supplier<String> requestIds,
      Optional<io.micrometer.core.instrument.MeterRegistry> meterRegistry, DeviceChooser chooser,
      QueuePolicy queuePolicy, Optional<InstancePolicy> instancePolicy) {

    /**
     * Without a meter registry (metrics off), choosing as DESIGN §6 says around {@code selector}
     * ({@link org.mozpool.core.DeviceSelectors#preferringReuse}), queueing by priority then age.
     */
    public Parts(
        PoolStore store, Timekeeper timekeeper, LifeguardFactory lifeguardFactory,
        PowerControl powerControl, BootControl bootControl, DeviceProbe deviceProbe,
        DeviceSelector selector, AttentionListener attentionListener, PoolPolicy policy,
        String serverId, Supplier<String> requestIds) {
      this(store, timekeeper, lifeguardFactory, powerControl, bootControl, deviceProbe, selector,
          attentionListener, policy, serverId, requestIds, Optional.empty(),
          org.mozpool.core.DeviceSelectors.preferringReuse(selector),
          org.mozpool.core.QueuePolicies.priorityThenAge(), Optional.empty());
    }
  }

  private final Parts parts;
  private final PoolMeters meters;
  private final MachineEngine engine;
  private final RequestQueue queue;
  private final Scheduling scheduling;
  private final Lifeguard lifeguard;
  private final StandardInventory inventory;
  private final List<PoolListener> listeners = new CopyOnWriteArrayList<>();
  private final Map<String, CompletableFuture<String>> settled = new ConcurrentHashMap<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  /** The other instances on the store (DESIGN §9), or null when this pool is alone on it. */
  private final Peers peers;

  public StandardPool(Parts parts) {
    this.parts = parts;
    this.meters = PoolMeters.of(parts.meterRegistry());
    RequestMachine machine = new RequestMachine(this, parts.policy());
    this.engine = new MachineEngine(MachineKind.REQUEST, parts.store(), parts.timekeeper(),
        machine.states(), machine.unknown(), "pool", this::requestTransitioned,
        PoolMeters.engineObserver(parts.meterRegistry(), MachineKind.REQUEST));
    this.queue = new RequestQueue(this);
    this.scheduling = new Scheduling(parts.chooser(), parts.queuePolicy(), queue::snapshot);
    this.peers = parts.instancePolicy()
        .map(policy -> new Peers(this, policy, parts.policy().contactTimeout())).orElse(null);
    Lifeguard local = parts.lifeguardFactory().create(this); // may ask fence(): peers exist
    this.lifeguard = peers == null ? local : peers.routing(local);
    this.inventory = new StandardInventory(this);
  }

  /**
   * What every step and hardware operation of this instance is checked against: with other
   * instances on the store, that this instance still drives the machine under its current epoch;
   * alone, nothing. Lifeguards built on Mozpool's engine set it on theirs.
   */
  public MachineEngine.Fence fence() {
    return peers == null ? MachineEngine.Fence.NONE : peers.fence();
  }

  /** Whether other instances share the store (an instance policy was given). */
  boolean sharesStore() {
    return peers != null;
  }

  /** The other instances on the store; null when alone. */
  Peers peers() {
    return peers;
  }

  /** Resumes every machine from the store and starts serving. */
  public void start() {
    parts.store().start();
    if (peers != null) {
      peers.join(); // under a new epoch, before any machine is driven
    }
    lifeguard.start();
    resumeRequests();
    if (peers != null) {
      peers.listen();
    }
    meters.watchDevices(store());
    schedulePruning();
  }

  /** Re-arms and queues the requests this instance drives (DESIGN §9: the ones it filed). */
  void resumeRequests() {
    Set<String> mine = peers == null ? null
        : transact(tx -> tx.drivenBy(MachineKind.REQUEST, parts.serverId()));
    for (RequestRecord r : store().inTransaction(tx -> tx.requestsInState(RequestStates.FINDING_DEVICE))) {
      if (mine == null ? ownsRequest(r) : mine.contains(r.id())) {
        queue.add(r);
      }
    }
    engine.resume(tx -> mine != null ? mine : tx.requests().stream().filter(this::ownsRequest)
        .map(RequestRecord::id).collect(java.util.stream.Collectors.toSet()));
  }

  @Override
  public Set<String> devicesDriven(StoreTransaction tx) {
    return peers == null ? LifeguardContext.super.devicesDriven(tx)
        : tx.drivenBy(MachineKind.DEVICE, parts.serverId());
  }

  /**
   * Runs a client's unit of work, retrying it a few times when the store fails transiently (a
   * dropped connection), so that a database hiccup is not every caller's problem.
   */
  <T> T transact(java.util.function.Function<StoreTransaction, T> work) {
    return Retries.inTransaction(store(), work, e -> {
      LOG.info("store call retried: {}", e.getMessage());
      meters.clientRetried();
    });
  }

  private boolean ownsRequest(RequestRecord r) {
    return r.server().isEmpty() || r.server().equals(parts.serverId());
  }

  private void schedulePruning() {
    if (closed.get()) {
      return;
    }
    Instant next = timekeeper().now().plus(Duration.ofHours(1));
    timekeeper().schedule(next, () -> {
      if (closed.get()) {
        return;
      }
      try {
        int n = store().inTransaction(tx -> tx.pruneLogs(timekeeper().now().minus(parts.policy().logRetention())));
        if (n > 0) {
          LOG.info("pruned {} log lines older than {}", n, parts.policy().logRetention());
        }
      } catch (RuntimeException e) {
        LOG.warn("log pruning failed", e);
      }
      schedulePruning();
    });
  }

  // ---- accessors for the machine and queue ----

  RequestQueue queue() {
    return queue;
  }

  MachineEngine requestEngine() {
    return engine;
  }

  Scheduling scheduling() {
    return scheduling;
  }

  Lifeguard lifeguardSpi() {
    return lifeguard;
  }

  // ---- Pool ----

  @Override
  public Lease request(RequestSpec spec) {
    checkOpen();
    String id = parts.requestIds().get();
    String token = newToken();
    Instant now = timekeeper().now();
    Filing filing;
    try {
      filing = transact(tx -> file(tx, id, token, spec, now, true));
    } catch (FirstStepFailed e) {
      // The store or the fence refused the first step (a plug-in's fault is caught inside it):
      // file the request alone, as a step failing on its timer would have left it, and let the
      // engine's timer run the step again.
      LOG.warn("first step of request {} failed; filing it alone", id, e.getCause());
      filing = transact(tx -> file(tx, id, token, spec, now, false));
    }
    meters.requestFiled(id, filing.record().createdAt());
    if (filing.afterCommit() == null) {
      engine.arm(id, filing.record().machine().deadline());
    } else {
      filing.afterCommit().run();
    }
    return new StandardLease(this, id, token);
  }

  /** A request filed, with what its first step does once committed (null: no step ran). */
  private record Filing(RequestRecord record, Runnable afterCommit) {}

  /** Carries a first step's failure out of the filing transaction (rolling it back). */
  private static final class FirstStepFailed extends RuntimeException {
    FirstStepFailed(RuntimeException cause) {
      super(cause);
    }
  }

  /**
   * Inserts the request and, with {@code firstStep}, runs its first step in the same transaction:
   * the search for a device and, when one is free, its claim, as the original's request handler
   * handled {@code find_device} before it answered. One transaction, one commit flush: the
   * request leaves the call already holding its device, or queued for one.
   */
  private Filing file(StoreTransaction tx, String id, String token, RequestSpec spec, Instant now,
      boolean firstStep) {
    RequestRecord r = new RequestRecord(id, token, spec, parts.serverId(), now,
        now.plus(spec.leaseDuration()), List.of(), "", MachineRecord.initial(RequestStates.NEW, now));
    // Inserted first, not looked for first: the look is a round trip on a SQL store, and only
    // a retry after a lost commit answer ever finds the id taken. The insert is undone with
    // the transaction if the spec turns out invalid.
    try {
      tx.insertRequest(r);
    } catch (ConflictException e) {
      Optional<RequestRecord> earlier = tx.request(id);
      if (earlier.isPresent() && earlier.get().token().equals(token)) {
        // An earlier try committed although its answer was lost, its first step with it: that
        // step's after-commit work is lost, so its timer is armed from what is stored.
        return new Filing(earlier.get(), null);
      }
      throw e;
    }
    validate(tx, spec);
    tx.appendLog(MachineKind.REQUEST, id, new LogEntry(now, "api", "requested "
        + (spec.isAny() ? "any device" : "device " + spec.device()) + " with image "
        + spec.image() + " for " + spec.leaseDuration() + " by '" + spec.requester() + "'"));
    if (!firstStep) {
      return new Filing(r, null);
    }
    try {
      return new Filing(r, engine.timeoutWithin(tx, id));
    } catch (TransientStoreException e) {
      throw e; // the whole filing is retried
    } catch (RuntimeException e) {
      throw new FirstStepFailed(e);
    }
  }

  private static void validate(StoreTransaction tx, RequestSpec spec) {
    Image image = tx.image(spec.image()).orElseThrow(() -> new NoSuchImageException(spec.image()));
    if (image.hidden()) {
      throw new InvalidRequestException("image " + image.name() + " is a hidden utility image and"
          + " cannot be requested");
    }
    Set<String> missing = new TreeSet<>(image.requiredBootConfigKeys());
    missing.removeAll(spec.bootConfig().keySet());
    if (!missing.isEmpty()) {
      throw new InvalidRequestException("image " + image.name() + " needs boot config keys "
          + missing + ", got " + new TreeSet<>(spec.bootConfig().keySet()));
    }
    if (!spec.isAny()) {
      tx.device(spec.device()).orElseThrow(() -> new NoSuchDeviceException(spec.device()));
    }
    if (!spec.hardwareType().isEmpty() && tx.hardwareType(spec.hardwareType()).isEmpty()) {
      throw new InvalidRequestException("unknown hardware type '" + spec.hardwareType() + "'");
    }
    if (!spec.environment().isEmpty() && tx.findDevices(
        new DeviceQuery("", false, spec.environment(), "", "")).isEmpty()) {
      throw new InvalidRequestException("no device is in environment '" + spec.environment() + "'");
    }
  }

  private static String newToken() {
    byte[] b = new byte[24];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  @Override
  public Lease lease(String requestId, String token) {
    RequestRecord r = transact(tx -> tx.request(requestId))
        .orElseThrow(() -> new NoSuchRequestException(requestId));
    if (token == null || !MessageDigest.isEqual(r.token().getBytes(StandardCharsets.UTF_8),
        token.getBytes(StandardCharsets.UTF_8))) {
      throw new LeaseException(requestId, "wrong lease token");
    }
    return new StandardLease(this, requestId, r.token());
  }

  @Override
  public Optional<RequestView> findRequest(String requestId) {
    return transact(tx -> tx.request(requestId).map(r -> view(tx, r)));
  }

  @Override
  public List<RequestView> requests() {
    return transact(tx -> tx.requests().stream().map(r -> view(tx, r)).toList());
  }

  @Override
  public List<LogEntry> requestLog(String requestId) {
    return transact(tx -> {
      tx.request(requestId).orElseThrow(() -> new NoSuchRequestException(requestId));
      return tx.log(MachineKind.REQUEST, requestId, Integer.MAX_VALUE);
    });
  }

  @Override
  public Inventory inventory() {
    return inventory;
  }

  @Override
  public Lifeguard lifeguard() {
    return lifeguard;
  }

  @Override
  public void addListener(PoolListener listener) {
    listeners.add(listener);
  }

  @Override
  public Clock clock() {
    return timekeeper().clock();
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      if (peers != null) {
        peers.close();
      }
      engine.close();
      lifeguard.close();
      meters.close();
    }
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException("the pool is closed");
    }
  }

  // ---- leases ----

  /** Completes with the request's state once it is ready or terminal. */
  CompletableFuture<String> settled(String requestId) {
    CompletableFuture<String> f = settled.computeIfAbsent(requestId, k -> timekeeper().newStage());
    String state = findRequest(requestId).orElseThrow(() -> new NoSuchRequestException(requestId)).state();
    if (isSettled(state)) {
      settled.remove(requestId, f);
      f.complete(state);
    }
    return f;
  }

  private static boolean isSettled(String state) {
    return RequestStates.READY.equals(state) || RequestStates.isTerminal(state);
  }

  private void requestTransitioned(String id, String from, String to) {
    if (meters.enabled()) {
      meters.requestTransitioned(id, from, to, timekeeper().now(), this::filedAt);
    }
    if (isSettled(to)) {
      CompletableFuture<String> f = settled.remove(id);
      if (f != null) {
        f.complete(to);
      }
    }
    for (PoolListener l : listeners) {
      try {
        l.requestStateChanged(id, from, to);
      } catch (RuntimeException e) {
        LOG.warn("pool listener failed", e);
      }
    }
  }

  /**
   * A client returned {@code device} as bad: Lifeguard takes it (recording the failure and
   * releasing the closed request's claim as it starts the self-test); whatever Lifeguard did, the
   * claim is released here afterwards, so a failing Lifeguard never strands the device.
   */
  void deviceReturnedBad(String device, String requestId, org.mozpool.ReturnOutcome outcome) {
    CompletableFuture<Void> taken;
    try {
      taken = lifeguard.returnedBad(device, requestId, outcome).toCompletableFuture();
    } catch (RuntimeException e) {
      taken = CompletableFuture.failedFuture(e);
    }
    taken.whenComplete((v, e) -> {
      if (e != null) {
        LOG.warn("Lifeguard did not take bad device {} returned by request {}", device, requestId, e);
      }
      try {
        transact(tx -> {
          tx.releaseClaim(requestId).ifPresent(c -> tx.appendLog(MachineKind.REQUEST, requestId,
              new LogEntry(timekeeper().now(), "pool", "released device " + device
                  + (e == null ? "" : " (Lifeguard could not take it: " + e.getMessage() + ")"))));
          return null;
        });
      } catch (RuntimeException x) {
        LOG.warn("could not release the claim of request {} on {}", requestId, device, x);
      }
      queue.deviceMayBeFree(device);
    });
  }

  void deviceReturned(String device) {
    lifeguard.released(device).whenComplete((v, e) -> {
      if (e != null) {
        LOG.warn("release of {} failed", device, e);
      }
      queue.deviceMayBeFree(device);
    });
  }

  // ---- LifeguardContext ----

  @Override
  public PoolStore store() {
    return parts.store();
  }

  @Override
  public Timekeeper timekeeper() {
    return parts.timekeeper();
  }

  @Override
  public PowerControl powerControl() {
    return parts.powerControl();
  }

  @Override
  public BootControl bootControl() {
    return parts.bootControl();
  }

  @Override
  public DeviceProbe deviceProbe() {
    return parts.deviceProbe();
  }

  @Override
  public AttentionListener attentionListener() {
    return parts.attentionListener();
  }

  @Override
  public String serverId() {
    return parts.serverId();
  }

  @Override
  public void imagingResult(String requestId, String device, ImagingResult result) {
    imagingResult(requestId, device, result, "");
  }

  @Override
  public void imagingResult(String requestId, String device, ImagingResult result, String reason) {
    if (peers != null && peers.drivenElsewhere(requestId)) {
      peers.postImagingResult(requestId, device, result, reason);
      return;
    }
    engine.send(requestId, RequestMachine.IMAGING_RESULT, Map.of("result", result.wireName(),
            RequestMachine.REASON, reason == null ? "" : reason))
        .exceptionally(e -> {
          LOG.warn("imaging result {} of {} for request {} not delivered", result, device, requestId, e);
          return null;
        });
  }

  /**
   * When request {@code id} was filed, read from the store (for metrics after a restart). One try:
   * this runs on an engine worker, which must not wait out a database hiccup for a metric.
   */
  private Optional<Instant> filedAt(String id) {
    try {
      return store().inTransaction(tx -> tx.request(id)).map(RequestRecord::createdAt);
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  @Override
  public Optional<io.micrometer.core.instrument.MeterRegistry> meterRegistry() {
    return parts.meterRegistry();
  }

  @Override
  public void deviceStateChanged(String device, String from, String to) {
    meters.deviceTransitioned(from, to);
    if (org.mozpool.DeviceStates.READY.equals(to)) {
      queue.deviceMayBeFree(device);
    }
    for (PoolListener l : listeners) {
      try {
        l.deviceStateChanged(device, from, to);
      } catch (RuntimeException e) {
        LOG.warn("pool listener failed", e);
      }
    }
  }

  // ---- views ----

  static DeviceView view(DeviceRecord d, Optional<Claim> claim) {
    return new DeviceView(d.spec(), d.machine().state(), d.machine().deadline(), d.image(),
        d.bootConfig(), d.nextImage(), d.nextBootConfig(), claim.map(Claim::requestId));
  }

  static RequestView view(StoreTransaction tx, RequestRecord r) {
    Optional<Claim> claim = tx.claimOfRequest(r.id());
    return new RequestView(r.id(), r.spec(), r.machine().state(), claim.map(Claim::device),
        claim.map(Claim::imagingResult), r.createdAt(), r.expiresAt(), r.devicesTried(),
        r.failureReason().isEmpty() ? Optional.empty() : Optional.of(r.failureReason()));
  }
}
