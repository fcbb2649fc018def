package org.mozpool.core;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.CompletionException;
import org.mozpool.WaitTimedOutException;
import org.mozpool.spi.Cancellable;
import org.mozpool.spi.Timekeeper;

/**
 * Wall-clock time and real threads: a scheduler thread for timers, a fixed pool of workers for
 * state-machine steps, and an unbounded pool of daemon threads for hardware operations (which
 * block until their own deadlines). Thread safe; {@link #close()} stops every thread.
 */
public final class SystemTimekeeper implements Timekeeper {
  private final Clock clock;
  private final ScheduledExecutorService timers;
  private final ExecutorService workers;
  private final ExecutorService io;
  private final AtomicBoolean closed = new AtomicBoolean();

  /** A timekeeper on the system UTC clock with one worker per core (at least two). */
  public SystemTimekeeper() {
    this(Clock.systemUTC(), Math.max(2, Runtime.getRuntime().availableProcessors()));
  }

  /** A timekeeper on {@code clock} with {@code workerThreads} step workers. */
  public SystemTimekeeper(Clock clock, int workerThreads) {
    if (workerThreads < 1) {
      throw new IllegalArgumentException("workerThreads must be positive, got " + workerThreads);
    }
    this.clock = clock;
    this.timers = Executors.newSingleThreadScheduledExecutor(daemon("mozpool-timer"));
    this.workers = Executors.newFixedThreadPool(workerThreads, daemon("mozpool-worker"));
    this.io = Executors.newCachedThreadPool(daemon("mozpool-io"));
  }

  private static ThreadFactory daemon(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  @Override
  public Clock clock() {
    return clock;
  }

  @Override
  public Cancellable schedule(Instant when, Runnable task) {
    // Nanoseconds, not truncated milliseconds: a timer must never fire before its deadline.
    long delay = Math.max(0, Duration.between(clock.instant(), when).toNanos());
    ScheduledFuture<?> f = timers.schedule(() -> workers.execute(task), delay, TimeUnit.NANOSECONDS);
    return () -> f.cancel(false);
  }

  @Override
  public Executor workers() {
    return workers;
  }

  @Override
  public Executor io() {
    return io;
  }

  @Override
  public <T> T await(CompletionStage<T> stage, Duration timeout) {
    try {
      return stage.toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new WaitTimedOutException("the awaited operation", timeout);
    } catch (ExecutionException e) {
      throw new CompletionException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CompletionException(e);
    }
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      timers.shutdownNow();
      workers.shutdownNow();
      io.shutdownNow();
    }
  }
}
