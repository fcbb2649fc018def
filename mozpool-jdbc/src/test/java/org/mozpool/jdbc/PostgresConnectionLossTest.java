package org.mozpool.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** Connection loss on PostgreSQL: {@code pg_terminate_backend} of the store's sessions. */
class PostgresConnectionLossTest extends ConnectionLossContract {
  @Override
  DatabaseServer server() {
    return DatabaseServer.POSTGRESQL;
  }

  @Override
  String storeUrl(String schema) {
    String url = server().url();
    return url + (url.contains("?") ? "&" : "?") + "ApplicationName=" + schema;
  }

  @Override
  int killStoreSessions(String schema) throws SQLException {
    try (Connection c = server().connect();
        PreparedStatement st = c.prepareStatement("SELECT pg_terminate_backend(pid)"
            + " FROM pg_stat_activity WHERE application_name = ?")) {
      st.setString(1, schema);
      int killed = 0;
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          killed += rs.getBoolean(1) ? 1 : 0;
        }
      }
      return killed;
    }
  }
}
