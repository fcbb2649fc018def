package org.mozpool.core.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.mozpool.LogEntry;
import org.mozpool.NoSuchDeviceException;
import org.mozpool.NoSuchRequestException;
import org.mozpool.spi.Cancellable;
import org.mozpool.spi.MachineDeadline;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;
import org.mozpool.spi.PoolStore;
import org.mozpool.spi.StaleStateException;
import org.mozpool.spi.StoreTransaction;
import org.mozpool.spi.Timekeeper;
import org.mozpool.spi.TransientStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs persisted state machines of one {@link MachineKind} (DESIGN §4): one step at a time per
 * machine, machines in parallel; each step atomic in one store transaction with an optimistic
 * version check, retried from fresh state when it loses a race or the store hiccups; timers in
 * memory, re-armed from the store at start; asynchronous operations whose completions are tagged
 * with the attempt that started them.
 *
 * <p>An operation nobody waits for any more is cancelled: when its deadline passes, when a step
 * commits that leaves its machine on a later attempt (the state was left or re-entered), and when
 * the engine closes. One abandoned before the I/O executor reached it never calls the driver; for
 * one already started, the driver's stage is cancelled (see the cancellation contract of {@link
 * org.mozpool.spi.PowerControl}), and a stage that honours it reports nothing. A stage that runs to
 * its end anyway delivers its completion, which the attempt tag then ignores.
 *
 * <p>Thread safe. Unsupported: public only for Mozpool's own modules.
 */
public final class MachineEngine implements AutoCloseable {
  /** Argument carrying an operation's error message in its failure event. */
  public static final String ERROR = "error";

  private static final Logger LOG = LoggerFactory.getLogger(MachineEngine.class);
  private static final int MAX_TRIES = 12;
  private static final Duration TIMEOUT_RETRY = Duration.ofSeconds(15);

  /** Hears committed transitions. */
  @FunctionalInterface
  public interface TransitionListener {
    void transitioned(String id, String from, String to);
  }

  /** Hears how the engine keeps time and how often its steps are retried (for metrics). */
  public interface Observer {
    /** Hears nothing. */
    Observer NONE = new Observer() {
      @Override
      public void timerFired(Duration late) {}

      @Override
      public void stepRetried(boolean transientStoreFailure) {}
    };

    /** A machine's timer fired {@code late} after its deadline. */
    void timerFired(Duration late);

    /** A step is retried: after a transient store failure, or after losing a race. */
    void stepRetried(boolean transientStoreFailure);
  }

  private final MachineKind kind;
  private final PoolStore store;
  private final Timekeeper timekeeper;
  private final Function<String, MachineState> states;
  private final String logSource;
  private final TransitionListener listener;
  private final Consumer<Step> beforeCommit;
  private final Observer observer;
  /**
   * Whether this instance may drive a machine (DESIGN §9, fencing). Without several instances
   * sharing the store, {@link #NONE}: every machine may be driven and every operation run.
   */
  public interface Fence {
    /** No other instance: nothing is fenced. */
    Fence NONE = new Fence() {
      @Override
      public boolean active() {
        return false;
      }

      @Override
      public void check(StoreTransaction tx, MachineKind kind, String id) {}

      @Override
      public boolean mayAct() {
        return true;
      }
    };

    /** Whether there is fencing at all (every step then writes its machine's row). */
    boolean active();

    /**
     * Throws {@link org.mozpool.NotDrivenHereException} unless this instance, under its current
     * epoch, drives the machine; runs first in every step's transaction.
     */
    void check(StoreTransaction tx, MachineKind kind, String id);

    /** Whether hardware operations may start now. */
    boolean mayAct();
  }

  /**
   * Work that the next job submitted on this thread runs in its step's transaction (see {@link
   * #withinNextStep}).
   */
  private static final ThreadLocal<Rider> RIDER = new ThreadLocal<>();

  private record Rider(String machine, Consumer<StoreTransaction> work) {}

