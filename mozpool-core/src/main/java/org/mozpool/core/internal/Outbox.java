package org.mozpool.core.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.mozpool.ConflictException;
import org.mozpool.MozpoolException;
import org.mozpool.NoSuchDeviceException;
import org.mozpool.NoSuchRequestException;
import org.mozpool.NotDrivenHereException;
import org.mozpool.RefusedException;
import org.mozpool.spi.Cancellable;
import org.mozpool.spi.MachineEvent;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.PoolStore;
import org.mozpool.spi.StaleStateException;
import org.mozpool.spi.TransientStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Both ends of the outbox through which instances sharing a store send each other events for the
 * machines each drives (DESIGN §9).
 *
 * <p>Sending: {@link #post} appends the event and returns a stage that completes with the outcome
 * once the driving instance has taken it (or fails after a bound). Taking: the outbox is read
 * every {@code eventPoll} and whenever the store says something arrived; each event is handed to
 * the machine's step in seq order, and marked taken in that step's own transaction, so its effect
 * and its being taken commit together: exactly once, in order per machine, whichever side restarts.
 * An event whose step refuses it (the state does not accept it) is marked taken with the refusal,
 * which is what its sender hears; a refusal changes nothing, so taking it again after a crash in
 * between would answer the same.
 */
final class Outbox implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Outbox.class);
  private static final int BATCH = 200;
  static final String OK = "ok";

  /** Takes one event here: calls the local machine's work for it. */
  interface Receiver {
    CompletionStage<Void> take(MachineEvent event);
  }

  private record Waiting(CompletableFuture<Void> answer, MachineKind kind, String machine,
      String event, long postedNanos) {}

  /** Thrown by the step of an event that another delivery took first: the step rolls back. */
  private static final class AlreadyTaken extends RuntimeException {
    private static final long serialVersionUID = 1L;

    AlreadyTaken() {
      super("event already taken", null, false, false);
    }
  }

  private final PoolStore store;
  private final String me;
  private final Duration poll;
  private final Duration answerWithin;
  private final Receiver receiver;
  private final ScheduledExecutorService thread;
  private final Map<Long, Waiting> waiting = new ConcurrentHashMap<>();
  private final Set<Long> taking = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean wakeQueued = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile Cancellable listening = () -> { };

  Outbox(PoolStore store, String me, Duration poll, Duration answerWithin, Receiver receiver) {
    this.store = store;
    this.me = me;
    this.poll = poll;
    this.answerWithin = answerWithin;
    this.receiver = receiver;
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "mozpool-outbox-" + me);
      t.setDaemon(true);
      return t;
    });
  }

  void start() {
    listening = store.listenForEvents(me, this::wake);
    thread.scheduleWithFixedDelay(this::readOnce, 0, poll.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Reads the outbox soon (at most one extra read queued at a time). */
  void wake() {
    if (!closed.get() && wakeQueued.compareAndSet(false, true)) {
      try {
        thread.execute(() -> {
          wakeQueued.set(false);
          readOnce();
        });
      } catch (java.util.concurrent.RejectedExecutionException e) {
        wakeQueued.set(false);
      }
    }
  }

  /**
   * Posts {@code event} for a machine another instance drives. The stage completes when that
   * instance has taken it: normally, or with the exception its step refused it with.
   */
  CompletableFuture<Void> post(MachineKind kind, String machine, String event,
      Map<String, String> args) {
    CompletableFuture<Void> answer = new CompletableFuture<>();
    long seq;
    try {
      seq = store.inTransaction(tx -> tx.postEvent(kind, machine, me, event, args));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    waiting.put(seq, new Waiting(answer, kind, machine, event, System.nanoTime()));
    return answer;
  }

  void readOnce() {
    if (closed.get()) {
      return;
    }
    try {
      takeEvents();
      hearOutcomes();
    } catch (RuntimeException e) {
      LOG.warn("reading the outbox of instance {} failed: {}", me, e.getMessage());
    }
  }

  private void takeEvents() {
    List<MachineEvent> pending = store.inTransaction(tx -> tx.pendingEvents(me, BATCH));
    for (MachineEvent e : pending) {
      if (!taking.add(e.seq())) {
        continue; // still being taken from an earlier read
      }
      take(e);
    }
    if (pending.size() == BATCH) {
      wake();
    }
  }

  private void take(MachineEvent e) {
    AtomicBoolean takenInStep = new AtomicBoolean();
    CompletionStage<Void> done;
    try {
      done = MachineEngine.withinNextStep(e.machine(), tx -> {
        if (!tx.takeEvent(e.seq(), OK)) {
          throw new AlreadyTaken();
        }
        takenInStep.set(true);
      }, () -> receiver.take(e));
    } catch (RuntimeException x) {
      done = CompletableFuture.failedFuture(x);
    }
    done.whenComplete((v, x) -> {
      try {
        Throwable cause = x == null ? null : Stages.unwrap(x);
        if (cause instanceof AlreadyTaken) {
          return;
        }
        if (cause == null && takenInStep.get()) {
          return; // taken with its effect
        }
        String outcome = cause == null ? OK : outcome(cause);
        if (outcome == null) {
          LOG.info("event {} ({} for {}) left for a later read: {}", e.seq(), e.event(),
              e.machine(), cause.getMessage());
          return;
        }
        store.inTransaction(tx -> tx.takeEvent(e.seq(), outcome));
      } catch (RuntimeException y) {
        LOG.warn("could not mark event {} taken: {}", e.seq(), y.getMessage());
      } finally {
        taking.remove(e.seq());
      }
    });
  }

  /** What the sender hears for a refusal; null when the event should be taken again later. */
  private static String outcome(Throwable cause) {
    if (cause instanceof NotDrivenHereException || cause instanceof TransientStoreException
        || cause instanceof StaleStateException) {
      return null; // another instance drives it now, or the store hiccuped: not ours to answer
    }
    if (cause instanceof RefusedException r) {
      return String.join("\n", "refused", r.state(), r.event(), r.reason());
    }
    if (cause instanceof ConflictException) {
      return "conflict\n" + cause.getMessage();
    }
    if (cause instanceof org.mozpool.LeaseException l) {
      String prefix = "request " + l.requestId() + ": ";
      String m = l.getMessage();
      return "lease\n" + (m.startsWith(prefix) ? m.substring(prefix.length()) : m);
    }
    if (cause instanceof NoSuchDeviceException || cause instanceof NoSuchRequestException) {
      return "unknown\n" + cause.getMessage();
    }
    return "error\n" + (cause.getMessage() == null ? cause.getClass().getSimpleName()
        : cause.getMessage());
  }

  private void hearOutcomes() {
    if (waiting.isEmpty()) {
      return;
    }
    Map<Long, String> outcomes = store.inTransaction(
        tx -> tx.eventOutcomes(new ArrayList<>(waiting.keySet())));
    long now = System.nanoTime();
    for (Map.Entry<Long, Waiting> entry : waiting.entrySet()) {
      Waiting w = entry.getValue();
      String outcome = outcomes.get(entry.getKey());
      if (outcome != null) {
        waiting.remove(entry.getKey());
        answer(w, outcome);
      } else if (now - w.postedNanos() > answerWithin.toNanos()) {
        waiting.remove(entry.getKey());
        w.answer().completeExceptionally(new TimeoutException("no instance took " + w.event()
            + " for " + w.machine() + " within " + answerWithin + " (its instance may be dead"
            + " and not yet adopted); it stays in the outbox"));
      }
    }
  }

  private static void answer(Waiting w, String outcome) {
    String[] part = outcome.split("\n", 4);
    switch (part[0]) {
      case OK -> w.answer().complete(null);
      case "refused" -> w.answer().completeExceptionally(new RefusedException(w.machine(),
          part.length > 2 ? part[2] : w.event(), part.length > 1 ? part[1] : "?",
          part.length > 3 ? part[3] : ""));
      case "conflict" -> w.answer().completeExceptionally(new ConflictException(rest(part)));
      case "lease" -> w.answer().completeExceptionally(
          new org.mozpool.LeaseException(w.machine(), rest(part)));
      case "unknown" -> w.answer().completeExceptionally(w.kind() == MachineKind.DEVICE
          ? new NoSuchDeviceException(w.machine()) : new NoSuchRequestException(w.machine()));
      default -> w.answer().completeExceptionally(new MozpoolException(
          w.event() + " for " + w.machine() + " failed on its instance: " + rest(part)));
    }
  }

  private static String rest(String[] part) {
    return part.length > 1 ? String.join(" ", java.util.Arrays.copyOfRange(part, 1, part.length))
        : "";
  }


  /** Fails what still waits for an answer, and stops reading. Idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      listening.cancel();
      BackgroundWork.stopWithoutInterrupt(thread); // see BackgroundWork
      for (Waiting w : waiting.values()) {
        w.answer().completeExceptionally(new IllegalStateException("the pool is closed"));
      }
      waiting.clear();
    }
  }

}
