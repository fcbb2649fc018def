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
import java.util.concurrent.ScheduledThreadPoolExecutor;
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
 * block until their own deadlines). Thread safe; {@link #close()} stops every thread and waits
 * (a bounded time) for the steps in flight to end, so that a store closed after it is not written
 * by a step that outlived its pool.
 */
public final class SystemTimekeeper implements Timekeeper {
  private final Clock clock;
  private final ScheduledExecutorService timers;
  private final ExecutorService workers;
  private final ExecutorService io;
  private final AtomicBoolean closed = new AtomicBoolean();
  /** The timekeeper whose thread this is (null on other threads). */
  private static final ThreadLocal<SystemTimekeeper> OWNER = new ThreadLocal<>();
  /** How long {@link #close()} waits for the steps in flight. */
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

  /** Step workers by default: at least this many, or one per core on bigger machines. */
  static final int MIN_DEFAULT_WORKERS = 8;

  /**
   * A timekeeper on the system UTC clock with {@value #MIN_DEFAULT_WORKERS} step workers, or one
   * per core if there are more cores. A step on a SQL store waits for the database (round trips,
   * the commit's flush), so a pool needs more steps in flight than it has cores to keep the
   * database busy; on the in-memory store the extra threads only wait for its lock.
   */
  public SystemTimekeeper() {
    this(Clock.systemUTC(), Math.max(MIN_DEFAULT_WORKERS, Runtime.getRuntime().availableProcessors()));
  }

  /** A timekeeper on {@code clock} with {@code workerThreads} step workers. */
  public SystemTimekeeper(Clock clock, int workerThreads) {
    if (workerThreads < 1) {
      throw new IllegalArgumentException("workerThreads must be positive, got " + workerThreads);
    }
    this.clock = clock;
    ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, daemon("mozpool-timer", this));
    // Cancelled timers (every operation deadline that was met, every re-armed timeout) would
    // otherwise stay queued until their time: with 100,000 devices that is the bulk of the queue.
    scheduler.setRemoveOnCancelPolicy(true);
    this.timers = scheduler;
    this.workers = Executors.newFixedThreadPool(workerThreads, daemon("mozpool-worker", this));
    this.io = Executors.newCachedThreadPool(daemon("mozpool-io", this));
  }

  private static ThreadFactory daemon(String prefix, SystemTimekeeper owner) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(() -> {
        OWNER.set(owner);
        r.run();
      }, prefix + "-" + n.incrementAndGet());
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
      if (OWNER.get() == this) {
        return; // a step closing its own timekeeper cannot wait for itself
      }
      try {
        // steps and timers only: hardware operations block until their own deadlines
        long end = System.nanoTime() + CLOSE_WAIT.toNanos();
        timers.awaitTermination(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
        workers.awaitTermination(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
