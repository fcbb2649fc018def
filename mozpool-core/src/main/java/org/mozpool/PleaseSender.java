package org.mozpool;

import java.util.Objects;

/**
 * Who sends a please-event (DESIGN §5.2), which decides what happens when a request holds the
 * device. A device a request holds is that request's until its lease ends: the pool sends
 * please-events for it on the request's behalf ({@link #claimHolder}); anyone else — an operator,
 * a tool — is refused with a {@link ConflictException} naming the device and the request, unless
 * they explicitly {@linkplain #endingLease end that lease}. So a lease never stays {@code ready}
 * on a device that is being re-imaged or self-tested for someone else.
 *
 * <pre>{@code
 * lifeguard.pleaseSelfTest("panda-7", PleaseSender.operator("alice"));          // refused if leased
 * lifeguard.pleaseSelfTest("panda-7",
 *     PleaseSender.operator("alice").endingLease("screen flickers, suspect the board"));
 * }</pre>
 *
 * <p>Immutable and thread safe. Use the factories; the canonical constructor validates the same
 * rules.
 *
 * @param name who sends it, for the audit trail (an operator's name, or {@code request <id>})
 * @param holdingRequest the request that holds the device's claim and on whose behalf the event is
 *     sent; empty for everyone else
 * @param leaseEndReason non-empty when the sender ends the lease of whichever request holds the
 *     device (that request ends {@code failed_bad_device} with this reason and the sender's name)
 */
public record PleaseSender(String name, String holdingRequest, String leaseEndReason) {

  /** An operator with no name given: what the please-event methods without a sender use. */
  public static final PleaseSender UNNAMED_OPERATOR = new PleaseSender("an operator", "", "");

  /**
   * @throws IllegalArgumentException if {@code name} is blank, or the sender both holds the claim
   *     and ends the lease
   */
  public PleaseSender {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("a please-event sender needs a name for the audit trail,"
          + " got '" + name + "'");
    }
    holdingRequest = Objects.requireNonNullElse(holdingRequest, "").strip();
    leaseEndReason = Objects.requireNonNullElse(leaseEndReason, "").strip();
    if (!holdingRequest.isEmpty() && !leaseEndReason.isEmpty()) {
      throw new IllegalArgumentException("the request holding a device cannot end its own lease"
          + " with a please-event; return the lease instead");
    }
  }

  /**
   * An operator (or a tool) called {@code name}: refused on a device a request holds.
   *
   * @throws IllegalArgumentException if {@code name} is blank
   */
  public static PleaseSender operator(String name) {
    return new PleaseSender(name, "", "");
  }

  /**
   * The pool, on behalf of request {@code requestId}, which holds the device's claim.
   *
   * @throws IllegalArgumentException if {@code requestId} is blank
   */
  public static PleaseSender claimHolder(String requestId) {
    if (requestId == null || requestId.isBlank()) {
      throw new IllegalArgumentException("claim holder needs a request id, got '" + requestId + "'");
    }
    return new PleaseSender("request " + requestId, requestId, "");
  }

  /**
   * This sender, taking the device even from a live lease: the holding request ends
   * {@code failed_bad_device} with {@code reason}, in the same step that the device accepts the
   * event. A device no request holds is unaffected.
   *
   * @throws IllegalArgumentException if {@code reason} is blank, or this sender holds the claim
   */
  public PleaseSender endingLease(String reason) {
    if (reason == null || reason.isBlank()) {
      throw new IllegalArgumentException("ending a lease needs a reason for its holder, got '"
          + reason + "'");
    }
    return new PleaseSender(name, holdingRequest, reason);
  }

  /** Whether this sender holds the claim of {@code requestId}. */
  public boolean holds(String requestId) {
    return holdingRequest.equals(requestId);
  }

  /** Whether this sender ends the lease of a request holding the device. */
  public boolean endsLease() {
    return !leaseEndReason.isEmpty();
  }
}
