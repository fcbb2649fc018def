package org.mozpool.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mozpool.DeviceSpec;
import org.mozpool.LogEntry;
import org.mozpool.RequestSpec;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;
import org.mozpool.spi.RequestRecord;
import org.mozpool.spi.StoreTransaction;
import org.mozpool.spi.TransientStoreException;

/**
 * What the store does when the database drops its connection (server restart, failover, an
 * operator killing sessions): the transaction is rolled back, the caller gets a
 * {@link TransientStoreException} and a warning is logged, and the next transaction runs on a
 * fresh connection. Run per server by subclasses that know how to kill the store's sessions.
 */
abstract class ConnectionLossContract {
  private static final Instant T0 = Instant.parse("2026-03-04T05:06:07Z");

  private String schema;
  JdbcPoolStore store;
  final io.micrometer.core.instrument.simple.SimpleMeterRegistry meters =
      new io.micrometer.core.instrument.simple.SimpleMeterRegistry();

  abstract DatabaseServer server();

  /** The URL the store connects with; may tag its sessions so that they can be found. */
  abstract String storeUrl(String schema);

  /** Kills every session the store has open; returns how many. */
  abstract int killStoreSessions(String schema) throws SQLException;

  @BeforeEach
  void openStore() {
    server().requireAvailable();
    schema = DatabaseServer.freshSchemaName();
    store = JdbcPoolStore.forUrl(storeUrl(schema), server().user(), server().password(),
        JdbcPoolStore.Options.builder().schema(schema).poolSize(2).meterRegistry(meters)
            .build());
    store.start();
    store.inTransaction(t -> {
      t.insertDevice(device("panda-1"));
      return null;
    });
  }

  @AfterEach
  void dropStore() throws SQLException {
    if (store != null) {
      store.close();
      server().dropSchema(schema);
    }
  }

  private static DeviceRecord device(String name) {
    return new DeviceRecord(DeviceSpec.builder(name)
        .mac(String.format("02%010x", name.hashCode() & 0xff_ffff_ffffL)).hardwareType("panda")
        .build(), "", Map.of(), "", Map.of(), "", MachineRecord.initial("ready", T0));
  }

  private static RequestRecord request(String id) {
    RequestSpec spec = RequestSpec.any().image("b2g").build();
    return new RequestRecord(id, "t", spec, "", T0, T0.plusSeconds(60), List.of(), "",
        MachineRecord.initial("new", null));
  }

  private void kill() {
    try {
      assertThat(killStoreSessions(schema)).isPositive();
    } catch (SQLException e) {
      throw new AssertionError("could not kill the store's sessions", e);
    }
  }

  @Test
  void aConnectionDroppedMidTransactionIsTimedAsOneTransientTransaction() {
    assertThatThrownBy(() -> store.inTransaction(t -> {
      t.insertDevice(device("panda-2"));
      kill();
      t.insertRequest(request("r-1"));
      return null;
    })).isInstanceOf(TransientStoreException.class);

    assertThat(meters.get("mozpool.store.transactions").tag("outcome", "transient").timer()
        .count()).isEqualTo(1);
    assertThat(meters.get("mozpool.store.transactions").tag("outcome", "committed").timer()
        .count()).as("the set-up's insert").isEqualTo(1);
  }

  @Test
  void aConnectionDroppedMidTransactionRollsItBackThrowsTransientAndLogsAWarning() {
    try (LogCapture log = new LogCapture()) {
      assertThatThrownBy(() -> store.inTransaction(t -> {
        t.insertDevice(device("panda-2"));
        t.updateMachine(MachineKind.DEVICE, "panda-1", 0,
            new MachineRecord("pxe_booting", Map.of("n", 1), T0, 0, 1));
        t.appendLog(MachineKind.DEVICE, "panda-1", new LogEntry(T0, "test", "half"));
        kill();
        t.insertRequest(request("r-1"));
        return null;
      })).isInstanceOf(TransientStoreException.class)
          .hasMessageContaining(store.jdbcUrl()).hasMessageContaining("rolled back");
      assertThat(log.text()).contains("Mozpool store at " + store.jdbcUrl())
          .contains("transaction failed and was rolled back");
    }

    // Nothing of the broken transaction survives, and the next one runs on a fresh connection.
    assertThat(store.inTransaction((StoreTransaction t) -> t.devices()))
        .extracting(DeviceRecord::name).containsExactly("panda-1");
    assertThat(store.inTransaction((StoreTransaction t) -> t.machine(MachineKind.DEVICE, "panda-1")))
        .contains(MachineRecord.initial("ready", T0));
    assertThat(store.inTransaction((StoreTransaction t) -> t.request("r-1"))).isEmpty();
    assertThat(store.inTransaction((StoreTransaction t) -> t.log(MachineKind.DEVICE, "panda-1", 10)))
        .isEmpty();
    store.inTransaction(t -> {
      t.insertDevice(device("panda-2"));
      t.insertRequest(request("r-1"));
      return null;
    });
    assertThat(store.inTransaction((StoreTransaction t) -> t.devices())).hasSize(2);
  }

  @Test
  void connectionsDroppedWhileIdleAreReplacedAfterAtMostOneTransientFailure() {
    store.inTransaction((StoreTransaction t) -> t.devices());
    kill();
    int transientFailures = 0;
    List<DeviceRecord> devices = null;
    while (devices == null) {
      try {
        devices = store.inTransaction((StoreTransaction t) -> t.devices());
      } catch (TransientStoreException e) {
        transientFailures++;
        assertThat(transientFailures).as("transient failures before recovery").isLessThanOrEqualTo(1);
      }
    }
    assertThat(devices).extracting(DeviceRecord::name).containsExactly("panda-1");
  }

  @Test
  void afterAnIdlePauseDroppedConnectionsAreReplacedTransparently() throws Exception {
    store.inTransaction((StoreTransaction t) -> t.devices());
    kill();
    Thread.sleep(700); // beyond HikariCP's 500 ms window, a borrowed connection is validated
    assertThat(store.inTransaction((StoreTransaction t) -> t.devices())).hasSize(1);
  }
}
