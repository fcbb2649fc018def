package org.mozpool;

/**
 * Root of every exception Mozpool throws for a domain reason (as opposed to a programming error,
 * which is reported with the JDK's {@link IllegalArgumentException} or {@link IllegalStateException}).
 *
 * <p>Unchecked: callers catch the specific subclass they can act on.
 */
public class MozpoolException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public MozpoolException(String message) {
    super(message);
  }

  public MozpoolException(String message, Throwable cause) {
    super(message, cause);
  }
}
