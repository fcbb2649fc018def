package org.mozpool.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code kill -9} durability over PostgreSQL, in a schema of its own. */
class PostgresKillNineDurabilityTest extends KillNineDurabilityContract {
  private static final DatabaseServer SERVER = DatabaseServer.POSTGRESQL;
  private String schema;

  @BeforeEach
  void serverIsUp() {
    SERVER.requireAvailable();
    schema = DatabaseServer.freshSchemaName();
  }

  @AfterEach
  void dropSchema() throws Exception {
    SERVER.dropSchema(schema);
  }

  @Test
  void aServerThatAcknowledgesCommitsBeforeTheyAreSafeIsReportedAtStart() {
    String lax = SERVER.url() + (SERVER.url().contains("?") ? "&" : "?")
        + "options=-c%20synchronous_commit%3Doff";
    try (LogCapture log = new LogCapture();
        JdbcPoolStore store = JdbcPoolStore.forUrl(lax, SERVER.user(), SERVER.password(),
            JdbcPoolStore.Options.builder().schema(schema).poolSize(2).build())) {
      store.start();
      assertThat(log.text()).contains("synchronous_commit=off")
          .contains("may be lost if the database server crashes");
    }
    try (LogCapture log = new LogCapture();
        JdbcPoolStore store = SERVER.store(schema)) {
      store.start();
      assertThat(log.text()).doesNotContain("may be lost");
    }
  }

  @Override
  String url() {
    return SERVER.url();
  }

  @Override
  String user() {
    return SERVER.user();
  }

  @Override
  String password() {
    return SERVER.password();
  }

  @Override
  String schema() {
    return schema;
  }
}
