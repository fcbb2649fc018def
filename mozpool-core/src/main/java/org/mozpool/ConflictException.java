package org.mozpool;

/**
 * Thrown when an operation's precondition on current state does not hold: a conditional state
 * change whose {@code from} state is not the current one, a device name that is already
 * registered, a claim on a device already claimed.
 */
public class ConflictException extends MozpoolException {
  private static final long serialVersionUID = 1L;

  public ConflictException(String message) {
    super(message);
  }
}
