package org.mozpool.jdbc;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.mozpool.StoreException;

/** Wrong databases, users and passwords on real servers fail start-up clearly. */
class ServerStartupFailureTest {
  private static JdbcPoolStore.Options options() {
    return JdbcPoolStore.Options.builder().poolSize(1)
        .connectionTimeout(Duration.ofSeconds(3)).build();
  }

  @Test
  void anUnknownPostgresUserFailsWithAStoreExceptionNamingTheUrlAndUser() {
    DatabaseServer.POSTGRESQL.requireAvailable();
    String url = DatabaseServer.POSTGRESQL.url();
    try (JdbcPoolStore store = JdbcPoolStore.forUrl(url, "no_such_mozpool_user", "hunter2", options())) {
      assertThatThrownBy(store::start).isInstanceOf(StoreException.class)
          .hasMessageContaining(url).hasMessageContaining("no_such_mozpool_user")
          .hasMessageNotContaining("hunter2");
    }
  }

  @Test
  void anUnknownPostgresDatabaseFailsWithAStoreExceptionNamingTheUrl() {
    DatabaseServer.POSTGRESQL.requireAvailable();
    String url = DatabaseServer.POSTGRESQL.url().replaceAll("/test$", "/no_such_mozpool_db");
    try (JdbcPoolStore store = JdbcPoolStore.forUrl(url, DatabaseServer.POSTGRESQL.user(), "",
        options())) {
      assertThatThrownBy(store::start).isInstanceOf(StoreException.class)
          .hasMessageContaining(url).hasMessageContaining("no_such_mozpool_db");
    }
  }

  @Test
  void aWrongMariaDbPasswordFailsWithAStoreExceptionNamingTheUrlButNotThePassword() {
    DatabaseServer.MARIADB.requireAvailable();
    String url = DatabaseServer.MARIADB.url();
    try (JdbcPoolStore store = JdbcPoolStore.forUrl(url, DatabaseServer.MARIADB.user(),
        "wrong-hunter2", options())) {
      assertThatThrownBy(store::start).isInstanceOf(StoreException.class)
          .hasMessageContaining(url).hasMessageContaining("Access denied")
          .hasMessageNotContaining("wrong-hunter2");
    }
  }
}
