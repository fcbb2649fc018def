package org.mozpool.core.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.mozpool.LogEntry;
import org.mozpool.spi.MachineRecord;
import org.mozpool.spi.StoreTransaction;

/**
 * One atomic step of one machine: what a {@link MachineState} handler sees and changes. Every
 * change (state, counters, deadline, store writes through {@link #tx()}, log lines) commits
 * together when the handler returns; actions registered with {@link #afterCommit} and
 * {@link #startOperation} run only after that commit.
 *
 * <p>Not thread safe; valid only during the handler call. Unsupported: public only for Mozpool's
 * own modules.
 */
public final class Step {
  private final MachineEngine engine;
  private final String id;
  private final StoreTransaction tx;
  private final Instant now;
  private final MachineRecord original;
  private String state;
  private final Map<String, Integer> counters;
  private Instant deadline;
  private long attempt;
  private boolean dirty;
  private boolean rechecked;
  private String pending;
  private final List<String[]> transitions = new ArrayList<>();
  private final List<LogEntry> logs = new ArrayList<>();
  private final List<Runnable> afterCommit = new ArrayList<>();
  private Map<Class<?>, Object> scratch;

  Step(MachineEngine engine, String id, StoreTransaction tx, Instant now, MachineRecord record) {
    this.engine = engine;
    this.id = id;
    this.tx = tx;
    this.now = now;
    this.original = record;
    this.state = record.state();
    this.counters = new HashMap<>(record.counters());
    this.deadline = record.deadline();
    this.attempt = record.attempt();
  }

  /** The machine's id (device name or request id). */
  public String id() {
    return id;
  }

  /** The store, inside this step's transaction. */
  public StoreTransaction tx() {
    return tx;
  }

  /** The step's time. */
  public Instant now() {
    return now;
  }

  /** The current state name. */
  public String state() {
    return state;
  }

  /** The current state-entry sequence number. */
  public long attempt() {
    return attempt;
  }

  /** The current deadline, or {@code null}. */
  public Instant deadline() {
    return deadline;
  }

  /** A counter's value (0 if unset). */
  public int counter(String name) {
    return counters.getOrDefault(name, 0);
  }

  /** Adds one to a counter and returns the new value. */
  public int increment(String name) {
    dirty = true;
    return counters.merge(name, 1, Integer::sum);
  }

  /** Sets a counter. */
  public void setCounter(String name, int value) {
    dirty = true;
    counters.put(name, value);
  }

  /** Resets every counter. */
  public void clearCounters() {
    dirty = true;
    counters.clear();
  }

  /**
   * Enters {@code next} once the current handler returns: the deadline becomes now plus its
   * timeout, the attempt number grows, and its entry action runs within this same step. Entering
   * the current state again restarts its timeout and re-runs its entry.
   */
  public void goTo(String next) {
    pending = next;
  }

  /**
   * Writes the machine when the step commits even if nothing in it changed, so that the version
   * check guards this step's other writes against a step of another instance.
   */
  public void markChanged() {
    dirty = true;
  }

  /** The state the machine was in when this step began. */
  public String stateAtStart() {
    return original.state();
  }

  /** Whether this step has entered a state (so far). */
  public boolean hasTransitions() {
    return !transitions.isEmpty();
  }

  /**
   * The value of {@code type} kept for the rest of this step, made by {@code create} on first use:
   * lets a machine's handlers gather what its commit hook writes once (e.g. a device's
   * statistics).
   */
  public <T> T scratch(Class<T> type, Supplier<T> create) {
    if (scratch == null) {
      scratch = new HashMap<>();
    }
    return type.cast(scratch.computeIfAbsent(type, k -> create.get()));
  }

  /** The value of {@code type} kept for this step, or {@code null} if none was made. */
  public <T> T scratch(Class<T> type) {
    return scratch == null ? null : type.cast(scratch.get(type));
  }

  /** Whether a transition was requested and not yet carried out. */
  boolean hasPending() {
    return pending != null;
  }

  /** Overrides the deadline (after entry set it from the state's timeout). */
  public void setDeadline(Instant deadline) {
    dirty = true;
    rechecked = false;
    this.deadline = deadline;
  }

  /**
   * Sets the deadline of a check that does no harm when it runs early (an idle device's health
   * probe, a waiting request's look at the queue). When the step changes nothing else of the
   * machine, the deadline is kept in memory only and the machine's row is not written: no commit
   * for a step that only re-arms its timer. The stored deadline stays the earlier one, so that
   * after a restart, or in an instance that adopts the machine, the check runs at once.
   */
  public void recheckAt(Instant deadline) {
    rechecked = true;
    this.deadline = deadline;
  }

  /** Whether the deadline was last set by {@link #recheckAt}. */
  boolean rechecked() {
    return rechecked;
  }

  /** Logs a line in this machine's log with the engine's default source. */
  public void log(String message) {
    log(engine.logSource(), message);
  }

  /** Logs a line in this machine's log. */
  public void log(String source, String message) {
    logs.add(new LogEntry(now, source, message));
  }

  /** Runs {@code action} after this step commits (never if it rolls back). */
  public void afterCommit(Runnable action) {
    afterCommit.add(action);
  }

  /**
   * Starts an asynchronous hardware operation after commit, on the I/O executor, bounded by
   * {@code deadline}. Its completion comes back to this machine as {@code okEvent}, or as
   * {@code failedEvent} with an {@code error} argument, tagged with the current attempt: if the
   * machine has moved on (re-entered or left the state) by then, the completion is ignored.
   */
  public void startOperation(String name, Supplier<? extends CompletionStage<?>> operation,
      Duration deadline, String okEvent, String failedEvent) {
    long tag = attempt;
    afterCommit.add(() -> engine.runOperation(id, tag, name, operation, deadline, okEvent, failedEvent));
  }

  /** Carries out pending transitions, running entry actions; bounded to catch loops. */
  void settle(java.util.function.Function<String, MachineState> states) {
    int guard = 0;
    while (pending != null) {
      if (++guard > 64) {
        throw new IllegalStateException("state machine " + id + " chained through 64 states in one"
            + " step; last " + pending);
      }
      String from = state;
      MachineState next = states.apply(pending);
      state = pending;
      pending = null;
      attempt++;
      dirty = true;
      Duration timeout = next.timeout(this);
      deadline = timeout == null ? null : now.plus(timeout);
      rechecked = false;
      transitions.add(new String[] {from, state});
      next.onEntry(this);
    }
  }

  boolean dirty() {
    return dirty;
  }

  MachineRecord original() {
    return original;
  }

  MachineRecord toRecord() {
    return new MachineRecord(state, counters, deadline, original.version(), attempt);
  }

  List<String[]> transitions() {
    return transitions;
  }

  List<LogEntry> logs() {
    return logs;
  }

  List<Runnable> afterCommitActions() {
    return afterCommit;
  }
}
