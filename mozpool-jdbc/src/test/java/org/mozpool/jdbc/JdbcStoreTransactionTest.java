package org.mozpool.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.ConflictException;
import org.mozpool.DeviceSpec;
import org.mozpool.Image;
import org.mozpool.LogEntry;
import org.mozpool.RequestSpec;
import org.mozpool.spi.Claim;
import org.mozpool.spi.DeviceQuery;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;
import org.mozpool.spi.RequestRecord;
import org.mozpool.spi.StaleStateException;
import org.mozpool.spi.StoreTransaction;

/**
 * The SQL round trips of one transaction, observed on H2 through a statement-recording
 * connection: rows are read once, the transaction's own writes are known without reading them
 * back, a claim is one insert, and log lines go out as one INSERT per log at commit.
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
    return new DeviceRecord(DeviceSpec.builder(name)
        .mac(String.format("02%010x", name.hashCode() & 0xff_ffff_ffffL)).hardwareType("panda")
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

  @Test
  void reReadsAfterTheTransactionsOwnWritesReturnWhatTheDatabaseHoldsWithoutAQuery() {
    List<Object> known = inTransaction(tx -> {
      MachineRecord r = tx.machine(MachineKind.REQUEST, "r-1").orElseThrow();
      MachineRecord d = tx.machine(MachineKind.DEVICE, "panda-1").orElseThrow();
      tx.updateRequest("r-1", T0.plusSeconds(5), List.of("panda-1"), "why");
      tx.updateMachine(MachineKind.REQUEST, "r-1", r.version(), new MachineRecord(
          "contacting_lifeguard", Map.of("tries", 1), T0.plusSeconds(30), r.version(),
          r.attempt() + 1));
      tx.updateMachine(MachineKind.DEVICE, "panda-1", d.version(), new MachineRecord(
          "pxe_booting", Map.of(), null, d.version(), d.attempt() + 1));
      tx.updateDeviceImages("panda-1", "b2g", Map.of("b2gbase", "http://b/1"), null, null);
      tx.updateCallbackToken("panda-1", "secret");
      tx.updateDeviceSpec(DeviceSpec.builder("panda-1").mac("001122334466")
          .hardwareType("panda").build());
      statements.clear();
      List<Object> rows = List.of(tx.request("r-1").orElseThrow(),
          tx.device("panda-1").orElseThrow());
      assertThat(statements.executed()).as("re-reads").isEmpty();
      return rows;
    });
    RequestRecord request = inTransaction(tx -> tx.request("r-1").orElseThrow());
    DeviceRecord device = inTransaction(tx -> tx.device("panda-1").orElseThrow());
    assertThat(known).containsExactly(request, device);
    RequestRecord r = (RequestRecord) known.get(0);
    assertThat(r.machine().version()).isEqualTo(1);
    assertThat(r.machine().deadline()).isEqualTo(Instant.parse("2026-06-01T12:00:30.123456Z"));
  }

  @Test
  void aRequestItInsertedIsKnownWithoutAQueryAsALaterTransactionReadsIt() {
    RequestRecord filed = request("r-3");
    RequestRecord known = inTransaction(tx -> {
      statements.clear();
      tx.insertRequest(filed);
      assertThat(statements.executed()).singleElement().asString()
          .startsWith("INSERT INTO requests");
      statements.clear();
      RequestRecord r = tx.request("r-3").orElseThrow();
      assertThat(tx.machine(MachineKind.REQUEST, "r-3")).contains(r.machine());
      assertThat(statements.executed()).isEmpty();
      return r;
    });
    // T0 has nanoseconds: the known row has them dropped, as the stored row does.
    Optional<RequestRecord> stored = inTransaction(tx -> tx.request("r-3"));
    assertThat(stored).contains(known);
    assertThat(known.createdAt()).isEqualTo(Instant.parse("2026-06-01T12:00:00.123456Z"));
  }

  @Test
  void aClaimIsOneInsertAndTheClaimItMadeIsKnownWithoutAQuery() {
    Claim made = inTransaction(tx -> {
      tx.device("panda-1");
      tx.request("r-1");
      statements.clear();
      assertThat(tx.claim("panda-1", "r-1", T0)).isTrue();
      assertThat(statements.executed()).singleElement().asString()
          .startsWith("INSERT INTO claims");
      statements.clear();
      Optional<Claim> ofRequest = tx.claimOfRequest("r-1");
      assertThat(tx.claimOfDevice("panda-1")).isEqualTo(ofRequest);
      assertThat(statements.executed()).isEmpty();
      return ofRequest.orElseThrow();
    });
    Optional<Claim> stored = inTransaction(tx -> tx.claimOfRequest("r-1"));
    assertThat(stored).contains(made);
  }

  @Test
  void aClaimOnAClaimedDeviceIsRefusedByTheInsertWithoutALookFirst() {
    inTransaction(tx -> tx.claim("panda-1", "r-1", T0));
    inTransaction(tx -> {
      tx.device("panda-1");
      tx.request("r-2");
      statements.clear();
      assertThat(tx.claim("panda-1", "r-2", T0)).isFalse();
      assertThat(statements.executed()).singleElement().asString()
          .startsWith("INSERT INTO claims");
      assertThat(tx.claimOfDevice("panda-1")).map(Claim::requestId).contains("r-1");
      assertThat(tx.claimOfRequest("r-2")).isEmpty();
      return null;
    });
  }

  @Test
  void aReleasedClaimIsKnownToBeGone() {
    inTransaction(tx -> tx.claim("panda-1", "r-1", T0));
    inTransaction(tx -> {
      assertThat(tx.releaseClaim("r-1")).map(Claim::device).contains("panda-1");
      statements.clear();
      assertThat(tx.claimOfRequest("r-1")).isEmpty();
      assertThat(statements.executed()).isEmpty();
      assertThat(tx.claimOfDevice("panda-1")).isEmpty();
      return null;
    });
  }

  @Test
  void rowsOfACandidateScanAndImagesAreReadOncePerTransaction() {
    inTransaction(tx -> {
      List<DeviceRecord> candidates = tx.findDevices(new DeviceQuery("ready", true, "", "", ""));
      Optional<Image> image = tx.image("b2g");
      statements.clear();
      assertThat(tx.device("panda-2")).contains(candidates.get(1));
      assertThat(tx.image("b2g")).isEqualTo(image).isPresent();
      assertThat(statements.executed()).isEmpty();
      return null;
    });
  }

  @Test
  void aRequestFoundAbsentIsNotLookedUpAgainBeforeItIsInserted() {
    inTransaction(tx -> {
      assertThat(tx.request("r-3")).isEmpty();
      statements.clear();
      tx.insertRequest(request("r-3"));
      assertThat(statements.executed()).singleElement().asString()
          .startsWith("INSERT INTO requests");
      assertThat(tx.request("r-3")).isPresent();
      return null;
    });
  }

  @Test
  void aClaimStepWritesItsRequestAndItsMachineInOneUpdate() {
    inTransaction(tx -> {
      MachineRecord m = tx.machine(MachineKind.REQUEST, "r-1").orElseThrow();
      tx.device("panda-1");
      statements.clear();
      assertThat(tx.claim("panda-1", "r-1", T0)).isTrue();
      tx.updateRequest("r-1", T0.plusSeconds(60), List.of("panda-1"), "");
      tx.updateMachine(MachineKind.REQUEST, "r-1", m.version(), new MachineRecord(
          "contacting_lifeguard", Map.of("asked", 1), T0.plusSeconds(30), m.version(),
          m.attempt() + 1));
      assertThat(statements.executed()).hasSize(2);
      assertThat(statements.executed().get(0)).startsWith("INSERT INTO claims");
      assertThat(statements.executed().get(1)).startsWith("UPDATE requests SET state = ?")
          .contains("devices_tried = ?").endsWith("WHERE id = ? AND version = ?");
      return null;
    });
    RequestRecord r = inTransaction(tx -> tx.request("r-1").orElseThrow());
    assertThat(r.devicesTried()).containsExactly("panda-1");
    assertThat(r.expiresAt()).isEqualTo(Instant.parse("2026-06-01T12:01:00.123456Z"));
    assertThat(r.machine().state()).isEqualTo("contacting_lifeguard");
    assertThat(r.machine().version()).isEqualTo(1);
  }

  @Test
  void aHeldBackRequestWriteIsSentBeforeAnyOtherStatementAndAtCommit() {
    inTransaction(tx -> {
      tx.request("r-1");
      tx.request("r-2");
      statements.clear();
      tx.updateRequest("r-1", T0.plusSeconds(60), List.of("panda-1"), "first");
      assertThat(statements.executed()).as("held back").isEmpty();
      assertThat(tx.request("r-1")).map(RequestRecord::failureReason).contains("first");
      assertThat(statements.executed()).as("known without a query").isEmpty();
      assertThat(tx.requests()).filteredOn(r -> r.id().equals("r-1"))
          .extracting(RequestRecord::failureReason).containsExactly("first");
      assertThat(statements.executed()).hasSize(2);
      assertThat(statements.executed().get(0)).startsWith("UPDATE requests SET expires_us");
      statements.clear();
      tx.updateRequest("r-2", T0.plusSeconds(60), List.of(), "second");
      return null;
    });
    assertThat(statements.executed()).singleElement().asString()
        .startsWith("UPDATE requests SET expires_us");
    String reason = inTransaction(tx -> tx.request("r-2").orElseThrow().failureReason());
    assertThat(reason).isEqualTo("second");
  }

  @Test
  void aStaleMachineWriteLeavesTheRequestWriteBeforeItStanding() {
    inTransaction(tx -> {
      MachineRecord m = tx.machine(MachineKind.REQUEST, "r-1").orElseThrow();
      tx.updateRequest("r-1", T0.plusSeconds(60), List.of("panda-1"), "why");
      assertThatThrownBy(() -> tx.updateMachine(MachineKind.REQUEST, "r-1", m.version() + 7,
          new MachineRecord("closed", Map.of(), null, 0, m.attempt() + 1)))
          .isInstanceOf(StaleStateException.class);
      return null; // the caller caught the conflict and commits the rest
    });
    RequestRecord r = inTransaction(tx -> tx.request("r-1").orElseThrow());
    assertThat(r.failureReason()).isEqualTo("why");
    assertThat(r.devicesTried()).containsExactly("panda-1");
    assertThat(r.machine().state()).isEqualTo("new");
    assertThat(r.machine().version()).isZero();
  }

  @Test
  void aRequestIsInsertedWithoutALookFirstAndATakenIdIsRefusedByTheInsert() {
    inTransaction(tx -> {
      tx.insertRequest(request("r-3"));
      assertThat(statements.executed()).singleElement().asString()
          .startsWith("INSERT INTO requests");
      statements.clear();
      assertThatThrownBy(() -> tx.insertRequest(request("r-1")))
          .isInstanceOf(ConflictException.class).hasMessageContaining("r-1");
      assertThat(statements.executed()).singleElement().asString()
          .startsWith("INSERT INTO requests");
      // The transaction goes on: the caller can read the request it lost to.
      assertThat(tx.request("r-1")).map(RequestRecord::token).contains("token-r-1");
      return null;
    });
    Optional<RequestRecord> inserted = inTransaction(tx -> tx.request("r-3"));
    assertThat(inserted).isPresent();
  }

  @Test
  void whatAFailedTransactionWroteIsNotKnownToTheNextOne() {
    try (JdbcPoolStore store = JdbcPoolStore.h2(dir.resolve("other"), quiet())) {
      store.inTransaction(tx -> {
        tx.insertRequest(request("r-1"));
        return null;
      });
      assertThatThrownBy(() -> store.inTransaction(tx -> {
        MachineRecord m = tx.machine(MachineKind.REQUEST, "r-1").orElseThrow();
        tx.updateMachine(MachineKind.REQUEST, "r-1", m.version(),
            new MachineRecord("closed", Map.of(), null, m.version(), m.attempt() + 1));
        throw new IllegalStateException("step failed");
      })).hasMessage("step failed");
      assertThat(store.inTransaction((StoreTransaction tx) -> tx.request("r-1")))
          .map(r -> r.machine().state()).contains("new");
    }
  }
}
