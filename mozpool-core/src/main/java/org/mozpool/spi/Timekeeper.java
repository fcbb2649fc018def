package org.mozpool.spi;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Time and threads for a pool: the clock every decision reads, timers, the executor that runs
 * state-machine steps and the one that runs hardware operations.
 *
 * <p>Two implementations ship with core: {@code SystemTimekeeper} (wall-clock time, real threads)
 * and {@code VirtualTimekeeper} (a virtual clock that runs everything on the thread that advances
 * it, so that a simulated week passes in seconds, deterministically).
 */
public interface Timekeeper extends AutoCloseable {

  /** The clock. */
  Clock clock();

  /** Now, per {@link #clock()}. */
  default Instant now() {
    return clock().instant();
  }

  /** Runs {@code task} on {@link #workers()} at {@code when} (at once if it is past). */
  Cancellable schedule(Instant when, Runnable task);

  /** Runs state-machine steps. Must not run a task on the submitting thread. */
  Executor workers();

  /** Runs hardware operations, which may block until their deadline. */
  Executor io();

  /**
   * Waits until {@code stage} completes or {@code timeout} passes on this timekeeper's clock.
   * A virtual timekeeper runs the simulation meanwhile.
   *
   * @return the stage's value
   * @throws org.mozpool.WaitTimedOutException if the timeout passed first
   * @throws java.util.concurrent.CompletionException wrapping the stage's failure
   */
  <T> T await(CompletionStage<T> stage, Duration timeout);

  /**
   * A new, incomplete stage for a result handed to API callers, whose blocking methods
   * ({@code join}, {@code get}) work on this timekeeper's time. The default is a plain {@link
   * CompletableFuture}, right for real threads. A virtual timekeeper returns one whose blocking
   * methods run the simulation until the stage completes, because nothing else would.
   */
  default <T> CompletableFuture<T> newStage() {
    return new CompletableFuture<>();
  }

  /** Stops the threads this timekeeper started. Idempotent. */
  @Override
  void close();
}
