package org.mozpool.core.internal;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.mozpool.InstancePolicy;
import org.mozpool.NotDrivenHereException;
import org.mozpool.spi.InstanceRecord;
import org.mozpool.spi.MachineDriver;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.PoolStore;
import org.mozpool.spi.StoreTransaction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This instance's place among the instances sharing the store (DESIGN §9): it joins under a new
 * epoch, renews its heartbeat, declares silent instances dead (on the database's clock), adopts
 * their requests, and their devices when it stands by for their lab network; and it is the fence
 * that every step and hardware operation of this instance is checked against.
 *
 * <p>Heartbeats run on a thread of their own in real time, whatever the pool's timekeeper: the
 * liveness of processes is a matter of the wall, not of simulated hours.
 */
final class Membership implements MachineEngine.Fence, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Membership.class);

  /** What the pool does when machines change hands. */
  interface Listener {
    /** The instance lapsed (declared dead while it was silent): stop driving everything. */
    void lapsed();

    /** The instance joined (again) under a new epoch: drive what it drives now. */
    void joined();

    /** Requests of a dead instance are now driven here. */
    void adoptedRequests(List<String> ids);

    /** Devices of a dead instance are now driven here. */
    void adoptedDevices(List<String> names);

    /** After each heartbeat: devices freed on other instances are not heard of otherwise. */
    void beat();
  }

  private final PoolStore store;
  private final String me;
  private final InstancePolicy policy;
  private final Listener listener;
  private final ScheduledExecutorService beat;
  /**
   * Declaring others dead and adopting their work, apart from the heartbeat: an adoption may wait
   * on row locks that a paused instance holds, and this instance's own heartbeat must not wait
   * with it (it would fall silent and be declared dead in turn).
   */
  private final ScheduledExecutorService watch;
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile long epoch;
  /** System.nanoTime() until which hardware may be touched; 0 = not at all. */
  private volatile long actUntilNanos;

  Membership(PoolStore store, String me, InstancePolicy policy, Listener listener) {
    if (!store.shareable()) {
      throw new IllegalStateException("an instance policy needs a store that several instances"
          + " can share (a SQL store such as mozpool-jdbc's); " + store.getClass().getSimpleName()
          + " cannot be shared");
    }
    this.store = store;
    this.me = Objects.requireNonNull(me, "me");
    this.policy = Objects.requireNonNull(policy, "policy");
    this.listener = listener;
    this.beat = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "mozpool-heartbeat-" + me);
      t.setDaemon(true);
      return t;
    });
    this.watch = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "mozpool-instances-" + me);
      t.setDaemon(true);
      return t;
    });
  }

  /** Joins under a new epoch (before any machine is driven) and starts the heartbeat. */
  void start() {
    join();
    long every = policy.heartbeat().toMillis();
    beat.scheduleWithFixedDelay(this::beatOnce, every, every, TimeUnit.MILLISECONDS);
    watch.scheduleWithFixedDelay(this::watchOnce, every, every, TimeUnit.MILLISECONDS);
  }

  private void join() {
    long started = System.nanoTime();
    // Retried on a transient failure: the first transaction of a process runs cold code, and on
    // a busy machine the server may end it as idle (idle_in_transaction_session_timeout) or drop
    // its connection; a start-up should not fail for that. A join whose commit answer was lost
    // and is then joined again leaves only an older epoch behind.
    epoch = Retries.inTransaction(store, tx -> tx.joinInstance(me, policy.labNetwork(),
        policy.standbyFor(), policy.url()), e -> LOG.warn("instance {} joins again: {}", me,
            e.getMessage()));
    actUntilNanos = started + policy.actingWindow().toNanos();
    LOG.info("instance {} joined (epoch {}, lab network {}, standby for {})", me, epoch,
        policy.labNetwork(), policy.standbyFor());
  }

  /** The epoch this instance works under now. */
  long epoch() {
    return epoch;
  }

  String instanceId() {
    return me;
  }

  InstancePolicy policy() {
    return policy;
  }

  /** One heartbeat; never throws. */
  void beatOnce() {
    if (closed.get()) {
      return;
    }
    try {
      long started = System.nanoTime();
      long at = epoch;
      boolean live = store.inTransaction(tx -> tx.heartbeat(me, at));
      if (live) {
        actUntilNanos = started + policy.actingWindow().toNanos();
      } else {
        lapse();
      }
    } catch (RuntimeException e) {
      // The database is unreachable: the acting window runs out on its own if this lasts.
      LOG.warn("heartbeat of instance {} failed: {}", me, e.getMessage());
    }
  }

  /** One look at the others (declare the silent dead, adopt), then the pool's beat; never throws. */
  void watchOnce() {
    if (closed.get() || !mayAct()) {
      return; // a lapsing instance adopts nothing
    }
    try {
      lookAtOthers();
      listener.beat();
    } catch (RuntimeException e) {
      LOG.warn("instance {} could not look at the other instances: {}", me, e.getMessage());
    }
  }

  private void lapse() {
    actUntilNanos = 0;
    LOG.warn("instance {} was declared dead while silent (epoch {} is over): it stops driving"
        + " everything and joins again", me, epoch);
    try {
      listener.lapsed();
    } catch (RuntimeException e) {
      LOG.warn("stopping after a lapse failed", e);
    }
    join();
    listener.joined();
  }

  private void lookAtOthers() {
    List<InstanceRecord> all = store.inTransaction(StoreTransaction::instances);
    for (InstanceRecord other : all) {
      if (other.id().equals(me)) {
        continue;
      }
      boolean live = other.live();
      if (live && other.silence().compareTo(policy.deadAfter()) >= 0) {
        boolean declared = store.inTransaction(
            tx -> tx.declareDead(other.id(), other.epoch(), policy.deadAfter()));
        if (declared) {
          LOG.warn("instance {} declared instance {} dead: silent for {} on the database clock",
              me, other.id(), other.silence());
          live = false;
        }
      }
      if (!live) {
        adoptFrom(other);
      }
    }
  }

  private void adoptFrom(InstanceRecord dead) {
    List<String> requests = store.inTransaction(tx -> tx.adopt(MachineKind.REQUEST, dead.id(), me));
    if (!requests.isEmpty()) {
      LOG.warn("instance {} adopted {} requests of dead instance {}", me, requests.size(),
          dead.id());
      listener.adoptedRequests(requests);
    }
    // Instances of one lab network stand by for each other; others only where configured.
    if (policy.labNetwork().equals(dead.labNetwork())
        || policy.standbyFor().contains(dead.labNetwork())) {
      List<String> devices = store.inTransaction(tx -> tx.adopt(MachineKind.DEVICE, dead.id(), me));
      if (!devices.isEmpty()) {
        LOG.warn("instance {} adopted {} devices of dead instance {} (standby for lab network {})",
            me, devices.size(), dead.id(), dead.labNetwork());
        listener.adoptedDevices(devices);
      }
    }
  }

  // ---- Fence ----

  @Override
  public boolean active() {
    return true;
  }

  @Override
  public void check(StoreTransaction tx, MachineKind kind, String id) {
    MachineDriver d = tx.driver(kind, id).orElse(null);
    if (d == null) {
      return; // unknown: the step reports that itself
    }
    if (!d.instance().equals(me) || d.epoch() != epoch || !d.live()) {
      throw new NotDrivenHereException(id, d.instance(),
          me + (d.instance().equals(me) ? " under epoch " + epoch : ""));
    }
  }

  @Override
  public boolean mayAct() {
    return System.nanoTime() - actUntilNanos < 0;
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      actUntilNanos = 0;
      // The beat in hand may finish its commit first (see BackgroundWork).
      BackgroundWork.stopWithoutInterrupt(beat, watch);
    }
  }
}
