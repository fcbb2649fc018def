package org.mozpool.core.internal;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Stops a pool's background threads (heartbeat, instance watch, outbox reader) without
 * interrupting a transaction in hand if it can. Those threads commit to the store, and an
 * interrupt during a commit to an embedded H2 file made Java close H2's file channel
 * ({@code ClosedByInterruptException}), which broke the database for every user of that file in
 * the JVM, other pools included (the store now opens H2 through its {@code retry:} file system,
 * which survives that; this is the second line). So a stop lets the task in hand finish (each is
 * one short transaction) and interrupts only a task still running after {@link #GRACE_MILLIS} ms: one
 * blocked on a store that does not answer.
 */
final class BackgroundWork {
  /** How long a stop waits for the task in hand before interrupting it. */
  static final long GRACE_MILLIS = 1000;

  private BackgroundWork() {}

  /** Stops {@code executors}: no new runs; the current ones may finish within the grace. */
  static void stopWithoutInterrupt(ExecutorService... executors) {
    for (ExecutorService executor : executors) {
      executor.shutdown();
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GRACE_MILLIS);
    try {
      for (ExecutorService executor : executors) {
        if (!executor.awaitTermination(Math.max(0, deadline - System.nanoTime()),
            TimeUnit.NANOSECONDS)) {
          executor.shutdownNow(); // blocked past the grace: a store that does not answer
        }
      }
    } catch (InterruptedException e) {
      for (ExecutorService executor : executors) {
        executor.shutdownNow();
      }
      Thread.currentThread().interrupt();
    }
  }
}
