package org.mozpool;

import java.util.Objects;

/**
 * What a client says about a device when it {@linkplain Lease#returnDevice(ReturnOutcome) returns
 * it}: that it worked, or that the board misbehaved. A CI harness that saw a broken board returns
 * it with {@code ReturnOutcome.badDevice("adb lost the board twice")}; Lifeguard then records a
 * failure in the device's failure history (it counts towards quarantine, DESIGN §5.6) and
 * self-tests the device before any request is handed it again. The device log names the
 * requester and the reason.
 *
 * <p>Immutable and thread safe.
 *
 * @param kind whether the device worked
 * @param reason what the client saw; empty for {@link Kind#GOOD}, never blank otherwise
 */
public record ReturnOutcome(Kind kind, String reason) {

  /** Whether the device worked for the client. */
  public enum Kind {
    /** It worked (or the client has nothing to say): the release policy applies as usual. */
    GOOD,
    /** The board misbehaved: record a failure and self-test it before it serves again. */
    BAD_DEVICE
  }

  private static final ReturnOutcome GOOD = new ReturnOutcome(Kind.GOOD, "");

  /**
   * @throws NullPointerException if {@code kind} is null
   * @throws IllegalArgumentException if a {@link Kind#BAD_DEVICE} outcome has a blank reason, or a
   *     {@link Kind#GOOD} one has any
   */
  public ReturnOutcome {
    Objects.requireNonNull(kind, "kind");
    reason = reason == null ? "" : reason.strip();
    if (kind == Kind.BAD_DEVICE && reason.isEmpty()) {
      throw new IllegalArgumentException("a bad-device return needs a reason saying what the"
          + " board did wrong, got '" + reason + "'");
    }
    if (kind == Kind.GOOD && !reason.isEmpty()) {
      throw new IllegalArgumentException("a good return takes no reason, got '" + reason + "'");
    }
  }

  /** The device worked. */
  public static ReturnOutcome good() {
    return GOOD;
  }

  /**
   * The board misbehaved, for {@code reason} (e.g. "adb lost the board twice").
   *
   * @throws IllegalArgumentException if {@code reason} is null or blank
   */
  public static ReturnOutcome badDevice(String reason) {
    return new ReturnOutcome(Kind.BAD_DEVICE, reason);
  }

  /** Whether the client reported the device as bad. */
  public boolean isBadDevice() {
    return kind == Kind.BAD_DEVICE;
  }

  @Override
  public String toString() {
    return isBadDevice() ? "bad device: " + reason : "good";
  }
}
