package org.mozpool;

/**
 * Thrown by {@link Pool#request(RequestSpec)} when a request can never be satisfied as asked:
 * an unknown hardware type or environment, missing boot-config keys, a hidden utility image.
 * Nothing is created when it is thrown.
 */
public class InvalidRequestException extends MozpoolException {
  private static final long serialVersionUID = 1L;

  public InvalidRequestException(String message) {
    super(message);
  }
}
