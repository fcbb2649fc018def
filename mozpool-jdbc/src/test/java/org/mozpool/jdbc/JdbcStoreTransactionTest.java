package org.mozpool.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.DeviceSpec;
import org.mozpool.Image;
import org.mozpool.LogEntry;
import org.mozpool.RequestSpec;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;
import org.mozpool.spi.RequestRecord;

/**
 * The SQL round trips of one transaction, observed on H2 through a statement-recording
 * connection: log lines go out as one INSERT per log at commit.
 */
class JdbcStoreTransactionTest {
  /** Finer than the store keeps: what is known after a write must be what a read returns. */
  private static final Instant T0 = Instant.parse("2026-06-01T12:00:00.123456789Z");

  @TempDir
  Path dir;

  private final StatementLog statements = new StatementLog();
  private Jdbi jdbi;

  @BeforeEach
  void createStore() {
    Path file = dir.resolve("store");
    try (JdbcPoolStore store = JdbcPoolStore.h2(file, quiet())) {
      store.start(); // migrates
    }
    String url = "jdbc:h2:file:" + file.toAbsolutePath();
    jdbi = Jdbi.create(() -> statements.wrap(DriverManager.getConnection(url, "sa", "")));
    inTransaction(tx -> {
      tx.putImage(Image.builder("b2g").reusable(true).build());
      tx.insertDevice(device("panda-1"));
      tx.insertDevice(device("panda-2"));
      tx.insertRequest(request("r-1"));
      tx.insertRequest(request("r-2"));
      return null;
    });
    statements.clear();
  }

  private static JdbcPoolStore.Options quiet() {
    return JdbcPoolStore.Options.builder().poolSize(2).build();
  }

  private static DeviceRecord device(String name) {
    return new DeviceRecord(DeviceSpec.builder(name).mac("001122334455").hardware("panda", "")
        .tag("rack", "3").build(), "", Map.of(), "", Map.of(), "",
        MachineRecord.initial("ready", T0));
  }

  private static RequestRecord request(String id) {
    RequestSpec spec = RequestSpec.any().image("b2g").build();
    return new RequestRecord(id, "token-" + id, spec, "server-1", T0,
        T0.plus(spec.leaseDuration()), List.of(), "", MachineRecord.initial("new", T0));
  }

  /** Runs {@code work} as the store does: log lines are sent just before the commit. */
  private <T> T inTransaction(Function<JdbcStoreTransaction, T> work) {
    try (Handle handle = jdbi.open()) {
      handle.begin();
      JdbcStoreTransaction tx = new JdbcStoreTransaction(handle, Dialect.H2);
      T result = work.apply(tx);
      tx.flushLogs();
      handle.commit();
      tx.close();
      return result;
    }
  }

  /** The messages of a log, as a later transaction reads them. */
  private List<String> messages(MachineKind kind, String id) {
    List<LogEntry> log = inTransaction(tx -> tx.log(kind, id, 10));
    return log.stream().map(LogEntry::message).toList();
  }

  private static LogEntry line(String message) {
    return new LogEntry(T0, "pool", message);
  }

  @Test
  void logLinesOfATransactionAreWrittenInOrderAsOneInsertPerLogAtCommit() {
    inTransaction(tx -> {
      tx.appendLog(MachineKind.REQUEST, "r-1", line("first"));
      tx.appendLog(MachineKind.DEVICE, "panda-1", line("device line"));
      tx.appendLog(MachineKind.REQUEST, "r-1", line("second"));
      tx.appendLog(MachineKind.REQUEST, "r-1", line("third"));
      assertThat(statements.executed()).as("nothing sent before commit").isEmpty();
      return null;
    });
    assertThat(statements.executed()).containsExactlyInAnyOrder(
        "INSERT INTO device_logs (device, ts_us, source, message) VALUES (?, ?, ?, ?)",
        "INSERT INTO request_logs (request_id, ts_us, source, message)"
            + " VALUES (?, ?, ?, ?), (?, ?, ?, ?), (?, ?, ?, ?)");
    assertThat(messages(MachineKind.REQUEST, "r-1")).containsExactly("first", "second", "third");
    assertThat(messages(MachineKind.DEVICE, "panda-1")).containsExactly("device line");
  }

  @Test
  void aTransactionWithThousandsOfLogLinesWritesThemInOrderInBoundedInserts() {
    List<String> lines = IntStream.range(0, 2500).mapToObj(i -> "line " + i).toList();
    inTransaction(tx -> {
      lines.forEach(message -> tx.appendLog(MachineKind.REQUEST, "r-1", line(message)));
      return null;
    });
    assertThat(statements.executed()).hasSize(3);
    List<LogEntry> log = inTransaction(tx -> tx.log(MachineKind.REQUEST, "r-1", 5000));
    assertThat(log).extracting(LogEntry::message).containsExactlyElementsOf(lines);
  }

  @Test
  void aTransactionThatReadsItsLogSeesTheLinesItAppended() {
    inTransaction(tx -> {
      tx.appendLog(MachineKind.REQUEST, "r-1", line("first"));
      tx.appendLog(MachineKind.REQUEST, "r-1", line("second"));
      assertThat(tx.log(MachineKind.REQUEST, "r-1", 10)).extracting(LogEntry::message)
          .containsExactly("first", "second");
      tx.appendLog(MachineKind.REQUEST, "r-1", line("third"));
      return null;
    });
    assertThat(messages(MachineKind.REQUEST, "r-1")).containsExactly("first", "second", "third");
  }

  @Test
  void aLogLineAppendedBeforeAPruneIsPrunedLikeAWrittenOne() {
    int pruned = inTransaction(tx -> {
      tx.appendLog(MachineKind.REQUEST, "r-1", line("old"));
      return tx.pruneLogs(T0.plusSeconds(1));
    });
    assertThat(pruned).isEqualTo(1);
    assertThat(messages(MachineKind.REQUEST, "r-1")).isEmpty();
  }
}