  private volatile Fence fence = Fence.NONE;
  private final Map<String, Lane> lanes = new ConcurrentHashMap<>();
  private final Map<String, Cancellable> timers = new ConcurrentHashMap<>();
  /** Operations started and not yet finished, per machine; only touched through compute. */
  private final Map<String, Set<Operation>> operations = new ConcurrentHashMap<>();
  private final AtomicBoolean closed = new AtomicBoolean();

  /**
   * @param states every known state by name; a name it does not know maps to {@code unknown}
   * @param unknown the state that stands in for unrecognised names
   */
  public MachineEngine(MachineKind kind, PoolStore store, Timekeeper timekeeper,
      Map<String, MachineState> states, MachineState unknown, String logSource,
      TransitionListener listener) {
    this(kind, store, timekeeper, states, unknown, logSource, listener, step -> { },
        Observer.NONE);
  }

  /** As the other constructor, with an {@code observer} for metrics. */
  public MachineEngine(MachineKind kind, PoolStore store, Timekeeper timekeeper,
      Map<String, MachineState> states, MachineState unknown, String logSource,
      TransitionListener listener, Observer observer) {
    this(kind, store, timekeeper, states, unknown, logSource, listener, step -> { }, observer);
  }

  /**
   * With an {@code observer} for metrics and a {@code beforeCommit} hook.
   *
   * @param beforeCommit runs in every step's transaction after its handler and the entry actions
   *     of the states it entered, before the machine is written; it may write to the store (the
   *     Lifeguard keeps device statistics so) or throw to roll the step back
   */
  public MachineEngine(MachineKind kind, PoolStore store, Timekeeper timekeeper,
      Map<String, MachineState> states, MachineState unknown, String logSource,
      TransitionListener listener, Consumer<Step> beforeCommit, Observer observer) {
    this.beforeCommit = Objects.requireNonNull(beforeCommit, "beforeCommit");
    this.observer = Objects.requireNonNull(observer, "observer");
    this.kind = kind;
    this.store = store;
    this.timekeeper = timekeeper;
    Map<String, MachineState> copy = Map.copyOf(states);
    this.states = name -> copy.getOrDefault(name, unknown);
    this.logSource = logSource;
    this.listener = listener;
  }

  String logSource() {
    return logSource;
  }

  /** Sets the fence every step and operation is checked against (before any machine runs). */
  public void fence(Fence fence) {
    this.fence = Objects.requireNonNull(fence, "fence");
  }

  /**
   * Calls {@code call}; the first job it submits for machine {@code machine} on this thread also
   * runs {@code rider} in its step's transaction, after the step's own work and before the machine
   * is written, so that both commit or neither does. The outbox takes an event so: exactly once with
   * its effect. If the step's work throws, {@code rider} does not run.
   */
  public static <T> T withinNextStep(String machine, Consumer<StoreTransaction> rider,
      Supplier<T> call) {
    RIDER.set(new Rider(Objects.requireNonNull(machine, "machine"),
        Objects.requireNonNull(rider, "rider")));
    try {
      return call.get();
    } finally {
      RIDER.remove();
    }
  }

  /** The timekeeper steps run on. */
  public Timekeeper timekeeper() {
    return timekeeper;
  }

  /** Re-arms the timer of every machine with a deadline; overdue ones fire at once. */
  public void resume() {
    resume(tx -> null);
  }

  /**
   * Re-arms the timers of the machines this instance owns; overdue ones fire at once.
   *
   * @param owned reads, in the same transaction, the ids this instance drives ({@code null} for
   *     all)
   */
  public void resume(Function<StoreTransaction, java.util.Set<String>> owned) {
    for (MachineDeadline d : store.inTransaction(tx -> {
      java.util.Set<String> mine = owned.apply(tx);
      return tx.deadlines(kind).stream()
          .filter(m -> mine == null || mine.contains(m.id())).toList();
    })) {
      arm(d.id(), d.deadline());
    }
  }

