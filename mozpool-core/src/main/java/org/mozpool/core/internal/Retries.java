package org.mozpool.core.internal;

import java.util.function.Consumer;
import java.util.function.Function;
import org.mozpool.spi.PoolStore;
import org.mozpool.spi.StoreTransaction;
import org.mozpool.spi.TransientStoreException;

/**
 * Runs a unit of work in a store transaction, again after a short pause when the store fails
 * transiently (a dropped connection, a transaction the server ended), a few times before giving
 * up: for the calls a database hiccup should not fail outright.
 */
final class Retries {
  /** Attempts in all; the pauses between them (100, 200, 400, 800 ms) add up to 1.5 s. */
  static final int TRIES = 5;

  private Retries() {}

  /**
   * {@code work} in a transaction of {@code store}, tried up to {@link #TRIES} times while it
   * fails with a {@link TransientStoreException}; {@code retried} is told of each retry.
   */
  static <T> T inTransaction(PoolStore store, Function<StoreTransaction, T> work,
      Consumer<TransientStoreException> retried) {
    for (int attempt = 1; ; attempt++) {
      try {
        return store.inTransaction(work);
      } catch (TransientStoreException e) {
        if (attempt >= TRIES) {
          throw e;
        }
        retried.accept(e);
        try {
          Thread.sleep(50L << attempt);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }
}
