package org.mozpool.examples.several;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;
import org.mozpool.examples.PostgresUnreachable;

/**
 * A new PostgreSQL database on 127.0.0.1:5432 for one test of several processes, dropped (with
 * whatever still holds it) when the test is done. When the server does not answer, the test is
 * skipped with the command that starts it, except under {@code CI=true}, where it fails.
 */
final class FreshDatabase implements AutoCloseable {
  /** The server, without a database name. */
  static final String SERVER = "jdbc:postgresql://127.0.0.1:5432/";
  static final String USER = "postgres";

  private final String name;

  /**
   * Creates a database named {@code prefix} and a random suffix, then runs {@code settings} (SQL
   * with {@code %s} for the name, e.g. {@code ALTER DATABASE %s SET …}).
   */
  FreshDatabase(String prefix, String... settings) {
    DriverManager.setLoginTimeout(5);
    String created = prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 10)
        .toLowerCase(Locale.ROOT);
    try (Connection c = DriverManager.getConnection(SERVER + "test", USER, "");
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + created);
      for (String setting : settings) {
        st.execute(String.format(setting, created));
      }
    } catch (SQLException e) {
      PostgresUnreachable.skipOrFail(SERVER + "test", USER, e);
    }
    this.name = created;
  }

  String name() {
    return name;
  }

  String url() {
    return SERVER + name;
  }

  @Override
  public void close() throws SQLException {
    try (Connection c = DriverManager.getConnection(SERVER + "test", USER, "");
        Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
  }
}
