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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import org.mozpool.WaitTimedOutException;
import org.mozpool.spi.Cancellable;
import org.mozpool.spi.Timekeeper;

/**
 * Virtual time: a clock that moves only when told to, and a single queue of tasks (timers,
 * steps, hardware operations) that run, in time order and then submission order, on the thread
 * that {@linkplain #advance(Duration) advances} the clock. A simulated week passes in as long as
 * its work takes, and the same inputs give the same run.
 *
 * <p>Waiting: {@link #await(CompletionStage, Duration)} runs the simulation until a stage
 * completes. So do the blocking methods of the stages a pool hands out ({@linkplain #newStage() its stages}):
 * {@code join()} and {@code get()} run tasks in order, moving time to each, until the stage
 * completes; they fail with an {@link IllegalStateException} when no task is left that could
 * complete it, and with a {@link WaitTimedOutException} after {@link #JOIN_LIMIT} of virtual time;
 * {@code get(timeout, unit)} waits {@code timeout} of virtual time. A thread that finds another
 * thread running the simulation waits for that one instead. Blocking on an incomplete stage from
 * inside a task fails at once with an {@link IllegalStateException}: the task holds up the very
 * simulation the stage waits for; chain on the stage instead ({@code thenAccept}, …).
 *
 * <p>Thread safe: tasks may be submitted from any thread; only one thread runs them at a time.
 * Hardware drivers used with it must not block (the testkit's simulated devices do not).
 */
public final class VirtualTimekeeper implements Timekeeper {
  /** Where virtual time starts by default. */
  public static final Instant DEFAULT_START = Instant.parse("2026-01-05T00:00:00Z");

  /**
   * How much virtual time a {@code join()} or {@code get()} without a timeout lets pass before it
   * gives up: a please-event's step takes none, and a request with the default lease and policies
   * becomes ready or fails well within it. {@code get(timeout, unit)} and {@link #await} wait as
   * long as they are told.
   */
  public static final Duration JOIN_LIMIT = Duration.ofDays(1);

  /** Real time a waiting thread sleeps between looks while another thread runs the simulation. */
  private static final long LOOK_AGAIN_MILLIS = 10;

  /** Longer waits are waits for ever; the clamp keeps {@code now + wait} from overflowing. */
  private static final Duration LONGEST_WAIT = Duration.ofDays(365L * 1000);

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
  public boolean runUntil(Instant limit, BooleanSupplier done) {
    return run(limit, done, false) == Outcome.DONE;
  }

  /** Why {@link #run} stopped. */
  private enum Outcome { DONE, IDLE, LIMIT }

  /**
   * Runs tasks in order until {@code done} holds or the next task is after {@code limit}. With
   * {@code stopWhenIdle}, an empty queue stops it where time stands; otherwise time moves to
   * {@code limit}.
   */
  private Outcome run(Instant limit, BooleanSupplier done, boolean stopWhenIdle) {
    driver.lock();
    try {
      while (true) {
        if (done.getAsBoolean()) {
          return Outcome.DONE;
        }
        Task next;
        synchronized (queueLock) {
          next = queue.peek();
          if (next == null && stopWhenIdle) {
            return Outcome.IDLE;
          }
          if (next == null || next.at.isAfter(limit)) {
            if (limit.isAfter(clock.instant)) {
              clock.instant = limit;
            }
            return done.getAsBoolean() ? Outcome.DONE : Outcome.LIMIT;
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

  /**
   * Blocks until {@code stage} is done, running the simulation meanwhile (see the class comment).
   *
   * @param limit how much virtual time may pass
   * @param idleFails whether an empty queue fails the wait at once instead of letting time pass
   */
  private void waitFor(CompletableFuture<?> stage, Duration limit, boolean idleFails) {
    if (stage.isDone()) {
      return;
    }
    if (driver.isHeldByCurrentThread()) {
      throw new IllegalStateException("cannot block on an incomplete virtual-time stage from inside"
          + " a task the VirtualTimekeeper runs: the simulation cannot go on until the task"
          + " returns; chain on the stage instead (thenAccept, thenCompose, …)");
    }
    Instant giveUp = null;
    // A plain future to sleep on: the stage's own get(timeout) would run the simulation.
    CompletableFuture<Void> completed = new CompletableFuture<>();
    stage.whenComplete((v, e) -> completed.complete(null));
    while (!stage.isDone()) {
      if (driver.tryLock()) {
        Outcome outcome;
        try {
          if (giveUp == null) {
            giveUp = clock.instant().plus(limit.compareTo(LONGEST_WAIT) > 0 ? LONGEST_WAIT : limit);
          }
          outcome = run(giveUp, stage::isDone, idleFails);
        } finally {
          driver.unlock();
        }
        if (outcome == Outcome.IDLE) {
          throw new IllegalStateException("the awaited stage can never complete on virtual time:"
              + " no task is left on the VirtualTimekeeper that could complete it");
        }
        if (outcome == Outcome.LIMIT) {
          throw new WaitTimedOutException("completion of the awaited stage (on virtual time;"
              + " get(timeout, unit) or VirtualTimekeeper.await(stage, timeout) wait longer)",
              limit);
        }
      } else {
        // Another thread runs the simulation: let it complete the stage, but look again now and
        // then, and take over if it has stopped.
        try {
          completed.get(LOOK_AGAIN_MILLIS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
          // look again
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new CompletionException(e);
        }
      }
    }
  }

  /**
   * A new stage whose {@code join()} and {@code get()} run this timekeeper's simulation until it
   * completes (see the class comment); stages derived from it ({@code thenApply}, …) do the same,
   * and their {@code …Async} variants without an executor run as tasks here.
   */
  @Override
  public <T> CompletableFuture<T> newStage() {
    return new VirtualStage<>();
  }

  private static Duration duration(long amount, TimeUnit unit) {
    try {
      return Duration.of(amount, unit.toChronoUnit());
    } catch (ArithmeticException tooLong) {
      return LONGEST_WAIT;
    }
  }

  /** A stage that can be waited for on virtual time. */
  private final class VirtualStage<T> extends CompletableFuture<T> {

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
      return new VirtualStage<>();
    }

    @Override
    public Executor defaultExecutor() {
      return now;
    }

    @Override
    public T join() {
      waitFor(this, JOIN_LIMIT, true);
      return super.join();
    }

    @Override
    public T get() throws InterruptedException, ExecutionException {
      waitFor(this, JOIN_LIMIT, true);
      return super.get();
    }

    @Override
    public T get(long timeout, TimeUnit unit)
        throws InterruptedException, ExecutionException, TimeoutException {
      try {
        waitFor(this, duration(timeout, unit), false);
      } catch (WaitTimedOutException e) {
        throw new TimeoutException(e.getMessage() + " of virtual time");
      }
      return super.get();
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
