package org.mozpool;

/** Thrown when a request id is not known to the pool. */
public class NoSuchRequestException extends MozpoolException {
  private static final long serialVersionUID = 1L;
  private final String requestId;

  public NoSuchRequestException(String requestId) {
    super("no request with id '" + requestId + "'");
    this.requestId = requestId;
  }

  /** The id that was looked up. */
  public String requestId() {
    return requestId;
  }
}
