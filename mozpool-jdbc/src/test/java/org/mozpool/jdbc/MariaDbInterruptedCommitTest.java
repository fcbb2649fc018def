package org.mozpool.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mozpool.DeviceSpec;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.MachineRecord;
import org.mozpool.spi.StoreTransaction;
import org.mozpool.spi.TransientStoreException;

/**
 * MariaDB cannot be asked how a commit interrupted by a lost connection ended: the store reports
 * a transient failure that says so, rather than claiming a rollback.
 */
class MariaDbInterruptedCommitTest {
  private static final DatabaseServer SERVER = DatabaseServer.MARIADB;
  private CommitCuttingProxy proxy;
  private JdbcPoolStore store;
  private String schema;

  @BeforeEach
  void start() throws Exception {
    SERVER.requireAvailable();
    URI target = URI.create(SERVER.url().substring("jdbc:".length()));
    proxy = new CommitCuttingProxy(target.getPort() < 0 ? 3306 : target.getPort());
    schema = DatabaseServer.freshSchemaName();
    store = JdbcPoolStore.forUrl("jdbc:mariadb://127.0.0.1:" + proxy.port() + target.getPath(),
        SERVER.user(), SERVER.password(),
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

  @Test
  void aCommitWhoseAnswerIsLostIsATransientFailureWhoseOutcomeIsUnknown() {
    proxy.cutNextCommit(CommitCuttingProxy.Cut.AFTER_COMMIT);
    assertThatThrownBy(() -> store.inTransaction(t -> {
      t.insertDevice(new DeviceRecord(DeviceSpec.builder("panda-1").mac("001122334455")
          .hardwareType("panda").build(), "", Map.of(), "", Map.of(), "",
          MachineRecord.initial("ready", null)));
      return null;
    })).isInstanceOf(TransientStoreException.class)
        .hasMessageContaining("may or may not have committed");
    assertThat(proxy.cutPending()).isFalse();
    // Here it did commit: the caller's retry must expect the step to have happened.
    assertThat(store.inTransaction((StoreTransaction t) -> t.device("panda-1"))).isPresent();
  }
}
