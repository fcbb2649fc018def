package org.mozpool.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.DeviceSpec;
import org.mozpool.NoSuchDeviceException;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;
import org.mozpool.spi.StaleStateException;

/**
 * {@code mozpool.store.transactions}: every transaction timed once, under its outcome (dropped
 * connections, timed as {@code transient}, are checked per server by {@link
 * ConnectionLossContract}).
 */
class JdbcStoreMetersTest {
  private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");

  @TempDir
  Path dir;

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private long count(String outcome) {
    Timer t = registry.find("mozpool.store.transactions").tag("outcome", outcome)
        .tag("database", "h2").timer();
    return t == null ? 0 : t.count();
  }

  @Test
  void commitsConflictsAndRefusalsAreEachTimedUnderTheirOutcome() {
    try (JdbcPoolStore store = JdbcPoolStore.h2(dir.resolve("m"),
        JdbcPoolStore.Options.builder().poolSize(2).meterRegistry(registry).build())) {
      store.start();
      store.inTransaction(t -> {
        t.insertDevice(new DeviceRecord(DeviceSpec.builder("panda-1").mac("001122334455")
            .hardwareType("panda").build(), "", Map.of(), "", Map.of(), "",
            MachineRecord.initial("ready", NOW)));
        return null;
      });
      long committedBefore = count("committed");
      store.inTransaction(t -> t.devices());
      store.inTransaction(t -> t.devices());

      assertThatThrownBy(() -> store.inTransaction(t -> {
        t.updateMachine(MachineKind.DEVICE, "panda-1", 41,
            new MachineRecord("busy", Map.of(), NOW, 42, 1));
        return null;
      })).isInstanceOf(StaleStateException.class);
      assertThatThrownBy(() -> store.inTransaction(t -> {
        throw new NoSuchDeviceException("panda-9");
      })).isInstanceOf(NoSuchDeviceException.class);

      assertThat(count("committed") - committedBefore).isEqualTo(2);
      assertThat(count("conflict")).isEqualTo(1);
      assertThat(count("rolled_back")).isEqualTo(1);
      assertThat(count("transient")).isZero();
      assertThat(count("failed")).isZero();
    }
  }
}
