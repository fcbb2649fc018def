package org.mozpool.benchmarks;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.mozpool.DeviceSpec;
import org.mozpool.HardwareType;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH micro-benchmark: the in-memory store's share of one engine step, a transaction that reads a
 * device machine and writes it back with the version check, in a store of {@code devices}
 * devices. It is the floor under every step of the end-to-end benchmarks.
 *
 * <pre>
 * java -cp "benchmarks/target/mozpool-benchmarks.jar:benchmarks/target/lib/*" org.openjdk.jmh.Main StoreStepBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class StoreStepBenchmark {
  @Param({"1000", "100000"})
  int devices;

  private InMemoryPoolStore store;
  private String[] names;
  private int next;

  @Setup
  public void fill() {
    store = new InMemoryPoolStore();
    names = new String[devices];
    for (int i = 0; i < devices; i++) {
      names[i] = Lab.name(i);
    }
    store.inTransaction(tx -> {
      tx.putHardwareType(HardwareType.of("panda"));
      for (int i = 0; i < devices; i++) {
        tx.insertDevice(new DeviceRecord(DeviceSpec.builder(names[i])
            .mac(String.format("%012x", i)).hardwareType("panda").build(), "", Map.of(), "",
            Map.of(), "", MachineRecord.initial("ready", Instant.EPOCH)));
      }
      return null;
    });
  }

  @Benchmark
  public MachineRecord readAndWriteOneMachine() {
    String id = names[next++ % devices];
    return store.inTransaction(tx -> {
      MachineRecord m = tx.machine(MachineKind.DEVICE, id).orElseThrow();
      MachineRecord n = new MachineRecord(m.state(), m.counters(), m.deadline().plusSeconds(10),
          m.version(), m.attempt() + 1);
      tx.updateMachine(MachineKind.DEVICE, id, m.version(), n);
      return n;
    });
  }
}
