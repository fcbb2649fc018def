package org.mozpool.jdbc;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** Crash recovery over PostgreSQL, in a schema of its own. */
class PostgresCrashRecoveryTest extends CrashRecoveryContract {
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

  @Override
  JdbcPoolStore newStore() {
    return SERVER.store(schema);
  }
}
