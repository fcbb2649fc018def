package org.mozpool;

/**
 * Thrown by {@link Lease#awaitReady(java.time.Duration)} (and the failure of {@link
 * Lease#whenReady()}) when the request ended in a failure
 * state ({@code failed_device_not_found}, {@code failed_device_busy}, {@code failed_bad_device},
 * {@code failed_bad_image}) or was closed before it became ready.
 */
public class RequestFailedException extends MozpoolException {
  private static final long serialVersionUID = 1L;
  private final String requestId;
  private final String state;
  private final String reason;

  public RequestFailedException(String requestId, String state, String reason) {
    super("request " + requestId + " ended in " + state + (reason == null ? "" : ": " + reason));
    this.requestId = requestId;
    this.state = state;
    this.reason = reason;
  }

  /** The request that failed. */
  public String requestId() {
    return requestId;
  }

  /** The terminal state, one of {@link RequestStates}. */
  public String state() {
    return state;
  }

  /** Why, in words; may be {@code null}. */
  public String reason() {
    return reason;
  }
}
