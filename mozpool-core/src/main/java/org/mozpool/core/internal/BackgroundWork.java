package org.mozpool.core.internal;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Stops a pool's background threads (heartbeat, instance watch, outbox reader) without
 * interrupting them. Those threads commit to the store, and an interrupt during a commit to an
 * embedded H2 file makes Java close H2's file channel ({@code ClosedByInterruptException}): the
 * database then fails for every user of that file in the JVM, other pools included. So a stop
 * lets the task in hand finish (each is one short transaction) and waits for it, up to a bound.
 */
final class BackgroundWork {
  /** How long a stop waits for the task in hand. */
  static final long WAIT_SECONDS = 10;

  private BackgroundWork() {}

  /** Stops {@code executors}: no new runs, the current ones finish; waits for them, bounded. */
  static void stopWithoutInterrupt(ExecutorService... executors) {
    for (ExecutorService executor : executors) {
      executor.shutdown();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    try {
      for (ExecutorService executor : executors) {
        executor.awaitTermination(Math.max(0, deadline - System.nanoTime()),
            TimeUnit.NANOSECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
