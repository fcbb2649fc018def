package org.mozpool.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.mozpool.DeviceSpec;
import org.mozpool.LogEntry;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.core.VirtualTimekeeper;
import org.mozpool.spi.Cancellable;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;
import org.mozpool.spi.PoolStore;
import org.mozpool.spi.StoreTransaction;
import org.mozpool.spi.Timekeeper;
import org.mozpool.spi.TransientStoreException;

/** The engine of DESIGN §4 on a toy machine: waiting --op--> working, with a 60 s timeout. */
class MachineEngineTest {
  private final VirtualTimekeeper time = new VirtualTimekeeper();
  private final InMemoryPoolStore memory = new InMemoryPoolStore();
  private final List<CompletableFuture<Void>> operations = new ArrayList<>();
  /** Whether the toy driver's operations are already on the hardware (they refuse to cancel). */
  private boolean operationsReachHardwareAtOnce;
  private int driverCalls;

  /** A stage whose operation has reached the hardware: it runs to its end, cancel is refused. */
  private static final class OnTheHardware extends CompletableFuture<Void> {
    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      return false;
    }
  }

  private CompletableFuture<Void> driverCall() {
    driverCalls++;
    CompletableFuture<Void> f = operationsReachHardwareAtOnce ? new OnTheHardware()
        : new CompletableFuture<>();
    operations.add(f);
    return f;
  }
  private final List<String> transitions = new ArrayList<>();

  private final MachineState waiting = new MachineState() {
    @Override
    public String name() {
      return "waiting";
    }

    @Override
    public Duration timeout() {
      return Duration.ofSeconds(60);
    }

    @Override
    public void onEntry(Step step) {
      step.startOperation("op", MachineEngineTest.this::driverCall, Duration.ofSeconds(30),
          "op_ok", "op_failed");
    }

    @Override
    public void onEvent(Step step, String event, Map<String, Object> args) {
      switch (event) {
        case "op_ok" -> step.goTo("working");
        case "again" -> step.goTo("waiting");
        case "stop" -> step.goTo("working");
        default -> MachineState.super.onEvent(step, event, args);
      }
    }

    @Override
    public void onTimeout(Step step) {
      step.increment("timeouts");
      step.goTo("waiting");
    }
  };

  private final MachineState working = new MachineState() {
    @Override
    public String name() {
      return "working";
    }

    @Override
    public Duration timeout() {
      return null;
    }
  };

  /** Starts an operation on entry and leaves at once, in the same step. */
  private final MachineState passing = new MachineState() {
    @Override
    public String name() {
      return "passing";
    }

    @Override
    public Duration timeout() {
      return Duration.ofSeconds(60);
    }

    @Override
    public void onEntry(Step step) {
      step.startOperation("op", MachineEngineTest.this::driverCall, Duration.ofSeconds(30),
          "op_ok", "op_failed");
      step.goTo("working");
    }
  };

  /** When the idle check of state {@code checking} ran. */
  private final List<Instant> checks = new ArrayList<>();

  /** An idle check: its timeout only re-arms itself, with {@link Step#recheckAt}. */
  private final MachineState checking = new MachineState() {
    @Override
    public String name() {
      return "checking";
    }

    @Override
    public Duration timeout() {
      return Duration.ofSeconds(60);
    }

    @Override
    public void onTimeout(Step step) {
      checks.add(step.now());
      step.recheckAt(step.now().plusSeconds(60));
    }
  };

  private MachineEngine engine(PoolStore store) {
    return engine(store, MachineEngine.Observer.NONE);
  }

  private MachineEngine engine(PoolStore store, MachineEngine.Observer observer) {
    return new MachineEngine(MachineKind.DEVICE, store, time,
        Map.of("waiting", waiting, "working", working, "passing", passing, "checking", checking),
        working, "test", (id, from, to) -> transitions.add(from + "->" + to), observer);
  }

  @Test
  void aCheckThatOnlyReArmsItselfWritesNothingRunsOnTimeAndRunsAtOnceAfterARestart() {
    Instant t0 = time.now();
    insertDevice("checking", t0.plusSeconds(60));
    MachineRecord stored = machine();
    List<Duration> lateness = new ArrayList<>();
    MachineEngine engine = engine(memory, new MachineEngine.Observer() {
      @Override
      public void timerFired(Duration late) {
        lateness.add(late);
      }

      @Override
      public void stepRetried(boolean transientStoreFailure) {}
    });
    engine.resume();

    time.advance(Duration.ofSeconds(200));

    assertThat(checks).containsExactly(t0.plusSeconds(60), t0.plusSeconds(120),
        t0.plusSeconds(180));
    assertThat(lateness).as("each timer measured against its own deadline")
        .containsOnly(Duration.ZERO);
    assertThat(machine()).as("never written").isEqualTo(stored);

    engine.close();
    checks.clear();
    Instant restart = time.now();
    engine(memory).resume();
    time.runDueTasks();
    assertThat(checks).as("the stored deadline is long past: checked at once")
        .containsExactly(restart);
    time.advance(Duration.ofSeconds(60));
    assertThat(checks).containsExactly(restart, restart.plusSeconds(60));
  }

  @Test
  void aStepThatChangesItsMachineWritesTheRecheckDeadlineWithIt() {
    insertDevice("working", null);
    MachineEngine engine = engine(memory);

    engine.submit("d1", step -> {
      step.recheckAt(time.now().plusSeconds(30));
      step.increment("changes");
    });
    time.runDueTasks();

    assertThat(machine().deadline()).isEqualTo(time.now().plusSeconds(30));
    assertThat(machine().counter("changes")).isEqualTo(1);
  }

  private void insertDevice(String state, Instant deadline) {
    memory.inTransaction(tx -> {
      tx.insertDevice(new DeviceRecord(DeviceSpec.builder("d1").mac("000000000001")
          .hardwareType("panda").build(), "", Map.of(), "", Map.of(), "",
          MachineRecord.initial(state, deadline)));
      return null;
    });
  }

  private MachineRecord machine() {
    return memory.inTransaction(tx -> tx.machine(MachineKind.DEVICE, "d1")).orElseThrow();
  }

  private List<String> log() {
    return memory.inTransaction(tx -> tx.log(MachineKind.DEVICE, "d1", 100)).stream()
        .map(LogEntry::message).toList();
  }

  @Test
  void aCompletionFromAnEarlierAttemptIsIgnored() {
    operationsReachHardwareAtOnce = true; // so that the first one completes after all
    insertDevice("working", null);
    MachineEngine engine = engine(memory);
    engine.submit("d1", step -> step.goTo("waiting"));
    time.runDueTasks();
    engine.send("d1", "again", Map.of());
    time.runDueTasks();
    assertThat(operations).hasSize(2);

    operations.get(0).complete(null);
    time.runDueTasks();
    assertThat(machine().state()).isEqualTo("waiting");
    assertThat(log()).anyMatch(l -> l.startsWith("ignored op_ok from attempt 1"));

    operations.get(1).complete(null);
    time.runDueTasks();
    assertThat(machine().state()).isEqualTo("working");
  }

  @Test
  void anOperationThatNeverAnswersFailsAtItsDeadline() {
    insertDevice("working", null);
    MachineEngine engine = engine(memory);
    engine.submit("d1", step -> step.goTo("waiting"));
    time.advance(Duration.ofSeconds(31));

    assertThat(log()).anyMatch(l -> l.startsWith("op failed: op took longer than PT30S"));
    assertThat(machine().state()).isEqualTo("waiting");
  }

  @Test
  void timeoutsFireAndReEnterWithCounters() {
    insertDevice("working", null);
    MachineEngine engine = engine(memory);
    engine.submit("d1", step -> step.goTo("waiting"));
    time.advance(Duration.ofSeconds(125));

    assertThat(machine().counter("timeouts")).isEqualTo(2);
    assertThat(machine().deadline()).isEqualTo(time.now().minusSeconds(5).plusSeconds(60));
    assertThat(transitions).containsExactly("working->waiting", "waiting->waiting", "waiting->waiting");
  }

  @Test
  void aTimerThatFiresBeforeItsDeadlineIsReArmedNotLost() {
    insertDevice("waiting", time.now().plusSeconds(60));
    AtomicInteger scheduled = new AtomicInteger();
    // A scheduler that rounds the first delay down by a millisecond, as truncating to whole
    // milliseconds did: the timer fires while the stored deadline is still in the future.
    Timekeeper early = new Timekeeper() {
      @Override
      public java.time.Clock clock() {
        return time.clock();
      }

      @Override
      public Cancellable schedule(Instant when, Runnable task) {
        return time.schedule(scheduled.getAndIncrement() == 0 ? when.minusMillis(1) : when, task);
      }

      @Override
      public java.util.concurrent.Executor workers() {
        return time.workers();
      }

      @Override
      public java.util.concurrent.Executor io() {
        return time.io();
      }

      @Override
      public <T> T await(java.util.concurrent.CompletionStage<T> stage, Duration timeout) {
        return time.await(stage, timeout);
      }

      @Override
      public void close() {}
    };
    MachineEngine engine = new MachineEngine(MachineKind.DEVICE, memory, early,
        Map.of("waiting", waiting, "working", working), working, "test", (id, from, to) -> {});
    engine.resume();
    time.advance(Duration.ofSeconds(61));

    assertThat(machine().counter("timeouts")).isEqualTo(1);
  }

  @Test
  void aRestartedEngineFiresOverdueTimeoutsAtOnce() {
    insertDevice("waiting", time.now().plusSeconds(60));
    engine(memory).close(); // the first instance dies without ever arming
    time.advance(Duration.ofMinutes(10));

    engine(memory).resume();
    time.runDueTasks();

    assertThat(machine().counter("timeouts")).isEqualTo(1);
  }

  @Test
  void aStepThatLosesTheVersionRaceIsRetriedFromFreshState() {
    insertDevice("working", null);
    AtomicInteger interfered = new AtomicInteger();
    PoolStore racing = new PoolStore() {
      @Override
      public <T> T inTransaction(Function<StoreTransaction, T> work) {
        if (interfered.getAndIncrement() == 0) {
          // another instance commits between our read and our write
          return memory.inTransaction(tx -> {
            T result = work.apply(new ForwardingTx(tx) {
              @Override
              public void updateMachine(MachineKind kind, String id, long expected, MachineRecord next) {
                memory.inTransaction(other -> { // commits on its own (the lock is reentrant)
                  MachineRecord current = other.machine(kind, id).orElseThrow();
                  other.updateMachine(kind, id, current.version(), current);
                  return null;
                });
                tx.updateMachine(kind, id, expected, next);
              }
            });
            return result;
          });
        }
        return memory.inTransaction(work);
      }

      @Override
      public void close() {}
    };
    MachineEngine engine = engine(racing);
    engine.submit("d1", step -> step.increment("steps"));
    time.runDueTasks();

    assertThat(machine().counter("steps")).isEqualTo(1);
    assertThat(machine().version()).isEqualTo(2); // the interloper's write plus ours, once
  }

  @Test
  void aTransientStoreFailureIsRetriedAndNothingIsAppliedTwice() {
    insertDevice("working", null);
    AtomicInteger calls = new AtomicInteger();
    PoolStore flaky = new PoolStore() {
      @Override
      public <T> T inTransaction(Function<StoreTransaction, T> work) {
        return memory.inTransaction(tx -> {
          T result = work.apply(tx);
          if (calls.incrementAndGet() <= 2) {
            throw new TransientStoreException("connection reset", new SQLException("08006"));
          }
          return result;
        });
      }

      @Override
      public void close() {}
    };
    CompletableFuture<Void> step = engine(flaky).submit("d1", s -> {
      s.increment("steps");
      s.log("stepped");
    });
    time.advance(Duration.ofSeconds(5));

    assertThat(step).isCompleted();
    assertThat(machine().counter("steps")).isEqualTo(1);
    assertThat(log()).containsExactly("stepped");
  }

  @Test
  void aTimeoutWhoseStepKeepsFailingIsRetriedLaterNotDropped() {
    insertDevice("waiting", time.now().plusSeconds(60));
    AtomicInteger failures = new AtomicInteger();
    PoolStore down = new PoolStore() {
      @Override
      public <T> T inTransaction(Function<StoreTransaction, T> work) {
        if (time.now().isBefore(Instant.parse("2026-01-05T00:05:00Z"))) {
          failures.incrementAndGet();
          throw new org.mozpool.StoreException("database is down");
        }
        return memory.inTransaction(work);
      }

      @Override
      public void close() {}
    };
    MachineEngine engine = engine(down);
    engine.arm("d1", time.now().plusSeconds(60));
    time.advance(Duration.ofSeconds(330));

    assertThat(failures.get()).isGreaterThan(1);
    assertThat(machine().counter("timeouts")).isEqualTo(1);
  }

  @Test
  void anEventRetriedAfterAStoreFailureIsNeverOvertakenByTheNextOne() {
    insertDevice("working", null);
    AtomicInteger calls = new AtomicInteger();
    PoolStore flakyOnce = new PoolStore() {
      @Override
      public <T> T inTransaction(Function<StoreTransaction, T> work) {
        if (calls.incrementAndGet() == 1) {
          throw new TransientStoreException("connection reset", new SQLException("08006"));
        }
        return memory.inTransaction(work);
      }

      @Override
      public void close() {}
    };
    MachineEngine engine = engine(flakyOnce);
    engine.submit("d1", s -> s.log("first"));
    engine.submit("d1", s -> s.log("second"));
    time.advance(Duration.ofSeconds(5));

    assertThat(log()).containsExactly("first", "second");
  }

  @Test
  void aCommitWhoseAnswerWasLostStillLeavesTheMachineWithATimer() {
    insertDevice("working", null);
    AtomicInteger calls = new AtomicInteger();
    PoolStore lostAnswer = new PoolStore() {
      @Override
      public <T> T inTransaction(Function<StoreTransaction, T> work) {
        T result = memory.inTransaction(work);
        if (calls.incrementAndGet() == 1) {
          throw new TransientStoreException("connection lost during COMMIT", new SQLException("08006"));
        }
        return result;
      }

      @Override
      public void close() {}
    };
    MachineEngine engine = engine(lostAnswer);
    engine.submit("d1", step -> {
      if (step.state().equals("working")) {
        step.goTo("waiting");
      }
    });
    time.advance(Duration.ofSeconds(61));

    assertThat(machine().counter("timeouts")).as("the waiting state's timeout fired").isEqualTo(1);
  }

  @Test
  void anOperationWhoseDeadlinePassedHasItsStageCancelled() {
    insertDevice("working", null);
    MachineEngine engine = engine(memory);
    engine.submit("d1", step -> step.goTo("waiting"));
    time.advance(Duration.ofSeconds(31));

    assertThat(operations).hasSize(1);
    assertThat(operations.get(0)).isCancelled();
    assertThat(log()).anyMatch(l -> l.startsWith("op failed: op took longer than PT30S"));
  }

  @Test
  void anOperationWhoseAttemptWasSupersededHasItsStageCancelledAndTheNewOneRuns() {
    insertDevice("working", null);
    MachineEngine engine = engine(memory);
    engine.submit("d1", step -> step.goTo("waiting"));
    time.runDueTasks();
    engine.send("d1", "again", Map.of());
    time.runDueTasks();

    assertThat(operations).hasSize(2);
    assertThat(operations.get(0)).isCancelled();
    assertThat(operations.get(1)).isNotDone();
    assertThat(log()).as("a cancelled operation reports nothing").noneMatch(l -> l.contains("op_failed"));

    operations.get(1).complete(null);
    time.runDueTasks();
    assertThat(machine().state()).isEqualTo("working");
  }

  @Test
  void anOperationWhoseMachineLeftTheStateHasItsStageCancelled() {
    insertDevice("working", null);
    MachineEngine engine = engine(memory);
    engine.submit("d1", step -> step.goTo("waiting"));
    time.runDueTasks();
    engine.send("d1", "stop", Map.of());
    time.runDueTasks();

    assertThat(machine().state()).isEqualTo("working");
    assertThat(operations).singleElement().satisfies(f -> assertThat(f).isCancelled());
  }

  @Test
  void anOperationStartedByAStateTheSameStepLeftNeverReachesTheDriver() {
    insertDevice("working", null);
    MachineEngine engine = engine(memory);
    engine.submit("d1", step -> step.goTo("passing"));
    time.advance(Duration.ofSeconds(61));

    assertThat(machine().state()).isEqualTo("working");
    assertThat(driverCalls).isZero();
  }

  @Test
  void anOperationAlreadyOnTheHardwareIsLeftToFinishAndItsLateCompletionIgnored() {
    operationsReachHardwareAtOnce = true;
    insertDevice("working", null);
    MachineEngine engine = engine(memory);
    engine.submit("d1", step -> step.goTo("waiting"));
    time.runDueTasks();
    engine.send("d1", "stop", Map.of());
    time.runDueTasks();

    assertThat(operations.get(0)).isNotDone();
    operations.get(0).complete(null);
    time.runDueTasks();
    assertThat(log()).anyMatch(l -> l.startsWith("ignored op_ok from attempt 1"));
  }

  @Test
  void closingTheEngineCancelsItsOperations() {
    insertDevice("working", null);
    MachineEngine engine = engine(memory);
    engine.submit("d1", step -> step.goTo("waiting"));
    time.runDueTasks();
    engine.close();

    assertThat(operations).singleElement().satisfies(f -> assertThat(f).isCancelled());
  }
}
