package org.mozpool.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.spi.MachineDriver;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.StoreTransaction;

/** Several instances sharing an H2 file store (in one process); H2 cannot notify. */
class H2SharedStoreTest extends SharedStoreContract {
  @TempDir
  Path dir;

  @Override
  JdbcPoolStore createStore() {
    return JdbcPoolStore.h2(dir.resolve("shared"), JdbcPoolStore.Options.builder().poolSize(8)
        .build());
  }

  @Test
  void listeningForEventsStartsNothingAndThePoolPolls() {
    store.listenForEvents("imaging-a", () -> {
      throw new AssertionError("H2 cannot notify");
    }).cancel();
  }

  @Test
  void aDeviceRegisteredBeforeVersionFourIsDrivenByItsServer() throws Exception {
    store.close();
    Path file = dir.resolve("old");
    String url = "jdbc:h2:file:" + file.toAbsolutePath();
    Flyway.configure(getClass().getClassLoader()).dataSource(url, "sa", "")
        .locations("classpath:db/migration/mozpool").table("mozpool_schema_history")
        .placeholders(Dialect.H2.placeholders()).target("3").load().migrate();
    try (Connection c = DriverManager.getConnection(url, "sa", "");
        Statement st = c.createStatement()) {
      st.execute("INSERT INTO devices (name, fqdn, mac, hardware_type, hardware_model,"
          + " environment, tags, power_address, server, comments, image, boot_config,"
          + " next_image, next_boot_config, callback_token, state, counters, deadline_us,"
          + " version, attempt) VALUES ('panda-1', '', '020000000001', 'panda', '', '', '{}',"
          + " '', 'imaging-a', '', '', '{}', '', '{}', '', 'ready', '{}', NULL, 7, 0)");
    }

    try (JdbcPoolStore upgraded = JdbcPoolStore.h2(file)) {
      assertThat(upgraded.inTransaction((StoreTransaction t) -> t.driver(MachineKind.DEVICE, "panda-1")))
          .contains(new MachineDriver("imaging-a", 0, false));
      assertThat(upgraded.inTransaction((StoreTransaction t) -> t.drivenBy(MachineKind.DEVICE, "imaging-a")))
          .containsExactly("panda-1");
    }
  }
}
