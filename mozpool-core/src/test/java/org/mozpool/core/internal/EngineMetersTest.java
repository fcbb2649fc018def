package org.mozpool.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.mozpool.DeviceSpec;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.core.VirtualTimekeeper;
import org.mozpool.spi.Cancellable;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;
import org.mozpool.spi.PoolStore;
import org.mozpool.spi.StaleStateException;
import org.mozpool.spi.StoreTransaction;
import org.mozpool.spi.Timekeeper;
import org.mozpool.spi.TransientStoreException;

/** The engine's meters: how late its timers fire and how often its steps are retried. */
class EngineMetersTest {
  private final VirtualTimekeeper time = new VirtualTimekeeper();
  private final InMemoryPoolStore memory = new InMemoryPoolStore();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

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
    public void onTimeout(Step step) {
      step.goTo("done");
    }
  };

  private final MachineState done = new MachineState() {
    @Override
    public String name() {
      return "done";
    }

    @Override
    public Duration timeout() {
      return null;
    }
  };

  private MachineEngine engine(PoolStore store, Timekeeper timekeeper) {
    return new MachineEngine(MachineKind.DEVICE, store, timekeeper,
        Map.of("waiting", waiting, "done", done), done, "test", (id, from, to) -> {},
        PoolMeters.engineObserver(Optional.of(registry), MachineKind.DEVICE));
  }

  private void insertDevice(String name, Instant deadline) {
    memory.inTransaction(tx -> {
      tx.insertDevice(new DeviceRecord(DeviceSpec.builder(name).mac("00000000000" + name.length())
          .hardwareType("panda").build(), "", Map.of(), "", Map.of(), "",
          MachineRecord.initial("waiting", deadline)));
      return null;
    });
  }

  private double retries(String cause) {
    return registry.get("mozpool.store.retries").tag("caller", "engine").tag("cause", cause)
        .counter().count();
  }

  @Test
  void aTimerThatFiresThreeSecondsLateIsRecordedAsThreeSecondsOfLag() {
    insertDevice("d1", time.now().plusSeconds(60));
    try (MachineEngine engine = engine(memory, new LateTimekeeper(time, Duration.ofSeconds(3)))) {
      engine.resume();
      time.advance(Duration.ofSeconds(70));
    }

    var lag = registry.get("mozpool.engine.lag").tag("machine", "device").timer();
    assertThat(lag.count()).isEqualTo(1);
    assertThat(lag.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(3000.0);
  }

  @Test
  void aTimerOnTimeIsRecordedWithNoLag() {
    insertDevice("d1", time.now().plusSeconds(60));
    try (MachineEngine engine = engine(memory, time)) {
      engine.resume();
      time.advance(Duration.ofSeconds(70));
    }

    var lag = registry.get("mozpool.engine.lag").tag("machine", "device").timer();
    assertThat(lag.count()).isEqualTo(1);
    assertThat(lag.max(TimeUnit.NANOSECONDS)).isZero();
  }

  @Test
  void everyTransientFailureAndEveryLostRaceOfAStepIsCountedAsOneRetry() {
    insertDevice("d1", null);
    AtomicInteger transientLeft = new AtomicInteger(3);
    AtomicInteger staleLeft = new AtomicInteger(2);
    PoolStore flaky = new PoolStore() {
      @Override
      public void start() {}

      @Override
      public <T> T inTransaction(Function<StoreTransaction, T> work) {
        if (transientLeft.getAndDecrement() > 0) {
          throw new TransientStoreException("simulated connection loss", null);
        }
        if (staleLeft.getAndDecrement() > 0) {
          throw new StaleStateException(MachineKind.DEVICE, "d1", 1, 2);
        }
        return memory.inTransaction(work);
      }

      @Override
      public void close() {}
    };
    try (MachineEngine engine = engine(flaky, time)) {
      var sent = engine.send("d1", "anything", Map.of());
      time.advance(Duration.ofMinutes(1));
      assertThat(sent).isCompleted();
    }

    assertThat(retries("transient")).isEqualTo(3.0);
    assertThat(retries("conflict")).isEqualTo(2.0);
  }

  @Test
  void withoutARegistryTheObserverIsTheSharedNoOp() {
    assertThat(PoolMeters.engineObserver(Optional.empty(), MachineKind.REQUEST))
        .isSameAs(MachineEngine.Observer.NONE);
    assertThat(PoolMeters.of(Optional.empty()).enabled()).isFalse();
  }

  /** Fires every timer {@code late} after its time, as an overloaded scheduler would. */
  private record LateTimekeeper(VirtualTimekeeper time, Duration late) implements Timekeeper {
    @Override
    public java.time.Clock clock() {
      return time.clock();
    }

    @Override
    public Cancellable schedule(Instant when, Runnable task) {
      return time.schedule(when.plus(late), task);
    }

    @Override
    public Executor workers() {
      return time.workers();
    }

    @Override
    public Executor io() {
      return time.io();
    }

    @Override
    public <T> T await(CompletionStage<T> stage, Duration timeout) {
      return time.await(stage, timeout);
    }

    @Override
    public <T> java.util.concurrent.CompletableFuture<T> newStage() {
      return time.newStage();
    }

    @Override
    public void close() {}
  }
}
