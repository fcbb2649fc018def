package org.mozpool.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.DeviceSpec;
import org.mozpool.LogEntry;
import org.mozpool.StoreException;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;
import org.mozpool.spi.StoreTransaction;

/** Life cycle, configuration and start-up failures of the store, on H2 and unreachable URLs. */
class JdbcPoolStoreTest {
  private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");

  @TempDir
  Path dir;

  private static DeviceRecord device(String name) {
    return new DeviceRecord(DeviceSpec.builder(name).mac("001122334455").hardwareType("panda")
        .build(), "", Map.of(), "", Map.of(), "", MachineRecord.initial("ready", NOW));
  }

  private static JdbcPoolStore.Options.Builder quiet() {
    return JdbcPoolStore.Options.builder().poolSize(2);
  }

  @Test
  void aTransactionReadsBackItsOwnWritesToARowItHasRead() {
    try (JdbcPoolStore store = JdbcPoolStore.h2(dir.resolve("rows"), quiet().build())) {
      store.inTransaction(t -> {
        t.insertDevice(device("panda-1"));
        return null;
      });
      store.inTransaction(t -> {
        MachineRecord m = t.machine(MachineKind.DEVICE, "panda-1").orElseThrow();
        assertThat(t.device("panda-1").orElseThrow().machine()).isEqualTo(m);
        t.updateMachine(MachineKind.DEVICE, "panda-1", m.version(),
            new MachineRecord("busy", Map.of("busy", 1), NOW, m.version(), m.attempt() + 1));
        assertThat(t.device("panda-1").orElseThrow().machine().state()).isEqualTo("busy");
        assertThat(t.machine(MachineKind.DEVICE, "panda-1").orElseThrow().version())
            .isEqualTo(m.version() + 1);
        t.updateDeviceImages("panda-1", "b2g", Map.of("k", "v"), "", Map.of());
        assertThat(t.device("panda-1").orElseThrow().bootConfig()).isEqualTo(Map.of("k", "v"));
        t.updateCallbackToken("panda-1", "tok");
        assertThat(t.device("panda-1").orElseThrow().callbackToken()).isEqualTo("tok");
        DeviceSpec spec = t.device("panda-1").orElseThrow().spec();
        t.updateDeviceSpec(DeviceSpec.builder("panda-1").mac("001122334466")
            .hardwareType(spec.hardwareType()).build());
        assertThat(t.device("panda-1").orElseThrow().spec().mac()).isEqualTo("001122334466");
        return null;
      });
    }
  }