  /** Arms (or re-arms) a machine's timer; call after creating a machine with a deadline. */
  public void arm(String id, Instant deadline) {
    if (closed.get()) {
      return;
    }
    // compute() keeps cancel-and-replace atomic per machine, so concurrent arms cannot leave
    // two live timers or cancel the newer one.
    timers.compute(id, (k, previous) -> {
      if (previous != null) {
        previous.cancel();
      }
      return deadline == null ? null : timekeeper.schedule(deadline, () -> timeout(id, deadline));
    });
  }

  /** Delivers an event; the stage completes when its step has committed (or failed). */
  public CompletableFuture<Void> send(String id, String event, Map<String, Object> args) {
    return submit(id, step -> state(step).onEvent(step, event, args));
  }

  /**
   * Runs {@code action} as a step of machine {@code id}: it may inspect the step, change the
   * store, call {@link Step#goTo} or throw to refuse (the step then rolls back and the stage fails).
   */
  public CompletableFuture<Void> submit(String id, Consumer<Step> action) {
    // The timekeeper's kind of stage: callers may block on it, on virtual time too.
    CompletableFuture<Void> result = timekeeper.newStage();
    Rider r = RIDER.get();
    Consumer<StoreTransaction> rider = null;
    if (r != null && r.machine().equals(id)) {
      rider = r.work();
      RIDER.remove();
    }
    lanes.computeIfAbsent(id, Lane::new).add(new Job(action, rider, result));
    return result;
  }

  private MachineState state(Step step) {
    return states.apply(step.state());
  }

  /** One unit of work for a machine, with how often the store has failed it so far. */
  private static final class Job {
    final Consumer<Step> action;
    final Consumer<StoreTransaction> rider;
    final CompletableFuture<Void> result;
    /** Work without a transaction of its own (a committed step's aftermath); or null. */
    final Runnable direct;
    int tries;
    boolean transientFailure;

    Job(Consumer<Step> action, Consumer<StoreTransaction> rider, CompletableFuture<Void> result) {
      this.action = action;
      this.rider = rider;
      this.result = result;
      this.direct = null;
    }

    Job(Runnable direct) {
      this.action = null;
      this.rider = null;
      this.result = null;
      this.direct = direct;
    }
  }

  /**
   * The jobs of one machine, run one at a time in submission order. A job whose step hits a
   * transient store failure stays at the head while it waits to be retried, so that a later event
   * can never overtake it.
   */
  private final class Lane {
    private final String id;
    private final ArrayDeque<Job> jobs = new ArrayDeque<>();
    private boolean active;

    Lane(String id) {
      this.id = id;
    }

    void add(Job job) {
      if (queue(job)) {
        timekeeper.workers().execute(this::runHead);
      }
    }

    /**
     * Runs {@code job} on this thread if no job of the machine is running or waiting, else in
     * its turn on a step worker; either way, jobs added meanwhile wait for it.
     */
    void runHere(Job job) {
      if (queue(job)) {
        runHead();
      }
    }

    /** Queues {@code job}; whether the lane was idle, so that the caller must run its head. */
    private synchronized boolean queue(Job job) {
      jobs.add(job);
      if (active) {
        return false;
      }
      active = true;
      return true;
    }

    private void runHead() {
      Job job;
      synchronized (this) {
        job = jobs.peek();
      }
      Duration retryIn = null;
      if (job.direct == null) {
        retryIn = runStep(id, job);
      } else {
        try {
          job.direct.run();
        } catch (RuntimeException e) {
          LOG.warn("work after a step of {} {} failed", kind, id, e);
        }
      }
      if (retryIn != null) {
        timekeeper.schedule(timekeeper.now().plus(retryIn), this::runHead);
        return;
      }
      synchronized (this) {
        jobs.poll();
        if (jobs.isEmpty()) {
          active = false;
          return;
        }
      }
      timekeeper.workers().execute(this::runHead);
    }
  }

