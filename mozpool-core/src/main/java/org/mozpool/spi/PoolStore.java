package org.mozpool.spi;

import java.util.function.Function;

/**
 * Persistence for everything a pool knows: inventory, device and request machines, claims,
 * logs and failure history. Core ships an in-memory store; {@code mozpool-jdbc} stores in H2,
 * PostgreSQL or MariaDB.
 *
 * <p>Contract: thread safe. {@link #inTransaction} runs {@code work} atomically: every write it
 * makes commits together when it returns, and none survives when it throws (the exception is
 * rethrown). Transactions of different callers are isolated so that a claim or a machine update
 * that conflicts with a concurrent one fails ({@link StaleStateException}, or {@code false} from
 * {@link StoreTransaction#claim}) rather than overwriting it. A failure that may pass is thrown as
 * {@link TransientStoreException}; the caller may retry the whole unit of work.
 */
public interface PoolStore extends AutoCloseable {

  /** Prepares the store (migrations, connection pool). Idempotent. */
  default void start() {}

  /** Runs {@code work} in one transaction and returns its result. */
  <T> T inTransaction(Function<StoreTransaction, T> work);

  /**
   * Whether several instances (in several processes) can share this store (DESIGN §9): it
   * implements the "several instances" section of {@link StoreTransaction}. Default: no.
   */
  default boolean shareable() {
    return false;
  }

  /**
   * Calls {@code wake} (on a thread of the store's) soon after an event is posted to the outbox
   * for a machine {@code instance} drives, or one it posted is taken: a hint to read the outbox
   * now rather than at the next poll. The default never calls it (polling only).
   *
   * @return stops the listening
   */
  default Cancellable listenForEvents(String instance, Runnable wake) {
    return () -> { };
  }

  /** Releases connections and files. Idempotent. */
  @Override
  void close();
}
