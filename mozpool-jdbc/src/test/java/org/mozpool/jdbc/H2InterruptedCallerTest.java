package org.mozpool.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.DeviceSpec;
import org.mozpool.DeviceStates;
import org.mozpool.HardwareType;
import org.mozpool.Image;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;

/**
 * An embedder's thread interrupted while it commits to the embedded H2 store (a test harness's
 * timeout, a cancelled future) does not break the store for anybody else: Java closes a file
 * channel under an interrupted thread, and H2 then declared its whole database closed.
 */
class H2InterruptedCallerTest {
  @TempDir
  Path dir;

  @Test
  void interruptingACommittingThreadLeavesTheStoreWorking() throws Exception {
    try (JdbcPoolStore store = JdbcPoolStore.h2(dir.resolve("mozpool"))) {
      store.inTransaction(tx -> {
        tx.putHardwareType(HardwareType.of("panda"));
        tx.putImage(Image.builder("android").build());
        tx.insertDevice(new DeviceRecord(DeviceSpec.builder("panda-1").mac("000000000001")
            .hardwareType("panda").build(), "android", Map.of(), "", Map.of(), "",
            MachineRecord.initial(DeviceStates.READY, Instant.now().plus(Duration.ofHours(1)))));
        return null;
      });
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger commits = new AtomicInteger();
      Thread caller = new Thread(() -> {
        while (!stop.get()) {
          try {
            store.inTransaction(tx -> {
              MachineRecord m = tx.machine(MachineKind.DEVICE, "panda-1").orElseThrow();
              tx.updateMachine(MachineKind.DEVICE, "panda-1", m.version(), new MachineRecord(
                  m.state(), m.counters(), m.deadline().plusSeconds(1), m.version(),
                  m.attempt()));
              return null;
            });
            commits.incrementAndGet();
          } catch (RuntimeException e) {
            // the interrupted transaction may fail; the next must not
          }
          Thread.interrupted();
        }
      });
      caller.start();
      for (int i = 0; i < 200; i++) {
        Thread.sleep(2); // real time: interrupts land at random points of the caller's commits
        caller.interrupt();
      }
      stop.set(true);
      caller.join();

      int before = commits.get();
      java.util.Optional<MachineRecord> after =
          store.inTransaction(tx -> tx.machine(MachineKind.DEVICE, "panda-1"));
      assertThat(after).as("the store after %d commits under interrupts", before).isPresent();
    }
  }
}
