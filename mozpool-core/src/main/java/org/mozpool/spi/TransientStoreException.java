package org.mozpool.spi;

import org.mozpool.StoreException;

/**
 * A store failure that may pass (a dropped connection, a deadlock victim, a serialisation
 * failure). The transaction was rolled back; the engine retries the whole step on a fresh
 * connection.
 */
public class TransientStoreException extends StoreException {
  private static final long serialVersionUID = 1L;

  public TransientStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
