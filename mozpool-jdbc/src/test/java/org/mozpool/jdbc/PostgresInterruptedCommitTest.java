package org.mozpool.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mozpool.DeviceSpec;
import org.mozpool.LogEntry;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;
import org.mozpool.spi.StoreTransaction;
import org.mozpool.spi.TransientStoreException;

/**
 * When the connection drops during COMMIT, the outcome is unknown to the client. On PostgreSQL
 * the store asks the server and reports what really happened: success if the transaction
 * committed, a transient failure if it did not.
 */
class PostgresInterruptedCommitTest {
  private static final DatabaseServer SERVER = DatabaseServer.POSTGRESQL;
  private static final String TRANSACTION_ID_QUERY = "txid_current_if_assigned";
  private static final Instant AT = Instant.parse("2026-06-01T12:00:00Z");
  private CommitCuttingProxy proxy;
  private JdbcPoolStore store;
  private String schema;

  @BeforeEach
  void start() throws Exception {
    SERVER.requireAvailable();
    URI target = URI.create(SERVER.url().substring("jdbc:".length()));
    proxy = new CommitCuttingProxy(target.getPort() < 0 ? 5432 : target.getPort());
    schema = DatabaseServer.freshSchemaName();
    String url = "jdbc:postgresql://127.0.0.1:" + proxy.port() + target.getPath()
        + "?sslmode=disable&prepareThreshold=0"; // COMMIT sent as text every time
    store = JdbcPoolStore.forUrl(url, SERVER.user(), SERVER.password(),
        JdbcPoolStore.Options.builder().schema(schema).poolSize(2).build());
    store.start();
  }

  @AfterEach
  void stop() throws Exception {
    if (store != null) {
      store.close();
      proxy.close();
      SERVER.dropSchema(schema);
    }
  }

  private static DeviceRecord device(String name) {
    return new DeviceRecord(DeviceSpec.builder(name).mac("001122334455").hardwareType("panda")
        .build(), "", Map.of(), "", Map.of(), "", MachineRecord.initial("ready", null));
  }

  @Test
  void aCommitThatHappenedBeforeTheConnectionDroppedIsReportedAsSuccess() {
    proxy.cutNextCommit(CommitCuttingProxy.Cut.AFTER_COMMIT);
    try (LogCapture log = new LogCapture()) {
      String result = store.inTransaction(t -> {
        t.insertDevice(device("panda-1"));
        return "done";
      });
      assertThat(result).isEqualTo("done");
      assertThat(log.text()).contains("the connection dropped while committing, but transaction");
    }
    assertThat(proxy.cutPending()).as("the commit was cut").isFalse();
    assertThat(store.inTransaction((StoreTransaction t) -> t.device("panda-1"))).isPresent();
  }

  @Test
  void aCommitThatNeverReachedTheServerIsATransientFailureAndLeavesNothing() {
    proxy.cutNextCommit(CommitCuttingProxy.Cut.BEFORE_COMMIT);
    assertThatThrownBy(() -> store.inTransaction(t -> {
      t.insertDevice(device("panda-1"));
      return null;
    })).isInstanceOf(TransientStoreException.class);
    assertThat(proxy.cutPending()).isFalse();
    assertThat(store.inTransaction((StoreTransaction t) -> t.device("panda-1"))).isEmpty();
  }

  @Test
  void readOnlyTransactionsNeedNoTransactionId() {
    store.inTransaction(t -> {
      t.insertDevice(device("panda-1"));
      return null;
    });
    proxy.cutNextCommit(CommitCuttingProxy.Cut.AFTER_COMMIT);
    // Nothing was written, so a lost COMMIT answer changes nothing; it is still reported.
    assertThatThrownBy(() -> store.inTransaction((StoreTransaction t) -> t.devices()))
        .isInstanceOf(TransientStoreException.class);
    assertThat(store.inTransaction((StoreTransaction t) -> t.devices())).hasSize(1);
  }

  @Test
  void aReadOnlyTransactionAsksNoCommitStatus() {
    store.inTransaction(t -> {
      t.insertDevice(device("panda-1"));
      return null;
    });
    int asked = proxy.timesSent(TRANSACTION_ID_QUERY);
    store.inTransaction((StoreTransaction t) -> t.device("panda-1"));
    store.inTransaction((StoreTransaction t) -> t.devices());
    assertThat(proxy.timesSent(TRANSACTION_ID_QUERY)).isEqualTo(asked);
  }

  @Test
  void aTransactionThatWroteAsksForItsIdBeforeCommitting() {
    int asked = proxy.timesSent(TRANSACTION_ID_QUERY);
    store.inTransaction(t -> {
      t.insertDevice(device("panda-1"));
      return null;
    });
    assertThat(proxy.timesSent(TRANSACTION_ID_QUERY)).isEqualTo(asked + 1);
  }

  @Test
  void aTransactionThatLoggedLearnsItsIdFromItsLogInsert() {
    int asked = proxy.timesSent(TRANSACTION_ID_QUERY);
    int returned = proxy.timesSent("RETURNING txid_current()");
    store.inTransaction(t -> {
      t.insertDevice(device("panda-1"));
      t.appendLog(MachineKind.DEVICE, "panda-1", new LogEntry(AT, "api", "added"));
      return null;
    });
    assertThat(proxy.timesSent(TRANSACTION_ID_QUERY)).isEqualTo(asked);
    assertThat(proxy.timesSent("RETURNING txid_current()")).isEqualTo(returned + 1);
  }

  @Test
  void aLostCommitOfATransactionThatLoggedIsReportedAsSuccessIfItHappened() {
    proxy.cutNextCommit(CommitCuttingProxy.Cut.AFTER_COMMIT);
    store.inTransaction(t -> {
      t.insertDevice(device("panda-1"));
      t.appendLog(MachineKind.DEVICE, "panda-1", new LogEntry(AT, "api", "added"));
      return null;
    });
    assertThat(proxy.cutPending()).as("the commit was cut").isFalse();
    assertThat(store.inTransaction((StoreTransaction t) -> t.log(MachineKind.DEVICE, "panda-1",
        10))).extracting(LogEntry::message).containsExactly("added");
  }
}