  /**
   * Runs, inside {@code tx}, the step that the timer of machine {@code id} runs when its deadline
   * has passed: for a machine {@code tx} itself created, whose first state times out at once (a new
   * request looks for a device so), this saves the step a transaction and a hand-off. Nothing
   * happens outside the store until the returned work runs, which the caller must do once {@code
   * tx} has committed, and must not do if it rolled back: it arms the machine's timer, tells the
   * listener of the transitions and runs the step's after-commit actions, in the machine's turn.
   * A deadline still ahead is only armed.
   *
   * @throws RuntimeException what the step throws (the fence's refusal among it); {@code tx}
   *     must then roll back
   */
  public Runnable timeoutWithin(StoreTransaction tx, String id) {
    Step step = stepIn(tx, fence, id, s -> {
      Instant deadline = s.deadline();
      if (deadline != null && !deadline.isAfter(s.now())) {
        onTimeout(s, deadline);
      }
    }, null);
    return () -> {
      if (!closed.get()) {
        lanes.computeIfAbsent(id, Lane::new).runHere(new Job(() -> committed(id, step, true)));
      }
    };
  }

  private void onTimeout(Step step, Instant deadline) {
    state(step).onTimeout(step);
    if (!step.hasPending() && Objects.equals(step.deadline(), deadline)) {
      step.setDeadline(null); // never fire the same timeout twice
    }
  }

  /** A timer armed for {@code armedFor} fired. */
  private void timeout(String id, Instant armedFor) {
    submit(id, step -> {
      Instant stored = step.deadline();
      if (stored == null) {
        return; // stale timer: the machine moved on to a state without timeout
      }
      // A recheck's deadline is kept in memory only (Step#recheckAt): the stored one is earlier.
      Instant deadline = armedFor.isAfter(stored) ? armedFor : stored;
      if (deadline.isAfter(step.now())) {
        // Fired before the deadline: a stale timer, or a timekeeper that rounds delays down
        // (whole milliseconds against a finer clock). Dropping it could leave the machine
        // with no armed timer, so re-arm the deadline (replacing any current timer).
        step.afterCommit(() -> arm(id, deadline));
        return;
      }
      Duration late = Duration.between(deadline, step.now());
      step.afterCommit(() -> observer.timerFired(late)); // once, whatever the retries
      onTimeout(step, stored);
    }).exceptionally(e -> {
      if (Stages.unwrap(e) instanceof org.mozpool.NotDrivenHereException) {
        LOG.info("timeout of {} {} not run here: {}", kind, id, Stages.unwrap(e).getMessage());
        return null; // whoever drives it keeps its time
      }
      // The deadline is still in the store but this timer is spent: try again later rather than
      // leave the machine stuck until the next restart.
      LOG.warn("timeout of {} {} failed; retrying in {}", kind, id, TIMEOUT_RETRY, e);
      arm(id, timekeeper.now().plus(TIMEOUT_RETRY));
      return null;
    });
  }

  void runOperation(String id, long attempt, String name,
      Supplier<? extends CompletionStage<?>> operation, Duration deadline, String okEvent,
      String failedEvent) {
    if (closed.get()) {
      return;
    }
    // Tracked before it reaches the I/O executor, so that a step committing meanwhile can still
    // call it off before the driver ever sees it.
    Operation op = new Operation(attempt);
    operations.compute(id, (k, set) -> {
      Set<Operation> s = set == null ? new HashSet<>() : set;
      s.add(op);
      return s;
    });
    timekeeper.io().execute(() -> {
      if (op.abandoned()) {
        untrack(id, op);
        LOG.debug("{} of {} {} (attempt {}) abandoned before it started", name, kind, id, attempt);
        return;
      }
      CompletableFuture<Object> bounded = new CompletableFuture<>();
      Cancellable timer = timekeeper.schedule(timekeeper.now().plus(deadline), () -> {
        if (bounded.completeExceptionally(
            new TimeoutException(name + " took longer than " + deadline))) {
          op.abandon(); // nobody waits for it any more: it must not reach the hardware later
        }
      });
      CompletionStage<?> stage;
      try {
        if (!fence.mayAct()) {
          throw new IllegalStateException("this instance may not act on hardware: its heartbeat"
              + " lapsed, so its devices may have been adopted by another instance");
        }
        stage = operation.get();
      } catch (RuntimeException e) {
        stage = CompletableFuture.failedFuture(e);
      }
      op.started(stage);
      stage.whenComplete((v, e) -> {
        if (e == null) {
          bounded.complete(v);
        } else {
          bounded.completeExceptionally(e);
        }
      });
      bounded.whenComplete((v, e) -> {
        timer.cancel();
        untrack(id, op);
        if (e != null && op.abandoned() && Stages.unwrap(e) instanceof CancellationException) {
          // Called off by a later step or by close(), and the driver dropped it: nothing happened
          // that anyone waits to hear about.
          LOG.debug("{} of {} {} (attempt {}) cancelled", name, kind, id, attempt);
          return;
        }
        String event = e == null ? okEvent : failedEvent;
        Map<String, Object> args = e == null ? Map.of()
            : Map.of(ERROR, describe(e));
        submit(id, step -> {
          if (step.attempt() != attempt) {
            step.log("ignored " + event + " from attempt " + attempt + " (now attempt "
                + step.attempt() + ", state " + step.state() + ")");
            return;
          }
          if (e != null) {
            step.log(name + " failed: " + describe(e));
          }
          state(step).onEvent(step, event, args);
        }).exceptionally(x -> {
          LOG.warn("{} of {} {} could not be delivered", event, kind, id, x);
          return null;
        });
      });
    });
  }

