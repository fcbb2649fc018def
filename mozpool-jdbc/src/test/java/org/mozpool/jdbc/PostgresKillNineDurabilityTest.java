package org.mozpool.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code kill -9} durability over PostgreSQL, in a schema of its own. */
class PostgresKillNineDurabilityTest extends KillNineDurabilityOnServer {
  @Override
  DatabaseServer server() {
    return DatabaseServer.POSTGRESQL;
  }

  @Test
  void aServerThatAcknowledgesCommitsBeforeTheyAreSafeIsReportedAtStart() {
    String lax = server().url() + (server().url().contains("?") ? "&" : "?")
        + "options=-c%20synchronous_commit%3Doff";
    try (LogCapture log = new LogCapture();
        JdbcPoolStore store = JdbcPoolStore.forUrl(lax, server().user(), server().password(),
            JdbcPoolStore.Options.builder().schema(schema()).poolSize(2).build())) {
      store.start();
      assertThat(log.text()).contains("synchronous_commit=off")
          .contains("may be lost if the database server crashes");
    }
    try (LogCapture log = new LogCapture();
        JdbcPoolStore store = server().store(schema())) {
      store.start();
      assertThat(log.text()).doesNotContain("may be lost");
    }
  }
}
