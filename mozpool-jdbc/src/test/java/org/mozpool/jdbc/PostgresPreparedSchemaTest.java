package org.mozpool.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mozpool.DeviceSpec;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.MachineRecord;
import org.mozpool.spi.StoreTransaction;

/** Operators may prepare the schema and give Mozpool a user that cannot create schemas. */
class PostgresPreparedSchemaTest {
  private static final DatabaseServer SERVER = DatabaseServer.POSTGRESQL;

  @Test
  void aUserWithoutTheRightToCreateSchemasCanUseASchemaPreparedForIt() throws Exception {
    SERVER.requireAvailable();
    String schema = DatabaseServer.freshSchemaName();
    String role = schema + "_user";
    try (Connection c = SERVER.connect(); Statement st = c.createStatement()) {
      st.execute("CREATE ROLE " + role + " LOGIN");
      st.execute("CREATE SCHEMA " + schema + " AUTHORIZATION " + role);
    }
    try {
      try (JdbcPoolStore store = JdbcPoolStore.forUrl(SERVER.url(), role, "",
          JdbcPoolStore.Options.builder().schema(schema).poolSize(2).build())) {
        store.inTransaction(t -> {
          t.insertDevice(new DeviceRecord(DeviceSpec.builder("panda-1").mac("001122334455")
              .hardwareType("panda").build(), "", Map.of(), "", Map.of(), "",
              MachineRecord.initial("ready", null)));
          return null;
        });
        assertThat(store.inTransaction(StoreTransaction::devices)).hasSize(1);
      }
    } finally {
      SERVER.dropSchema(schema);
      try (Connection c = SERVER.connect(); Statement st = c.createStatement()) {
        st.execute("DROP ROLE IF EXISTS " + role);
      }
    }
  }
}