  private void untrack(String id, Operation op) {
    operations.computeIfPresent(id, (k, set) -> {
      set.remove(op);
      return set.isEmpty() ? null : set;
    });
  }

  /** Calls off the machine's operations started for an attempt before {@code current}. */
  private void abandonOperations(String id, long current) {
    List<Operation> stale = new ArrayList<>();
    operations.computeIfPresent(id, (k, set) -> {
      set.removeIf(op -> {
        if (op.attempt < current) {
          stale.add(op);
          return true;
        }
        return false;
      });
      return set.isEmpty() ? null : set;
    });
    // Outside compute(): cancelling runs the stage's callbacks, which untrack on this same key.
    stale.forEach(Operation::abandon);
  }

  /**
   * One hardware operation of one attempt: whether the engine still wants it, and the driver's
   * stage once the driver has been called.
   */
  private static final class Operation {
    final long attempt;
    private CompletionStage<?> stage;
    private boolean abandoned;

    Operation(long attempt) {
      this.attempt = attempt;
    }

    synchronized boolean abandoned() {
      return abandoned;
    }

    /** Records the driver's stage; cancels it at once if the operation was abandoned meanwhile. */
    void started(CompletionStage<?> driverStage) {
      synchronized (this) {
        stage = driverStage;
        if (!abandoned) {
          return;
        }
      }
      cancel(driverStage);
    }

    /** Nobody waits for it any more: cancels the driver's stage (if called yet). Idempotent. */
    void abandon() {
      CompletionStage<?> s;
      synchronized (this) {
        if (abandoned) {
          return;
        }
        abandoned = true;
        s = stage;
      }
      if (s != null) {
        cancel(s);
      }
    }

    private static void cancel(CompletionStage<?> s) {
      try {
        // false: refused (already on the hardware) or not cancellable; the attempt tag then
        // ignores its late completion
        Stages.cancel(s);
      } catch (RuntimeException e) {
        LOG.warn("cancelling an abandoned operation failed", e);
      }
    }
  }


