package org.mozpool.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.DeviceSpec;
import org.mozpool.DeviceStates;
import org.mozpool.HardwareType;
import org.mozpool.Image;
import org.mozpool.LogEntry;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;

/**
 * The embedded H2 store's file does not grow with every commit: the space of superseded commits
 * is reused once H2's retention time has passed, as H2's own background writer would arrange if
 * a durable store did not turn it off; and closing the store while that work runs leaves a file
 * H2 has no complaint about.
 */
class H2FileCompactionTest {
  private static final int DEVICES = 8;
  private static final int COMMITS_PER_ROUND = 2_000;

  @TempDir
  Path dir;

  @Test
  void aBusyStoreReusesTheSpaceOfItsSupersededCommits() throws Exception {
    Path file = dir.resolve("mozpool.mv.db");
    JdbcPoolStore store = JdbcPoolStore.h2(dir.resolve("mozpool"));
    try {
      register(store);
      transitions(store, COMMITS_PER_ROUND);
      long afterFirstRound = Files.size(file);
      for (int round = 0; round < 2; round++) {
        // Real time, not simulated: H2 keeps a superseded chunk for its retention time.
        Thread.sleep(H2FileCompaction.RETENTION.plus(H2FileCompaction.PERIOD).toMillis());
        transitions(store, COMMITS_PER_ROUND);
      }
      long afterThreeRounds = Files.size(file);
      // Every commit writes a new chunk of at least one 4 KiB block: without reuse, three rounds
      // take three times the blocks of one.
      assertThat(afterThreeRounds)
          .as("file after 3 rounds of %d commits (after 1 round: %d bytes)", COMMITS_PER_ROUND,
              afterFirstRound)
          .isLessThan(2 * afterFirstRound);
    } finally {
      store.close();
    }
    Path trace = dir.resolve("mozpool.trace.db");
    assertThat(Files.exists(trace) ? Files.readString(trace) : "")
        .as("H2's error trace after closing a busy store").isEmpty();
  }

  private static void register(JdbcPoolStore store) {
    store.inTransaction(tx -> {
      tx.putHardwareType(HardwareType.of("panda"));
      tx.putImage(Image.builder("android").build());
      for (int i = 0; i < DEVICES; i++) {
        tx.insertDevice(new DeviceRecord(DeviceSpec.builder("panda-" + i)
            .mac(String.format("%012x", i + 1)).hardwareType("panda").build(), "android",
            Map.of(), "", Map.of(), "", MachineRecord.initial(DeviceStates.READY,
                Instant.now().plus(Duration.ofHours(1)))));
      }
      return null;
    });
  }

  /** {@code commits} Lifeguard-like steps: read a device's machine, write it back, log a line. */
  private static void transitions(JdbcPoolStore store, int commits) {
    for (int i = 0; i < commits; i++) {
      String id = "panda-" + (i % DEVICES);
      store.inTransaction(tx -> {
        MachineRecord m = tx.machine(MachineKind.DEVICE, id).orElseThrow();
        String next = m.state().equals(DeviceStates.READY) ? "pc_power_cycling"
            : DeviceStates.READY;
        tx.updateMachine(MachineKind.DEVICE, id, m.version(), new MachineRecord(next,
            m.counters(), Instant.now().plus(Duration.ofHours(1)), m.version(), m.attempt()));
        tx.appendLog(MachineKind.DEVICE, id, new LogEntry(Instant.now(), "lifeguard",
            "entering state " + next));
        return null;
      });
    }
  }
}
