package org.mozpool.core.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.mozpool.DeviceView;
import org.mozpool.LeaseException;
import org.mozpool.Lease;
import org.mozpool.MozpoolException;
import org.mozpool.NoSuchRequestException;
import org.mozpool.RequestFailedException;
import org.mozpool.RequestSpec;
import org.mozpool.RequestStates;
import org.mozpool.RequestView;
import org.mozpool.ReturnOutcome;
import org.mozpool.spi.Claim;
import org.mozpool.spi.RequestRecord;

/** A client's handle on one request; holds the proven lease token. */
final class StandardLease implements Lease {
  private static final Duration STEP_WAIT = Duration.ofSeconds(30);
  private static final Duration RECHECK = Duration.ofSeconds(5);
  private static final Duration LONGEST_LOOK = Duration.ofMinutes(5);
  private static final Duration LONGEST_WAIT = Duration.ofDays(365L * 1000);

  private final StandardPool pool;
  private final String id;
  private final String token;

  StandardLease(StandardPool pool, String id, String token) {
    this.pool = pool;
    this.id = id;
    this.token = token;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public String token() {
    return token;
  }

  @Override
  public RequestView view() {
    return pool.findRequest(id).orElseThrow(() -> new NoSuchRequestException(id));
  }

  @Override
  public DeviceView awaitReady(Duration timeout) {
    // Wait for the wake-up, but look at the stored state every few seconds too: a wake-up can be
    // lost when a commit's acknowledgement is (a dropped connection at COMMIT).
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("timeout must not be negative, got " + timeout);
    }
    // A request ends by its lease at the latest, so a longer wait is a wait for ever; the clamp
    // keeps now + timeout from overflowing.
    Instant giveUp = pool.timekeeper().now()
        .plus(timeout.compareTo(LONGEST_WAIT) > 0 ? LONGEST_WAIT : timeout);
    String state = null;
    while (state == null) {
      Duration left = Duration.between(pool.timekeeper().now(), giveUp);
      if (left.isNegative() || left.isZero()) {
        throw new org.mozpool.WaitTimedOutException("request " + id + " becoming ready", timeout);
      }
      try {
        state = pool.timekeeper().await(pool.settled(id), left.compareTo(RECHECK) < 0 ? left : RECHECK);
      } catch (org.mozpool.WaitTimedOutException slice) {
        String now = view().state();
        if (RequestStates.READY.equals(now) || RequestStates.isTerminal(now)) {
          state = now;
        }
      }
    }
    return outcome(state);
  }

  /** The device of a request that settled in {@code state}; thrown if it did not become ready. */
  private DeviceView outcome(String state) {
    RequestView v = view();
    if (RequestStates.READY.equals(state) && v.device().isPresent()) {
      return pool.inventory().device(v.device().get());
    }
    throw new RequestFailedException(id, v.state(), v.failureReason()
        .orElse(RequestStates.CLOSED.equals(v.state()) ? "closed before it was ready" : null));
  }

  @Override
  public CompletionStage<DeviceView> whenReady() {
    CompletableFuture<DeviceView> ready = pool.timekeeper().newStage();
    CompletableFuture<String> settled;
    try {
      settled = pool.settled(id);
    } catch (RuntimeException e) {
      ready.completeExceptionally(e); // e.g. the request has been pruned
      return ready;
    }
    // The outcome reads the store: do that on a worker, not on the thread that committed the step.
    settled.whenCompleteAsync((state, e) -> settle(ready, state, e), pool.timekeeper().workers());
    if (!settled.isDone()) {
      lookAgain(ready, RECHECK);
    }
    return ready;
  }

  private void settle(CompletableFuture<DeviceView> ready, String state, Throwable failure) {
    if (ready.isDone()) {
      return;
    }
    if (failure != null) {
      ready.completeExceptionally(failure);
      return;
    }
    try {
      ready.complete(outcome(state));
    } catch (RuntimeException e) {
      ready.completeExceptionally(e);
    }
  }

