package org.mozpool.jdbc;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

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
