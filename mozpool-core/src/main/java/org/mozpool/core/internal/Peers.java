package org.mozpool.core.internal;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.mozpool.ImagingResult;
import org.mozpool.InstancePolicy;
import org.mozpool.MozpoolException;
import org.mozpool.NoSuchRequestException;
import org.mozpool.NotDrivenHereException;
import org.mozpool.RequestStates;
import org.mozpool.ReturnOutcome;
import org.mozpool.spi.Lifeguard;
import org.mozpool.spi.MachineEvent;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.RequestRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pool's dealings with the other instances sharing its store (DESIGN §9): its membership (epoch,
 * heartbeat, adoption, the fence), the outbox through which it sends and takes events for machines
 * driven elsewhere, the router in front of its Lifeguard, and what it does when machines change
 * hands. A pool alone on its store has none.
 */
final class Peers implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Peers.class);
  /** How long a lease held here waits for the request's driver to renew or return it. */
  private static final Duration ASK_DRIVER = Duration.ofMinutes(2);

  private final StandardPool pool;
  private final InstancePolicy policy;
  private final String me;
  private final Membership membership;
  private final Outbox outbox;
  private RoutingLifeguard lifeguard;

  Peers(StandardPool pool, InstancePolicy policy, Duration contactTimeout) {
    this.pool = pool;
    this.policy = policy;
    this.me = pool.serverId();
    this.membership = new Membership(pool.store(), me, policy, new Handover());
    this.outbox = new Outbox(pool.store(), me, policy.eventPoll(),
        policy.deadAfter().multipliedBy(2).plus(contactTimeout), this::take);
  }

  /** The router in front of {@code local}, the Lifeguard of this instance: the pool's Lifeguard. */
  RoutingLifeguard routing(Lifeguard local) {
    lifeguard = new RoutingLifeguard(local, pool.store(), me, () -> outbox);
    pool.requestEngine().fence(membership);
    return lifeguard;
  }

  MachineEngine.Fence fence() {
    return membership;
  }

  /** Joins under a new epoch and knows the devices driven here; before any machine is driven. */
  void join() {
    membership.start();
    lifeguard.drivenHere(pool.transact(tx -> tx.drivenBy(MachineKind.DEVICE, me)));
  }

  /** Starts taking events from the outbox (once the machines here are resumed). */
  void listen() {
    outbox.start();
  }

  /** The requests this instance drives. */
  Set<String> requestsDriven() {
    return pool.transact(tx -> tx.drivenBy(MachineKind.REQUEST, me));
  }

  /** Whether another instance drives request {@code requestId} (false if unknown or unreadable). */
  boolean drivenElsewhere(String requestId) {
    try {
      return pool.transact(tx -> tx.driver(MachineKind.REQUEST, requestId))
          .map(d -> !d.instance().isEmpty() && !d.instance().equals(me))
          .orElse(false);
    } catch (RuntimeException e) {
      return false; // the local step will say what is wrong
    }
  }

  /** Tells the instance driving {@code requestId} of Lifeguard's result for it. */
  void postImagingResult(String requestId, String device, ImagingResult result, String reason) {
    outbox.post(MachineKind.REQUEST, requestId, RequestMachine.IMAGING_RESULT, Map.of("result",
        result.wireName(), RequestMachine.REASON, reason == null ? "" : reason))
        .exceptionally(e -> {
          LOG.warn("imaging result {} of {} for request {} not taken by its instance", result,
              device, requestId, e);
          return null;
        });
  }

  /**
   * Asks the instance that drives request {@code id} now to do {@code event} for a lease held
   * here, through the outbox, and waits for its answer. Rethrows {@code notHere} when no live
   * instance drives it (the caller retries; the REST API answers 503).
   */
  void askDriver(String id, NotDrivenHereException notHere, String event,
      Map<String, String> args) {
    String driver = notHere.driver();
    if (driver.isEmpty() || driver.equals(me)) {
      throw notHere;
    }
    boolean answering = pool.transact(tx -> tx.instances()).stream()
        .anyMatch(i -> i.id().equals(driver) && i.live()
            && i.silence().compareTo(policy.deadAfter()) < 0);
    if (!answering) {
      throw notHere;
    }
    try {
      outbox.post(MachineKind.REQUEST, id, event, args)
          .get(ASK_DRIVER.toSeconds(), TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      throw new MozpoolException(event + " of request " + id + " failed", e.getCause());
    } catch (TimeoutException e) {
      throw new MozpoolException("request " + id + " is driven by instance " + driver
          + ", which did not take its " + event + " within " + ASK_DRIVER, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MozpoolException("interrupted while asking instance " + driver + " to " + event
          + " request " + id, e);
    }
  }

  /** Takes an event another instance posted for a machine this one drives. */
  private CompletionStage<Void> take(MachineEvent e) {
    if (e.kind() == MachineKind.DEVICE) {
      return lifeguard.take(e);
    }
    if (RequestMachine.IMAGING_RESULT.equals(e.event())) {
      return pool.requestEngine().send(e.machine(), RequestMachine.IMAGING_RESULT,
          Map.copyOf(e.args()));
    }
    if (StandardLease.RENEW.equals(e.event()) || StandardLease.RETURN.equals(e.event())) {
      // A lease held through another instance: its renew or return, as a step here.
      try {
        RequestRecord r = pool.transact(tx -> tx.request(e.machine()))
            .orElseThrow(() -> new NoSuchRequestException(e.machine()));
        StandardLease lease = new StandardLease(pool, r.id(), r.token());
        if (StandardLease.RENEW.equals(e.event())) {
          lease.renewHere(Duration.ofSeconds(Long.parseLong(e.args().get("seconds")),
              Long.parseLong(e.args().getOrDefault("nanos", "0"))));
        } else {
          lease.returnHere(new ReturnOutcome(ReturnOutcome.Kind.valueOf(e.args().get("kind")),
              e.args().getOrDefault("reason", "")));
        }
        return CompletableFuture.completedFuture(null);
      } catch (RuntimeException x) {
        return CompletableFuture.failedFuture(x);
      }
    }
    return CompletableFuture.failedFuture(new IllegalArgumentException(
        "unknown request event '" + e.event() + "' in the outbox"));
  }

  /** Stops the heartbeat and the outbox. Idempotent. */
  @Override
  public void close() {
    outbox.close();
    membership.close();
  }

  /** How machines change hands between this instance and the others. */
  private final class Handover implements Membership.Listener {
    @Override
    public void lapsed() {
      lifeguard.drivesNothing();
      pool.requestEngine().forgetAll();
      pool.queue().clear();
    }

    @Override
    public void joined() {
      pool.resumeRequests();
      lifeguard.drivenHere(pool.transact(tx -> tx.drivenBy(MachineKind.DEVICE, me)));
      lifeguard.local().start();
    }

    @Override
    public void adoptedRequests(List<String> ids) {
      for (RequestRecord r : pool.transact(tx -> ids.stream().map(tx::request)
          .flatMap(Optional::stream).toList())) {
        if (RequestStates.FINDING_DEVICE.equals(r.machine().state())) {
          pool.queue().add(r);
        }
        pool.requestEngine().arm(r.id(), r.machine().deadline());
      }
      LOG.info("resumed {} adopted requests", ids.size());
    }

    @Override
    public void adoptedDevices(List<String> names) {
      lifeguard.drivenHere(names);
      for (String d : names) {
        try {
          lifeguard.local().deviceRegistered(d);
        } catch (RuntimeException e) {
          LOG.warn("could not resume adopted device {}", d, e);
        }
      }
    }

    @Override
    public void beat() {
      pool.queue().offerFreeDevices();
    }
  }
}