  /**
   * Looks at the stored state after {@code after}, and then less and less often, as awaitReady
   * does every few seconds: a wake-up can be lost when a commit's acknowledgement is. The growing
   * interval keeps a long wait on virtual time from filling the timekeeper with look-ups.
   */
  private void lookAgain(CompletableFuture<DeviceView> ready, Duration after) {
    try {
      pool.timekeeper().schedule(pool.timekeeper().now().plus(after), () -> {
        if (ready.isDone()) {
          return;
        }
        String now;
        try {
          now = view().state();
        } catch (NoSuchRequestException gone) {
          ready.completeExceptionally(gone); // pruned: it ended long ago
          return;
        } catch (RuntimeException e) {
          lookAgain(ready, after); // the store hiccuped: the wake-up or the next look will do
          return;
        }
        if (RequestStates.READY.equals(now) || RequestStates.isTerminal(now)) {
          settle(ready, now, null);
        } else {
          Duration longer = after.multipliedBy(2);
          lookAgain(ready, longer.compareTo(LONGEST_LOOK) < 0 ? longer : LONGEST_LOOK);
        }
      });
    } catch (RuntimeException closed) {
      // The timekeeper is closed: no more looks; the wake-up may still come.
    }
  }

  /** Events by which another instance's lease asks the request's driver to renew or return it. */
  static final String RENEW = "renew";
  static final String RETURN = "return";

  @Override
  public void renew(Duration duration) {
    RequestSpec.checkLeaseDuration(duration);
    try {
      renewHere(duration);
    } catch (org.mozpool.NotDrivenHereException elsewhere) {
      askDriver(elsewhere, RENEW, Map.of("seconds", Long.toString(duration.toSeconds()),
          "nanos", Integer.toString(duration.toNanosPart())));
    }
  }

  /**
   * Has the instance that drives the request now do {@code event} (several instances on one
   * store); rethrows {@code elsewhere} when this pool is alone on it.
   */
  private void askDriver(org.mozpool.NotDrivenHereException elsewhere, String event,
      Map<String, String> args) {
    if (pool.peers() == null) {
      throw elsewhere;
    }
    pool.peers().askDriver(id, elsewhere, event, args);
  }

  /** Renews by a step here (this instance drives the request). */
  void renewHere(Duration duration) {
    run(pool.requestEngine().submit(id, step -> {
      if (RequestStates.isTerminal(step.state())) {
        throw new LeaseException(id, "cannot renew: the request is " + step.state());
      }
      RequestRecord r = step.tx().request(id).orElseThrow();
      Instant expires = step.now().plus(duration);
      step.tx().updateRequest(id, expires, r.devicesTried(), r.failureReason());
      step.log("api", "lease renewed until " + expires);
      if (step.deadline() == null || step.deadline().isAfter(expires)
          || RequestStates.READY.equals(step.state())) {
        step.setDeadline(expires);
      }
    }));
  }

  @Override
  public void returnDevice(ReturnOutcome outcome) {
    Objects.requireNonNull(outcome, "outcome");
    try {
      returnHere(outcome);
    } catch (org.mozpool.NotDrivenHereException elsewhere) {
      askDriver(elsewhere, RETURN, Map.of("kind", outcome.kind().name(),
          "reason", outcome.reason()));
    }
  }

  /** Returns by a step here (this instance drives the request). */
  void returnHere(ReturnOutcome outcome) {
    run(pool.requestEngine().submit(id, step -> {
      if (RequestStates.isTerminal(step.state())) {
        throw new LeaseException(id, "cannot return: the request is already " + step.state());
      }
      if (!outcome.isBadDevice()) {
        step.log("api", "returned by the client in state " + step.state());
      } else {
        RequestRecord r = step.tx().request(id).orElseThrow();
        String who = r.spec().requester().isEmpty() ? "the client"
            : "'" + r.spec().requester() + "'";
        java.util.Optional<Claim> claim = step.tx().claimOfRequest(id);
        if (claim.isEmpty()) {
          step.log("api", "returned by " + who + " in state " + step.state() + " as a bad device ("
              + outcome.reason() + "), but it held no device");
        } else {
          String device = claim.get().device();
          step.log("api", "returned by " + who + " in state " + step.state() + ", reporting device "
              + device + " as bad: " + outcome.reason());
          step.setCounter(RequestMachine.HANDING_OVER, 1);
          step.afterCommit(() -> pool.deviceReturnedBad(device, id, outcome));
        }
      }
      step.goTo(RequestStates.CLOSED);
    }));
  }

  @Override
  public void close() {
    try {
      returnDevice();
    } catch (LeaseException alreadyClosed) {
      // close() is idempotent by contract
    }
  }

  private void run(CompletableFuture<Void> step) {
    try {
      pool.timekeeper().await(step, STEP_WAIT);
    } catch (CompletionException e) {
      if (e.getCause() instanceof MozpoolException m) {
        throw m;
      }
      throw e;
    }
  }

  @Override
  public String toString() {
    return "Lease[" + id + "]";
  }
}
