package org.mozpool.server.cluster;

import static org.junit.jupiter.api.Assertions.fail;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;

/**
 * A database of its own on the local PostgreSQL server (127.0.0.1:5432, user {@code postgres},
 * trust) for one test, dropped afterwards. As in {@code mozpool-jdbc}'s tests: when the server does
 * not answer, the test fails under {@code CI=true} and is skipped, with the command that starts
 * the server, elsewhere. {@code MOZPOOL_TEST_PG_URL} / {@code _USER} / {@code _PASSWORD} override
 * the server (the URL names the database to connect to for creating others).
 */
final class FreshPostgres implements AutoCloseable {
  private static final String ADMIN_URL = setting("MOZPOOL_TEST_PG_URL",
      "jdbc:postgresql://127.0.0.1:5432/test");
  static final String USER = setting("MOZPOOL_TEST_PG_USER", "postgres");
  static final String PASSWORD = setting("MOZPOOL_TEST_PG_PASSWORD", "");
  private static final String START = "pg_ctlcluster --skip-systemctl-redirect"
      + " $(ls /etc/postgresql) main start";

  private final String name;

  private FreshPostgres(String name) {
    this.name = name;
  }

  /** Creates a fresh database, or fails (CI) / skips (elsewhere) the calling test. */
  static FreshPostgres create() {
    DriverManager.setLoginTimeout(5);
    String name = "mozpool_srv_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12)
        .toLowerCase(Locale.ROOT);
    try (Connection c = admin(); Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      String message = "PostgreSQL is not reachable at " + ADMIN_URL + " as " + USER + " ("
          + e.getMessage() + "). Start it with: " + START;
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail(message + " [CI=true: database tests must run]");
      }
      Assumptions.abort(message);
    }
    return new FreshPostgres(name);
  }

  private static Connection admin() throws SQLException {
    return DriverManager.getConnection(ADMIN_URL, USER, PASSWORD);
  }

  private static String setting(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isEmpty() ? fallback : v;
  }

  /** The JDBC URL of the fresh database. */
  String url() {
    int slash = ADMIN_URL.lastIndexOf('/');
    int query = ADMIN_URL.indexOf('?', slash);
    return ADMIN_URL.substring(0, slash + 1) + name
        + (query < 0 ? "" : ADMIN_URL.substring(query));
  }

  @Override
  public void close() throws SQLException {
    try (Connection c = admin(); Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
  }
}
