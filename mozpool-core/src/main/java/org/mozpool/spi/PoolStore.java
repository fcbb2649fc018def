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

  /** Releases connections and files. Idempotent. */
  @Override
  void close();
}
