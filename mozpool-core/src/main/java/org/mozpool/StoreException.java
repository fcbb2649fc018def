package org.mozpool;

/**
 * Thrown when the persistence backend fails: unreachable, rejected credentials, a broken
 * connection that could not be re-established within the retry budget.
 */
public class StoreException extends MozpoolException {
  private static final long serialVersionUID = 1L;

  public StoreException(String message) {
    super(message);
  }

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
