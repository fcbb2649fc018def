package org.mozpool.examples;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 over PostgreSQL, in a schema of its own: a pool killed with SIGKILL at random moments
 * and restarted each time ends with every healthy device ready and every request served (see
 * {@link PoolKillRun}). Skipped when the server does not answer, except under {@code CI=true},
 * where it fails. {@code MOZPOOL_TEST_PG_URL} / {@code _USER} / {@code _PASSWORD} override where
 * it connects.
 */
class PostgresPoolKillTest {
  private static final String URL = setting("MOZPOOL_TEST_PG_URL",
      "jdbc:postgresql://127.0.0.1:5432/test");
  private static final String USER = setting("MOZPOOL_TEST_PG_USER", "postgres");
  private static final String PASSWORD = setting("MOZPOOL_TEST_PG_PASSWORD", "");
  private String schema;

  private static String setting(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isEmpty() ? fallback : v;
  }

  @BeforeEach
  void serverIsUp() {
    DriverManager.setLoginTimeout(5);
    try (Connection c = DriverManager.getConnection(URL, USER, PASSWORD)) {
      c.isValid(5);
    } catch (SQLException e) {
      PostgresUnreachable.skipOrFail(URL, USER, e);
    }
    schema = "mozpool_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12)
        .toLowerCase(Locale.ROOT);
  }

  @AfterEach
  void dropSchema() throws SQLException {
    if (schema == null) {
      return;
    }
    try (Connection c = DriverManager.getConnection(URL, USER, PASSWORD);
        Statement st = c.createStatement()) {
      st.execute("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
    }
  }

  @Test
  void poolKilledTwelveTimesEndsWithEveryHealthyDeviceReadyAndEveryRequestServed()
      throws Exception {
    new PoolKillRun("postgresql", URL, USER, PASSWORD, schema, 23, 12).runAndCheck();
  }
}
