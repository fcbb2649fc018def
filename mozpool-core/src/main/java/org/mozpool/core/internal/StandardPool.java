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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool: files requests, runs their state machines, and is the {@link LifeguardContext} of its
 * Lifeguard. Unsupported: public only so that Mozpool's own modules can assemble it.
 */
public final class StandardPool implements Pool, LifeguardContext {
  private static final Logger LOG = LoggerFactory.getLogger(StandardPool.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int CLIENT_TRIES = 5;

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
  /** With other instances on the store (DESIGN §9): membership and outbox; else null. */
  private final Membership membership;
  private final Outbox outbox;

  public StandardPool(Parts parts) {
    this.parts = parts;
    this.meters = PoolMeters.of(parts.meterRegistry());
    RequestMachine machine = new RequestMachine(this, parts.policy());
    this.engine = new MachineEngine(MachineKind.REQUEST, parts.store(), parts.timekeeper(),
        machine.states(), machine.unknown(), "pool", this::requestTransitioned,
        PoolMeters.engineObserver(parts.meterRegistry(), MachineKind.REQUEST));
    this.queue = new RequestQueue(this);
    this.scheduling = new Scheduling(parts.chooser(), parts.queuePolicy(), queue::snapshot);
    if (parts.instancePolicy().isPresent()) {
      InstancePolicy instance = parts.instancePolicy().get();
      this.membership = new Membership(parts.store(), parts.serverId(), instance, new Handover());
      this.outbox = new Outbox(parts.store(), parts.serverId(), instance.eventPoll(),
          instance.deadAfter().multipliedBy(2).plus(parts.policy().contactTimeout()),
          this::takeEvent);
      engine.fence(membership);
      this.lifeguard = new RoutingLifeguard(parts.lifeguardFactory().create(this), parts.store(),
          parts.serverId(), () -> outbox);
    } else {
      this.membership = null;
      this.outbox = null;
      this.lifeguard = parts.lifeguardFactory().create(this);
    }
    this.inventory = new StandardInventory(this);
  }

  /**
   * What every step and hardware operation of this instance is checked against: with other
   * instances on the store, that this instance still drives the machine under its current epoch;
   * alone, nothing. Lifeguards built on Mozpool's engine set it on theirs.
   */
  public MachineEngine.Fence fence() {
    return membership == null ? MachineEngine.Fence.NONE : membership;
  }

  /**
   * Asks the instance that drives request {@code id} now to do {@code event} for a lease held
   * here, through the outbox, and waits for its answer (as long as a step here would be waited
   * for). Rethrows {@code notHere} when there is no such instance or no outbox.
   */
  void askDriver(String id, org.mozpool.NotDrivenHereException notHere, String event,
      Map<String, String> args) {
    String driver = notHere.driver();
    if (outbox == null || driver.isEmpty() || driver.equals(parts.serverId())) {
      throw notHere;
    }
    InstancePolicy instance = parts.instancePolicy().orElseThrow();
    boolean answering = transact(tx -> tx.instances()).stream()
        .anyMatch(i -> i.id().equals(driver) && i.live()
            && i.silence().compareTo(instance.deadAfter()) < 0);
    if (!answering) {
      throw notHere; // dead, not adopted yet: the caller retries (the REST API answers 503)
    }
    try {
      outbox.post(MachineKind.REQUEST, id, event, args).get(2, java.util.concurrent.TimeUnit.MINUTES);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      throw new org.mozpool.MozpoolException(event + " of request " + id + " failed", e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new org.mozpool.MozpoolException("request " + id + " is driven by instance " + driver
          + ", which did not take its " + event + " within 2 minutes", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new org.mozpool.MozpoolException("interrupted while asking instance " + driver
          + " to " + event + " request " + id, e);
    }
  }

  /** Whether other instances share the store (an instance policy was given). */
  boolean sharesStore() {
    return membership != null;
  }

  /** The Lifeguard of this instance itself (not the router in front of it, if any). */
  private Lifeguard localLifeguard() {
    return lifeguard instanceof RoutingLifeguard r ? r.local() : lifeguard;
  }

  /** Takes an event another instance posted for a machine this one drives. */
  private java.util.concurrent.CompletionStage<Void> takeEvent(org.mozpool.spi.MachineEvent e) {
    if (e.kind() == MachineKind.DEVICE) {
      return ((RoutingLifeguard) lifeguard).take(e);
    }
    if (RequestMachine.IMAGING_RESULT.equals(e.event())) {
      return engine.send(e.machine(), RequestMachine.IMAGING_RESULT, Map.copyOf(e.args()));
    }
    if (StandardLease.RENEW.equals(e.event()) || StandardLease.RETURN.equals(e.event())) {
      // A lease held through another instance: its renew or return, as a step here.
      try {
        RequestRecord r = transact(tx -> tx.request(e.machine()))
            .orElseThrow(() -> new org.mozpool.NoSuchRequestException(e.machine()));
        StandardLease lease = new StandardLease(this, r.id(), r.token());
        if (StandardLease.RENEW.equals(e.event())) {
          lease.renewHere(Duration.ofSeconds(Long.parseLong(e.args().get("seconds")),
              Long.parseLong(e.args().getOrDefault("nanos", "0"))));
        } else {
          lease.returnHere(new org.mozpool.ReturnOutcome(org.mozpool.ReturnOutcome.Kind.valueOf(
              e.args().get("kind")), e.args().getOrDefault("reason", "")));
        }
        return CompletableFuture.completedFuture(null);
      } catch (RuntimeException x) {
        return CompletableFuture.failedFuture(x);
      }
    }
    return CompletableFuture.failedFuture(new IllegalArgumentException(
        "unknown request event '" + e.event() + "' in the outbox"));
  }

  /** How machines change hands between this instance and the others. */
  private final class Handover implements Membership.Listener {
    @Override
    public void lapsed() {
      ((RoutingLifeguard) lifeguard).drivesNothing();
      engine.forgetAll();
      queue.clear();
    }

    @Override
    public void joined() {
      resumeRequests();
      ((RoutingLifeguard) lifeguard).drivenHere(
          transact(tx -> tx.drivenBy(MachineKind.DEVICE, parts.serverId())));
      localLifeguard().start();
    }

    @Override
    public void adoptedRequests(List<String> ids) {
      Set<String> adopted = Set.copyOf(ids);
      for (RequestRecord r : transact(tx -> ids.stream().map(tx::request)
          .flatMap(Optional::stream).toList())) {
        if (RequestStates.FINDING_DEVICE.equals(r.machine().state())) {
          queue.add(r);
        }
        engine.arm(r.id(), r.machine().deadline());
      }
      LOG.info("resumed {} adopted requests", adopted.size());
    }

    @Override
    public void adoptedDevices(List<String> names) {
      ((RoutingLifeguard) lifeguard).drivenHere(names);
      for (String d : names) {
        try {
          localLifeguard().deviceRegistered(d);
        } catch (RuntimeException e) {
          LOG.warn("could not resume adopted device {}", d, e);
        }
      }
    }

    @Override
    public void beat() {
      queue.offerFreeDevices();
    }
  }

  /** Resumes every machine from the store and starts serving. */
  public void start() {
    parts.store().start();
    if (membership != null) {
      membership.start(); // joins under a new epoch before any machine is driven
      ((RoutingLifeguard) lifeguard).drivenHere(
          transact(tx -> tx.drivenBy(MachineKind.DEVICE, parts.serverId())));
    }
    lifeguard.start();
    resumeRequests();
    if (outbox != null) {
      outbox.start();
    }
    meters.watchDevices(store());
    schedulePruning();
  }

  /** Re-arms and queues the requests this instance drives (DESIGN §9: the ones it filed). */
  private void resumeRequests() {
    Set<String> mine = membership == null ? null
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
    return membership == null ? LifeguardContext.super.devicesDriven(tx)
        : tx.drivenBy(MachineKind.DEVICE, parts.serverId());
  }

  /**
   * Runs a client's unit of work, retrying it a few times when the store fails transiently (a
   * dropped connection), so that a database hiccup is not every caller's problem.
   */
  <T> T transact(java.util.function.Function<StoreTransaction, T> work) {
    for (int attempt = 1; ; attempt++) {
      try {
        return store().inTransaction(work);
      } catch (org.mozpool.spi.TransientStoreException e) {
        if (attempt >= CLIENT_TRIES) {
          throw e;
        }
        LOG.info("store call retried ({}): {}", attempt, e.getMessage());
        meters.clientRetried();
        try {
          Thread.sleep(50L << attempt);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
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
    RequestRecord record = transact(tx -> {
      Optional<RequestRecord> earlier = tx.request(id);
      if (earlier.isPresent() && earlier.get().token().equals(token)) {
        return earlier.get(); // an earlier try committed although its answer was lost
      }
      validate(tx, spec);
      RequestRecord r = new RequestRecord(id, token, spec, parts.serverId(), now,
          now.plus(spec.leaseDuration()), List.of(), "", MachineRecord.initial(RequestStates.NEW, now));
      tx.insertRequest(r);
      tx.appendLog(MachineKind.REQUEST, id, new LogEntry(now, "api", "requested "
          + (spec.isAny() ? "any device" : "device " + spec.device()) + " with image "
          + spec.image() + " for " + spec.leaseDuration() + " by '" + spec.requester() + "'"));
      return r;
    });
    engine.arm(id, record.machine().deadline());
    meters.requestFiled(id, record.createdAt());
    return new StandardLease(this, id, token);
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
      if (outbox != null) {
        outbox.close();
      }
      if (membership != null) {
        membership.close();
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
    if (outbox != null && drivenElsewhere(requestId)) {
      outbox.post(MachineKind.REQUEST, requestId, RequestMachine.IMAGING_RESULT, Map.of("result",
          result.wireName(), RequestMachine.REASON, reason == null ? "" : reason))
          .exceptionally(e -> {
            LOG.warn("imaging result {} of {} for request {} not taken by its instance", result,
                device, requestId, e);
            return null;
          });
      return;
    }
    engine.send(requestId, RequestMachine.IMAGING_RESULT, Map.of("result", result.wireName(),
            RequestMachine.REASON, reason == null ? "" : reason))
        .exceptionally(e -> {
          LOG.warn("imaging result {} of {} for request {} not delivered", result, device, requestId, e);
          return null;
        });
  }

  private boolean drivenElsewhere(String requestId) {
    try {
      return transact(tx -> tx.driver(MachineKind.REQUEST, requestId))
          .map(d -> !d.instance().isEmpty() && !d.instance().equals(parts.serverId()))
          .orElse(false);
    } catch (RuntimeException e) {
      return false; // the local step will say what is wrong
    }
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
