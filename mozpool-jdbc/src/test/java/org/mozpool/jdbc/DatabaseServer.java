package org.mozpool.jdbc;

import static org.junit.jupiter.api.Assertions.fail;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;

/**
 * The database servers the tests use, on loopback. A test calls {@link #requireAvailable()}
 * first: when the server does not answer, the test fails under {@code CI=true} and is skipped
 * (visibly, with the command that starts the server) on a developer's machine.
 *
 * <p>URLs and users can be overridden with {@code MOZPOOL_TEST_PG_URL} / {@code _USER} /
 * {@code _PASSWORD} and {@code MOZPOOL_TEST_MARIADB_URL} / {@code _USER} / {@code _PASSWORD}.
 */
enum DatabaseServer {
  POSTGRESQL("PostgreSQL", "PG", "jdbc:postgresql://127.0.0.1:5432/test", "postgres",
      "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"),
  MARIADB("MariaDB", "MARIADB", "jdbc:mariadb://127.0.0.1:3306/test", "root",
      "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd");

  private final String displayName;
  private final String url;
  private final String user;
  private final String password;
  private final String startCommand;

  DatabaseServer(String displayName, String env, String url, String user, String startCommand) {
    this.displayName = displayName;
    this.url = setting("MOZPOOL_TEST_" + env + "_URL", url);
    this.user = setting("MOZPOOL_TEST_" + env + "_USER", user);
    this.password = setting("MOZPOOL_TEST_" + env + "_PASSWORD", "");
    this.startCommand = startCommand;
  }

  private static String setting(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isEmpty() ? fallback : v;
  }

  String url() {
    return url;
  }

  String user() {
    return user;
  }

  String password() {
    return password;
  }

  /** Fails (CI) or skips (elsewhere) the calling test unless the server answers. */
  void requireAvailable() {
    DriverManager.setLoginTimeout(5);
    try (Connection c = connect()) {
      c.isValid(5);
    } catch (SQLException e) {
      String message = displayName + " is not reachable at " + url + " as " + user + " ("
          + e.getMessage() + "). Start it with: " + startCommand;
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail(message + " [CI=true: database tests must run]");
      }
      Assumptions.abort(message);
    }
  }

  Connection connect() throws SQLException {
    return DriverManager.getConnection(url, user, password);
  }

  /** A fresh schema name (MariaDB: database) for one test. */
  static String freshSchemaName() {
    return "mozpool_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12)
        .toLowerCase(Locale.ROOT);
  }

  /** Drops {@code schema} and everything in it. */
  void dropSchema(String schema) throws SQLException {
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.execute(this == POSTGRESQL ? "DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE"
          : "DROP DATABASE IF EXISTS `" + schema + "`");
    }
  }

  /** Deletes every row of {@code schema} except the migration history (faster than a new schema). */
  void emptySchema(String schema) throws SQLException {
    try (Connection c = connect()) {
      List<String> tables = new ArrayList<>();
      try (PreparedStatement st = c.prepareStatement("SELECT table_name FROM"
          + " information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE'")) {
        st.setString(1, schema);
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            tables.add(rs.getString(1));
          }
        }
      }
      String q = this == POSTGRESQL ? "\"" : "`";
      try (Statement st = c.createStatement()) {
        for (String table : tables) {
          if (!table.equals("mozpool_schema_history")) {
            st.execute("DELETE FROM " + q + schema + q + "." + q + table + q);
          }
        }
      }
    }
  }

  /** A store in {@code schema} of this server, sized for tests. */
  JdbcPoolStore store(String schema) {
    return JdbcPoolStore.forUrl(url, user, password, JdbcPoolStore.Options.builder()
        .schema(schema).poolSize(8).build());
  }
}
