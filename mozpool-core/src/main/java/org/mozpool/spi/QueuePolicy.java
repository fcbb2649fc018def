package org.mozpool.spi;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.mozpool.DeviceView;

/**
 * Decides who may have which device, and who is offered a freed device first. Stock policies and
 * their composition are in {@link org.mozpool.core.QueuePolicies}: priority then age (the default),
 * fair share between requesters, quotas per environment, and reservations of named devices for a
 * time window.
 *
 * <p>Two decisions, made at two moments:
 * <ul>
 *   <li>{@link #admits}: whether a request may be given a device <em>now</em>. Asked for every
 *       free candidate each time a request looks for a device (when filed, when a device frees,
 *       on each queue re-check): a device not admitted is not a candidate, and the
 *       {@link DeviceChooser} never sees it. A request with no admitted candidate keeps waiting.
 *   <li>{@link #order}: when a device becomes free, the order in which the waiting requests that
 *       could use it are offered it, one at a time, until one claims it. A request left out of the
 *       order is not offered this device now (it still looks on its own re-checks).
 * </ul>
 *
 * <p>A request that finds an admitted free device when it is filed, or on its re-check, takes it:
 * the order decides between requests competing for a freed device, not whether a free device may
 * sit idle. Decisions that change with time alone (a reservation's window ending) take effect when
 * the policy says they change ({@link #nextChange}): waiting requests look again then, instead of
 * at their next {@linkplain org.mozpool.PoolPolicy#queueRecheck() re-check}.
 *
 * <p>Contract: thread safe, quick, no I/O besides {@link QueueView#holdings()}. If
 * {@code admits} throws, the device is not admitted (and the request's log says why); if
 * {@code order} throws, the default order is used; both are logged as warnings. Concurrent claims
 * on different pool instances (or threads of a SQL store) each see the holdings of their own
 * transaction, so a quota can be overshot by claims racing at the same moment.
 */
public interface QueuePolicy {

  /**
   * The order in which {@code waiting} (the waiting requests that could use {@code device}, in
   * priority-then-age order; unmodifiable) are offered it. Must return a subset of
   * {@code waiting}; others are ignored. The default keeps the given order.
   */
  default List<WaitingRequest> order(List<WaitingRequest> waiting, DeviceView device,
      QueueView queue) {
    return waiting;
  }

  /** Whether {@code request} may be given {@code device} now. The default admits everything. */
  default boolean admits(WaitingRequest request, DeviceView device, QueueView queue) {
    return true;
  }

  /**
   * The first instant after {@code now} at which {@link #admits} or {@link #order} may answer
   * differently by the passing of time alone (e.g. a reservation's window starts or ends); waiting
   * requests look for a device again then. The default: never.
   */
  default Optional<Instant> nextChange(Instant now) {
    return Optional.empty();
  }

  /**
   * This policy and then {@code next}: a device is admitted only if both admit it; the offering
   * order is this policy's order, then re-ordered by {@code next} (so {@code next}'s order
   * dominates where the two disagree, and requests either one leaves out are left out).
   */
  default QueuePolicy and(QueuePolicy next) {
    Objects.requireNonNull(next, "next");
    QueuePolicy first = this;
    return new QueuePolicy() {
      @Override
      public List<WaitingRequest> order(List<WaitingRequest> waiting, DeviceView device,
          QueueView queue) {
        List<WaitingRequest> once = first.order(waiting, device, queue);
        return next.order(List.copyOf(once), device, queue);
      }

      @Override
      public boolean admits(WaitingRequest request, DeviceView device, QueueView queue) {
        return first.admits(request, device, queue) && next.admits(request, device, queue);
      }

      @Override
      public Optional<Instant> nextChange(Instant now) {
        Optional<Instant> a = first.nextChange(now);
        Optional<Instant> b = next.nextChange(now);
        if (a.isPresent() && b.isPresent()) {
          return a.get().isBefore(b.get()) ? a : b;
        }
        return a.isPresent() ? a : b;
      }

      @Override
      public String toString() {
        return first + " and " + next;
      }
    };
  }
}