  @Test
  void anH2StoreWritesEveryCommitBeforeItReturnsAndRefusesAWriteDelay() {
    try (JdbcPoolStore store = JdbcPoolStore.h2(dir.resolve("durable"), quiet().build())) {
      assertThat(store.jdbcUrl()).endsWith(";WRITE_DELAY=0;MAX_COMPACT_TIME=0");
      assertThat(store.inTransaction((StoreTransaction t) -> t.devices())).isEmpty();
    }
    assertThat(JdbcPoolStore.forUrl("jdbc:h2:mem:x;write_delay=0", "sa", "").jdbcUrl())
        .isEqualTo("jdbc:h2:mem:x;write_delay=0;MAX_COMPACT_TIME=0");
    assertThatThrownBy(() -> JdbcPoolStore.forUrl("jdbc:h2:file:/tmp/x;WRITE_DELAY=500", "sa", ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must not set a write delay").hasMessageContaining("WRITE_DELAY=500");
  }

  @Test
  void dataSurvivesClosingAndReopeningTheH2FileAndMigrationsRunOnce() {
    Path file = dir.resolve("db/mozpool");
    try (JdbcPoolStore store = JdbcPoolStore.h2(file, quiet().build())) {
      store.start();
      store.start();
      store.inTransaction(t -> {
        t.insertDevice(device("panda-1"));
        return null;
      });
    }
    assertThat(dir.resolve("db/mozpool.mv.db")).exists();
    try (JdbcPoolStore store = JdbcPoolStore.h2(file, quiet().build())) {
      assertThat(store.inTransaction((StoreTransaction t) -> t.device("panda-1"))).contains(device("panda-1"));
    }
  }

  @Test
  void theFirstTransactionStartsTheStoreAndCloseIsIdempotent() {
    JdbcPoolStore store = JdbcPoolStore.h2(dir.resolve("m"), quiet().build());
    assertThat(store.inTransaction((StoreTransaction t) -> t.devices())).isEmpty();
    store.close();
    store.close();
    assertThatThrownBy(store::start).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void theDefaultH2FileIsTakenFromTheSystemProperty() {
    String old = System.getProperty(JdbcPoolStore.H2_PATH_PROPERTY);
    System.setProperty(JdbcPoolStore.H2_PATH_PROPERTY, dir.resolve("data/default").toString());
    try (JdbcPoolStore store = JdbcPoolStore.h2Default()) {
      assertThat(store.jdbcUrl()).isEqualTo("jdbc:h2:retry:file:" + dir.resolve("data/default")
          + ";QUERY_CACHE_SIZE=256;WRITE_DELAY=0;MAX_COMPACT_TIME=0");
      store.start();
      assertThat(Files.exists(dir.resolve("data/default.mv.db"))).isTrue();
    } finally {
      if (old == null) {
        System.clearProperty(JdbcPoolStore.H2_PATH_PROPERTY);
      } else {
        System.setProperty(JdbcPoolStore.H2_PATH_PROPERTY, old);
      }
    }
  }

  @Test
  void withoutThePropertyTheDefaultH2FileIsUnderTheWorkingDirectory() {
    if (System.getProperty(JdbcPoolStore.H2_PATH_PROPERTY) == null) {
      assertThat(JdbcPoolStore.h2Default().jdbcUrl()).isEqualTo("jdbc:h2:retry:file:"
          + Path.of(JdbcPoolStore.DEFAULT_H2_PATH).toAbsolutePath().normalize()
          + ";QUERY_CACHE_SIZE=256;WRITE_DELAY=0;MAX_COMPACT_TIME=0");
    }
  }

  @Test
  void tablesCanLiveInANamedH2Schema() {
    try (JdbcPoolStore store = JdbcPoolStore.h2(dir.resolve("s"), quiet().schema("mozpool").build())) {
      store.inTransaction(t -> {
        t.insertDevice(device("panda-1"));
        return null;
      });
      assertThat(store.inTransaction((StoreTransaction t) -> t.devices())).hasSize(1);
    }
  }

  @Test
  void logLinesOlderThanTheRetentionArePrunedAtStart() throws Exception {
    Path file = dir.resolve("p");
    try (JdbcPoolStore store = JdbcPoolStore.h2(file, quiet().build())) {
      store.inTransaction(t -> {
        t.appendLog(MachineKind.DEVICE, "panda-1", new LogEntry(NOW.minus(Duration.ofDays(15)), "x", "old"));
        t.appendLog(MachineKind.REQUEST, "r-1", new LogEntry(NOW.minus(Duration.ofDays(15)), "x", "old"));
        t.appendLog(MachineKind.DEVICE, "panda-1", new LogEntry(NOW.minus(Duration.ofDays(13)), "x", "recent"));
        return null;
      });
    }
    JdbcPoolStore.Options options = JdbcPoolStore.Options.builder().poolSize(2)
        .clock(Clock.fixed(NOW, ZoneOffset.UTC)).pruneInterval(Duration.ofHours(1)).build();
    assertThat(options.logRetention()).isEqualTo(Duration.ofDays(14));
    try (JdbcPoolStore store = JdbcPoolStore.h2(file, options)) {
      store.start();
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (store.inTransaction((StoreTransaction t) -> t.log(MachineKind.REQUEST, "r-1", 10)).size() > 0
          && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(store.inTransaction((StoreTransaction t) -> t.log(MachineKind.DEVICE, "panda-1", 10)))
          .extracting(LogEntry::message).containsExactly("recent");
      assertThat(store.inTransaction((StoreTransaction t) -> t.log(MachineKind.REQUEST, "r-1", 10))).isEmpty();
    }
  }

  @Test
  void anUnreachableServerFailsStartWithAStoreExceptionNamingTheUrl() {
    String url = "jdbc:postgresql://127.0.0.1:1/mozpool?connectTimeout=2";
    JdbcPoolStore store = JdbcPoolStore.forUrl(url, "mozpool", "hunter2",
        quiet().connectionTimeout(Duration.ofSeconds(2)).build());
    assertThatThrownBy(store::start).isInstanceOf(StoreException.class)
        .hasMessageContaining(url).hasMessageContaining("mozpool")
        .hasMessageNotContaining("hunter2");
    store.close();
  }

  @Test
  void aPasswordInTheUrlIsMaskedInMessages() {
    String url = "jdbc:mariadb://127.0.0.1:1/test?user=root&password=hunter2&connectTimeout=2000";
    JdbcPoolStore store = JdbcPoolStore.forUrl(url, "", "", quiet().build());
    assertThat(store.jdbcUrl()).isEqualTo(
        "jdbc:mariadb://127.0.0.1:1/test?user=root&password=***&connectTimeout=2000");
    assertThat(store.toString()).doesNotContain("hunter2");
    assertThatThrownBy(store::start).isInstanceOf(StoreException.class)
        .hasMessageContaining("jdbc:mariadb://127.0.0.1:1/test?user=root&password=***")
        .hasMessageNotContaining("hunter2");
    store.close();
  }

  @Test
  void anUnsupportedUrlIsRejectedAtOnce() {
    assertThatThrownBy(() -> JdbcPoolStore.forUrl("jdbc:oracle:thin:@x:1521:y", "u", "p"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("jdbc:oracle:thin:@x:1521:y").hasMessageContaining("jdbc:postgresql:");
  }

  @Test
  void optionsAreValidatedWithMessagesThatSayWhatWasExpected() {
    var b = JdbcPoolStore.Options.builder();
    assertThatThrownBy(() -> b.poolSize(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("pool size must be at least 1, got 0");
    assertThatThrownBy(() -> b.schema("drop table;")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got 'drop table;'");
    assertThatThrownBy(() -> b.connectionTimeout(Duration.ZERO))
        .hasMessage("connection timeout must be positive, got PT0S");
    assertThatThrownBy(() -> b.logRetention(Duration.ofDays(-1)))
        .hasMessage("log retention must be zero or positive, got PT-24H");
    JdbcPoolStore.Options defaults = JdbcPoolStore.Options.defaults();
    assertThat(defaults.poolSize()).isEqualTo(10);
    assertThat(defaults.schema()).isEmpty();
    assertThat(defaults.logRetention()).isEqualTo(Duration.ofDays(14));
    assertThat(defaults.pruneInterval()).isZero();
  }

  private static JdbcPoolStore.Options everyOptionSet() {
    return JdbcPoolStore.Options.builder().poolSize(20).schema("mozpool")
        .connectionTimeout(Duration.ofSeconds(3)).logRetention(Duration.ofDays(30))
        .pruneInterval(Duration.ofHours(1)).clock(Clock.fixed(NOW, ZoneOffset.UTC)).build();
  }

  @Test
  void optionsRebuiltFromTheirBuilderEqualThem() {
    JdbcPoolStore.Options options = everyOptionSet();
    assertThat(options.toBuilder().build()).isEqualTo(options).hasSameHashCodeAs(options);
    assertThat(JdbcPoolStore.Options.defaults().toBuilder().build())
        .isEqualTo(JdbcPoolStore.Options.defaults());
  }

  @Test
  void changingOneOptionThroughToBuilderKeepsTheOthers() {
    JdbcPoolStore.Options options = everyOptionSet();
    JdbcPoolStore.Options bigger = options.toBuilder().poolSize(40).build();
    assertThat(bigger.poolSize()).isEqualTo(40);
    assertThat(bigger).isNotEqualTo(options)
        .isEqualTo(JdbcPoolStore.Options.builder().poolSize(40).schema("mozpool")
            .connectionTimeout(Duration.ofSeconds(3)).logRetention(Duration.ofDays(30))
            .pruneInterval(Duration.ofHours(1)).clock(Clock.fixed(NOW, ZoneOffset.UTC)).build());
    assertThat(options.poolSize()).isEqualTo(20);
  }

  @Test
  void aNullOptionIsRefusedAtOnceNamingIt() {
    var b = JdbcPoolStore.Options.builder();
    assertThatThrownBy(() -> b.schema(null)).isInstanceOf(NullPointerException.class)
        .hasMessage("schema");
    assertThatThrownBy(() -> b.clock(null)).isInstanceOf(NullPointerException.class)
        .hasMessage("clock");
    assertThatThrownBy(() -> b.pruneInterval(null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("prune interval must be zero or positive, got null");
  }
}
