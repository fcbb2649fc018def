package org.mozpool.testkit.faults;

import java.time.Clock;
import java.util.Objects;
import java.util.function.Function;
import org.mozpool.spi.PoolStore;
import org.mozpool.spi.StoreTransaction;
import org.mozpool.spi.TransientStoreException;

/**
 * A {@link PoolStore} whose database can be taken down and brought back: while it is down, every
 * transaction fails with {@link TransientStoreException} before touching the wrapped store, as a
 * dropped connection would. Each outage is recorded in the fault log. Use it to check that a pool
 * rides out a database outage on its retries and timeouts.
 *
 * <p>Thread safe. Closing it closes the wrapped store.
 */
public final class OutageStore implements PoolStore {
  private final PoolStore delegate;
  private final Clock clock;
  private final FaultLog log;
  private volatile boolean down;
  private volatile long refused;
  /** Transactions still to refuse before the database comes back by itself; 0 = until told. */
  private int refusalsLeft;

  /** Wraps {@code delegate}; outages are stamped with {@code clock} in {@code log}. */
  public OutageStore(PoolStore delegate, Clock clock, FaultLog log) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.log = Objects.requireNonNull(log, "log");
  }

  /** Takes the database down until {@link #comeBack()}. */
  public void goDown() {
    if (!down) {
      down = true;
      log.record(clock.instant(), "database", Fault.DATABASE_OUTAGE, "down");
    }
  }

  /**
   * Takes the database down for the next {@code transactions} transactions only: each is refused,
   * then the database is back by itself (a connection dropped under a start-up, say).
   */
  public synchronized void refuseNext(int transactions) {
    if (transactions < 1) {
      throw new IllegalArgumentException("transactions must be at least 1, got " + transactions);
    }
    goDown();
    refusalsLeft = transactions;
  }

  /** Brings the database back. */
  public synchronized void comeBack() {
    down = false;
    refusalsLeft = 0;
  }

  /** Whether the database is down now. */
  public boolean isDown() {
    return down;
  }

  /** How many transactions were refused because the database was down. */
  public long refusedTransactions() {
    return refused;
  }

  @Override
  public void start() {
    delegate.start();
  }

  @Override
  public <T> T inTransaction(Function<StoreTransaction, T> work) {
    if (down) {
      synchronized (this) {
        if (down) {
          refused++;
          if (refusalsLeft > 0 && --refusalsLeft == 0) {
            down = false;
          }
          throw new TransientStoreException("simulated database outage", null);
        }
      }
    }
    return delegate.inTransaction(work);
  }

  /** As the wrapped store: an outage does not change whether several instances can share it. */
  @Override
  public boolean shareable() {
    return delegate.shareable();
  }

  /**
   * The wrapped store's notifications, dropped while the database is down (a dropped connection
   * hears nothing).
   */
  @Override
  public org.mozpool.spi.Cancellable listenForEvents(String instance, Runnable wake) {
    return delegate.listenForEvents(instance, () -> {
      if (!down) {
        wake.run();
      }
    });
  }

  @Override
  public void close() {
    delegate.close();
  }
}
