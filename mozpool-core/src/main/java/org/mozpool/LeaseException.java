package org.mozpool;

/**
 * Thrown when a lease operation is not allowed: the token does not match the request's lease
 * token, or the lease is already closed (returned, expired or failed).
 */
public class LeaseException extends MozpoolException {
  private static final long serialVersionUID = 1L;
  private final String requestId;

  public LeaseException(String requestId, String message) {
    super("request " + requestId + ": " + message);
    this.requestId = requestId;
  }

  /** The request whose lease was misused. */
  public String requestId() {
    return requestId;
  }
}
