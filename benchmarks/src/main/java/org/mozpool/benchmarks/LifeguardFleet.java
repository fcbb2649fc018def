package org.mozpool.benchmarks;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Function;
import org.mozpool.DeviceStates;
import org.mozpool.Mozpool;
import org.mozpool.Pool;
import org.mozpool.core.SystemTimekeeper;
import org.mozpool.lifeguard.LifeguardPolicy;
import org.mozpool.lifeguard.StandardLifeguard;
import org.mozpool.spi.DeviceProbe;
import org.mozpool.spi.DeviceTarget;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;
import org.mozpool.spi.PoolStore;
import org.mozpool.spi.StoreTransaction;
import org.mozpool.testkit.doubles.ScriptedHardware;

/**
 * The real thing for benchmark 1: a pool with the standard Lifeguard over {@code devices} devices
 * stored in {@code ready}, whose idle-probe interval ({@code ready}'s timeout) is the short
 * {@code period}, with a probe that answers at once. Lifeguard's {@code ready} timeout re-arms
 * itself in the same step (deadline = step time + period), so a store that watches machine
 * writes sees exactly when each timeout step ran: lag = (new deadline − period) − old deadline.
 */
final class LifeguardFleet implements AutoCloseable {
  private final Stores.Target target;
  private final SystemTimekeeper time;
  private final Pool pool;
  final AtomicLongArray deadlineMicros;
  final AtomicLong timeouts = new AtomicLong();
  final AtomicLong probes = new AtomicLong();
  volatile LagHistogram window = new LagHistogram();

  LifeguardFleet(String storeName, int devices, Duration period, Instant start, Instant measureFrom,
      LagHistogram lag) {
    this.target = Stores.target(storeName);
    this.deadlineMicros = new AtomicLongArray(devices);
    long periodMicros = period.toNanos() / 1000;
    long measureFromMicros = micros(measureFrom);
    PoolStore store = target.store;
    store.start();
    Lab.storeReadyFleet(store, devices, start, period);
    for (int i = 0; i < devices; i++) {
      deadlineMicros.set(i, micros(Lab.staggeredDeadline(i, devices, start, period)));
    }
    PoolStore watched = new PoolStore() {
      @Override
      public void start() {
        store.start();
      }

      @Override
      public <T> T inTransaction(Function<StoreTransaction, T> work) {
        return store.inTransaction(tx -> work.apply(watch(tx, next -> {
          // A ready machine whose deadline moved: its timeout step ran at (deadline − period).
          int i = DevicesPerInstance.index(next.id);
          long ran = next.deadlineMicros - periodMicros;
          long was = deadlineMicros.getAndSet(i, next.deadlineMicros);
          if (ran >= was) {
            timeouts.incrementAndGet();
            long lagNanos = (ran - was) * 1000;
            if (ran >= measureFromMicros) {
              lag.add(lagNanos);
            }
            window.add(lagNanos);
          }
        })));
      }

      @Override
      public void close() {}
    };
    DeviceProbe probe = new DeviceProbe() {
      @Override
      public CompletionStage<Void> ping(DeviceTarget device, Duration deadline) {
        probes.incrementAndGet();
        return CompletableFuture.completedFuture(null);
      }

      @Override
      public CompletionStage<Void> verifyAgent(DeviceTarget device, Duration deadline) {
        probes.incrementAndGet();
        return CompletableFuture.completedFuture(null);
      }

      @Override
      public CompletionStage<Void> checkStorage(DeviceTarget device, Duration deadline) {
        return CompletableFuture.completedFuture(null);
      }
    };
    // Ready devices that answer their probes are never power-cycled or re-imaged here; the
    // drivers are given only because the standard Lifeguard needs them to be built.
    this.time = new SystemTimekeeper();
    ScriptedHardware unused = new ScriptedHardware(time);
    for (ScriptedHardware.Operation op : ScriptedHardware.Operation.values()) {
      unused.otherwise(op).failsWith(new IllegalStateException(
          op + " was not expected in this benchmark"));
    }
    this.pool = Mozpool.builder().store(watched).timekeeper(time).deviceProbe(probe)
        .powerControl(unused).bootControl(unused)
        .lifeguard(StandardLifeguard.factory(LifeguardPolicy.defaults()
            .withTimeout(DeviceStates.READY, period)))
        .build();
  }

  private record Write(String id, long deadlineMicros) {}

  private static StoreTransaction watch(StoreTransaction tx, java.util.function.Consumer<Write> seen) {
    return (StoreTransaction) Proxy.newProxyInstance(StoreTransaction.class.getClassLoader(),
        new Class<?>[] {StoreTransaction.class}, (proxy, method, args) -> {
          if (method.getName().equals("updateMachine") && args[0] == MachineKind.DEVICE) {
            MachineRecord next = (MachineRecord) args[3];
            if (DeviceStates.READY.equals(next.state()) && next.deadline() != null) {
              seen.accept(new Write((String) args[1], micros(next.deadline())));
            }
          }
          try {
            return method.invoke(tx, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  static long micros(Instant t) {
    return t.getEpochSecond() * 1_000_000 + t.getNano() / 1000;
  }

  @Override
  public void close() {
    pool.close();
    time.close();
    target.close();
  }
}
