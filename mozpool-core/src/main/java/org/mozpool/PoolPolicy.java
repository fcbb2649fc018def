package org.mozpool;

import java.time.Duration;

/**
 * Timeouts and retry limits of the request state machine (DESIGN §6). The defaults are the
 * documented values; deployments and simulations may compress them.
 *
 * @param contactTimeout how long {@code contacting_lifeguard} waits for Lifeguard to accept (30 s)
 * @param contactTries unanswered or failed attempts to reach Lifeguard before the device is given
 *     up (5). A definite refusal is not retried: the claim is released at once and the request
 *     searches again
 * @param pendingPoll how often {@code pending} re-reads the imaging result, and checks that the
 *     device is still busy with this request's work (60 s)
 * @param pendingPolls polls without a result before an {@code any} request gives its device up
 *     (20, i.e. 20 minutes) — a floor: the request waits at least as long as Lifeguard's own
 *     {@linkplain org.mozpool.spi.Lifeguard#workflowBudget worst-case budget} for the workflow it
 *     asked for, so it never gives up a device Lifeguard is still legitimately retrying. With the
 *     standard Lifeguard's default policy that budget is far longer (hours: every retry of every
 *     state, e.g. 200 power-cycle retries); in practice an {@code any} request then waits for
 *     Lifeguard's result or its lease's end. A named request has no poll limit at all. Either
 *     gives up at once when a poll finds the device idle or parked with no result
 * @param queueRecheck how often a waiting request re-checks on its own, beside being woken the
 *     moment a device frees (a safety net for devices freed by another instance) (60 s)
 * @param badImageDevices devices a request tries before concluding the image is bad (2)
 * @param logRetention how long log lines are kept (14 days)
 *
 * <p>Every duration must be positive and at most {@link #MAX_DURATION}; every limit at least 1.
 */
public record PoolPolicy(
    Duration contactTimeout, int contactTries, Duration pendingPoll, int pendingPolls,
    Duration queueRecheck, int badImageDevices, Duration logRetention) {

  /**
   * The longest duration a policy accepts: 3650 days. Timeouts are added to the current time, and
   * the resulting deadlines must stay instants that every store holds exactly.
   */
  public static final Duration MAX_DURATION = Duration.ofDays(3650);

  /**
   * Validates every field.
   *
   * @throws NullPointerException if a duration is null, naming it
   * @throws IllegalArgumentException if a value is out of range, saying what was expected
   */
  public PoolPolicy {
    Durations.requirePositiveAtMost(contactTimeout, "contact timeout", MAX_DURATION);
    Durations.requirePositiveAtMost(pendingPoll, "pending poll", MAX_DURATION);
    Durations.requirePositiveAtMost(queueRecheck, "queue recheck", MAX_DURATION);
    Durations.requirePositiveAtMost(logRetention, "log retention", MAX_DURATION);
    if (contactTries < 1 || pendingPolls < 1 || badImageDevices < 1) {
      throw new IllegalArgumentException("retry limits must be at least 1, got contactTries="
          + contactTries + ", pendingPolls=" + pendingPolls + ", badImageDevices=" + badImageDevices);
    }
  }

  /** The documented defaults. */
  public static PoolPolicy defaults() {
    return new PoolPolicy(Duration.ofSeconds(30), 5, Duration.ofSeconds(60), 20,
        Duration.ofSeconds(60), 2, Duration.ofDays(14));
  }

  /**
   * A copy in which the timeouts ({@link #contactTimeout()}, {@link #pendingPoll()},
   * {@link #queueRecheck()}) are divided by {@code factor} (rounded to the millisecond, at least
   * 1 ms), for simulations and demos whose boards are compressed by the same factor. Retry limits
   * and the log retention are unchanged.
   *
   * @throws IllegalArgumentException if {@code factor} is not a finite number of at least 1
   */
  public PoolPolicy compressed(double factor) {
    if (!(factor >= 1) || Double.isInfinite(factor)) {
      throw new IllegalArgumentException("compression factor must be a finite number of at least"
          + " 1, got " + factor);
    }
    return new PoolPolicy(divide(contactTimeout, factor), contactTries,
        divide(pendingPoll, factor), pendingPolls, divide(queueRecheck, factor), badImageDevices,
        logRetention);
  }

  private static Duration divide(Duration d, double factor) {
    return Duration.ofMillis(Math.max(1, Math.round(d.toMillis() / factor)));
  }

  /** A copy with another {@link #queueRecheck()}. */
  public PoolPolicy withQueueRecheck(Duration d) {
    return new PoolPolicy(contactTimeout, contactTries, pendingPoll, pendingPolls, d,
        badImageDevices, logRetention);
  }

  /** A copy with another {@link #pendingPoll()} and {@link #pendingPolls()}. */
  public PoolPolicy withPending(Duration poll, int polls) {
    return new PoolPolicy(contactTimeout, contactTries, poll, polls, queueRecheck,
        badImageDevices, logRetention);
  }

  /** A copy with another {@link #contactTimeout()} and {@link #contactTries()}. */
  public PoolPolicy withContact(Duration timeout, int tries) {
    return new PoolPolicy(timeout, tries, pendingPoll, pendingPolls, queueRecheck,
        badImageDevices, logRetention);
  }
}
