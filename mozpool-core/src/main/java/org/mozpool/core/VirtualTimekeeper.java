package org.mozpool.core;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReentrantLock;
import org.mozpool.WaitTimedOutException;
import org.mozpool.spi.Cancellable;
import org.mozpool.spi.Timekeeper;

/**
 * Virtual time: a clock that moves only when told to, and a single queue of tasks (timers,
 * steps, hardware operations) that run, in time order and then submission order, on the thread
 * that {@linkplain #advance(Duration) advances} the clock. A simulated week passes in as long as
 * its work takes, and the same inputs give the same run.
 *
 * <p>Thread safe: tasks may be submitted from any thread; only one thread runs them at a time.
 * Hardware drivers used with it must not block (the testkit's simulated devices do not).
 */
public final class VirtualTimekeeper implements Timekeeper {
  /** Where virtual time starts by default. */
  public static final Instant DEFAULT_START = Instant.parse("2026-01-05T00:00:00Z");

  private final ReentrantLock driver = new ReentrantLock();
  private final Object queueLock = new Object();
  private final PriorityQueue<Task> queue = new PriorityQueue<>();
  private final Executor now = task -> enqueue(null, task);
  private final VirtualClock clock;
  private long sequence;
  private long executed;

  /** Virtual time starting at {@link #DEFAULT_START}. */
  public VirtualTimekeeper() {
    this(DEFAULT_START);
  }

  /** Virtual time starting at {@code start}. */
  public VirtualTimekeeper(Instant start) {
    this.clock = new VirtualClock(start, ZoneOffset.UTC);
  }

  private final class Task implements Comparable<Task>, Cancellable {
    final Instant at;
    final long seq;
    final Runnable body;
    volatile boolean cancelled;

    Task(Instant at, long seq, Runnable body) {
      this.at = at;
      this.seq = seq;
      this.body = body;
    }

    @Override
    public int compareTo(Task o) {
      int c = at.compareTo(o.at);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }

    @Override
    public void cancel() {
      cancelled = true;
    }
  }

  private Task enqueue(Instant when, Runnable body) {
    synchronized (queueLock) {
      Instant current = clock.instant;
      Instant at = when == null || when.isBefore(current) ? current : when;
      Task t = new Task(at, sequence++, body);
      queue.add(t);
      return t;
    }
  }

  @Override
  public Clock clock() {
    return clock;
  }

  @Override
  public Cancellable schedule(Instant when, Runnable task) {
    return enqueue(when, task);
  }

  @Override
  public Executor workers() {
    return now;
  }

  @Override
  public Executor io() {
    return now;
  }

  /** Moves time forward by {@code duration}, running every task that falls due on the way. */
  public void advance(Duration duration) {
    if (duration.isNegative()) {
      throw new IllegalArgumentException("cannot go back in time: " + duration);
    }
    runUntil(clock.instant().plus(duration), () -> false);
  }

  /** Moves time forward to {@code instant} (no-op if it is past). */
  public void advanceTo(Instant instant) {
    runUntil(instant, () -> false);
  }

  /** Runs every task already due without moving time. */
  public void runDueTasks() {
    runUntil(clock.instant(), () -> false);
  }

  /** How many tasks have run so far (a measure of simulated work). */
  public long tasksExecuted() {
    return executed;
  }

  /** How many tasks are waiting. */
  public int pendingTasks() {
    synchronized (queueLock) {
      return queue.size();
    }
  }

  /**
   * Runs tasks in order until {@code done} holds (checked between tasks) or the next task is after
   * {@code limit}; time then stands at {@code limit} unless {@code done} stopped it earlier.
   *
   * @return whether {@code done} held
   */
  public boolean runUntil(Instant limit, java.util.function.BooleanSupplier done) {
    driver.lock();
    try {
      while (true) {
        if (done.getAsBoolean()) {
          return true;
        }
        Task next;
        synchronized (queueLock) {
          next = queue.peek();
          if (next == null || next.at.isAfter(limit)) {
            if (limit.isAfter(clock.instant)) {
              clock.instant = limit;
            }
            return done.getAsBoolean();
          }
          queue.poll();
          if (next.at.isAfter(clock.instant)) {
            clock.instant = next.at;
          }
        }
        if (!next.cancelled) {
          executed++;
          next.body.run();
        }
      }
    } finally {
      driver.unlock();
    }
  }

  @Override
  public <T> T await(CompletionStage<T> stage, Duration timeout) {
    CompletableFuture<T> f = stage.toCompletableFuture();
    if (!runUntil(clock.instant().plus(timeout), f::isDone)) {
      throw new WaitTimedOutException("the awaited operation", timeout);
    }
    try {
      return f.get();
    } catch (ExecutionException e) {
      throw new CompletionException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CompletionException(e);
    }
  }

  @Override
  public void close() {
    synchronized (queueLock) {
      queue.clear();
    }
  }

  private static final class VirtualClock extends Clock {
    private volatile Instant instant;
    private final ZoneId zone;

    VirtualClock(Instant instant, ZoneId zone) {
      this.instant = instant;
      this.zone = zone;
    }

    @Override
    public ZoneId getZone() {
      return zone;
    }

    @Override
    public Clock withZone(ZoneId z) {
      // Virtual time is one instant for every zone; UTC is the only zone Mozpool reads.
      return this;
    }

    @Override
    public Instant instant() {
      return instant;
    }
  }
}
