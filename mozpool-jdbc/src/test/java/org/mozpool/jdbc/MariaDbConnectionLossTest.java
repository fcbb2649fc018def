package org.mozpool.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** Connection loss on MariaDB: {@code KILL CONNECTION} of the store's sessions. */
class MariaDbConnectionLossTest extends ConnectionLossContract {
  @Override
  DatabaseServer server() {
    return DatabaseServer.MARIADB;
  }

  @Override
  String storeUrl(String schema) {
    return server().url();
  }

  @Override
  int killStoreSessions(String schema) throws SQLException {
    try (Connection c = server().connect()) {
      List<Long> ids = new ArrayList<>();
      try (PreparedStatement st = c.prepareStatement(
          "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ?")) {
        st.setString(1, schema);
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            ids.add(rs.getLong(1));
          }
        }
      }
      try (Statement st = c.createStatement()) {
        for (long id : ids) {
          st.execute("KILL CONNECTION " + id);
        }
      }
      return ids.size();
    }
  }
}