  private static String describe(Throwable e) {
    Throwable t = Stages.unwrap(e);
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  /**
   * Runs one job's step. Returns {@code null} when the job is finished (committed or failed), or
   * how long to wait before retrying it after a transient store failure.
   */
  private Duration runStep(String id, Job job) {
    Step done = null;
    while (done == null) {
      job.tries++;
      try {
        Fence f = fence;
        done = store.inTransaction(tx -> stepIn(tx, f, id, job.action, job.rider));
      } catch (StaleStateException | TransientStoreException e) {
        if (job.tries >= MAX_TRIES || closed.get()) {
          LOG.error("step of {} {} abandoned after {} tries", kind, id, job.tries, e);
          job.result.completeExceptionally(e);
          return null;
        }
        LOG.info("step of {} {} retried ({}): {}", kind, id, job.tries, e.getMessage());
        observer.stepRetried(e instanceof TransientStoreException);
        if (e instanceof TransientStoreException) {
          job.transientFailure = true;
          return Duration.ofMillis(50L << Math.min(job.tries, 6));
        }
        // lost a race: retry at once from fresh state
      } catch (org.mozpool.NotDrivenHereException e) {
        // Another instance drives it now (or this one lapsed): stop keeping time for it here.
        forget(id);
        job.result.completeExceptionally(e);
        return null;
      } catch (RuntimeException e) {
        job.result.completeExceptionally(e);
        return null;
      }
    }
    // After a transient failure the store may have committed an earlier try whose after-commit
    // work (its timer among it) was lost: re-arm from what is stored now, whatever this try did.
    committed(id, done, job.transientFailure);
    job.result.complete(null);
    return null;
  }

  /**
   * One step's work in {@code tx}: the fence's check, the action, the entry actions of the states
   * it entered, the hook, the rider, then the machine's row and log lines.
   */
  private Step stepIn(StoreTransaction tx, Fence f, String id, Consumer<Step> action,
      Consumer<StoreTransaction> rider) {
    f.check(tx, kind, id);
    MachineRecord record = tx.machine(kind, id).orElseThrow(() -> kind == MachineKind.DEVICE
        ? new NoSuchDeviceException(id) : new NoSuchRequestException(id));
    Step step = new Step(this, id, tx, timekeeper.now(), record);
    action.accept(step);
    step.settle(states);
    beforeCommit.accept(step);
    if (rider != null) {
      rider.accept(tx);
    }
    // Fenced: every step writes its row, so that its version check guards all it wrote.
    if (step.dirty() || f.active()) {
      tx.updateMachine(kind, id, record.version(), step.toRecord());
    }
    for (LogEntry line : step.logs()) {
      tx.appendLog(kind, id, line);
    }
    return step;
  }

  /**
   * What a committed step does outside the store: arms the machine's timer (if {@code rearm}, or
   * the step changed it or set a recheck), tells the listener, runs the after-commit actions and
   * calls off operations of attempts left behind.
   */
  private void committed(String id, Step done, boolean rearm) {
    if (rearm || done.rechecked() || !done.transitions().isEmpty()
        || done.dirty() && !Objects.equals(done.original().deadline(), done.toRecord().deadline())) {
      arm(id, done.toRecord().deadline());
    }
    for (String[] t : done.transitions()) {
      try {
        listener.transitioned(id, t[0], t[1]);
      } catch (RuntimeException e) {
        LOG.warn("transition listener failed for {} {}", kind, id, e);
      }
    }
    for (Runnable r : done.afterCommitActions()) {
      try {
        r.run();
      } catch (RuntimeException e) {
        LOG.warn("after-commit action of {} {} failed", kind, id, e);
      }
    }
    // After the after-commit actions, so that an operation this very step started for an attempt
    // it has already left (an entry that chained on) is called off too.
    abandonOperations(id, done.toRecord().attempt());
  }

  /**
   * Stops driving machine {@code id} here: cancels its timer and calls off its operations. Its
   * state stays in the store for whoever drives it.
   */
  public void forget(String id) {
    Cancellable timer = timers.remove(id);
    if (timer != null) {
      timer.cancel();
    }
    abandonOperations(id, Long.MAX_VALUE);
  }

  /** {@link #forget} for every machine with a timer or an operation here. */
  public void forgetAll() {
    for (String id : List.copyOf(timers.keySet())) {
      forget(id);
    }
    for (String id : List.copyOf(operations.keySet())) {
      abandonOperations(id, Long.MAX_VALUE);
    }
  }

  /** Cancels every timer and operation; machines stay in the store. Idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      timers.values().forEach(Cancellable::cancel);
      timers.clear();
      for (String id : List.copyOf(operations.keySet())) {
        abandonOperations(id, Long.MAX_VALUE);
      }
    }
  }
}
