package org.mozpool.jdbc;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** {@link KillNineDurabilityContract} on a database server, in a schema of its own per test. */
abstract class KillNineDurabilityOnServer extends KillNineDurabilityContract {
  private String schema;

  abstract DatabaseServer server();

  @BeforeEach
  void serverIsUp() {
    server().requireAvailable();
    schema = DatabaseServer.freshSchemaName();
  }

  @AfterEach
  void dropSchema() throws Exception {
    server().dropSchema(schema);
  }

  @Override
  String url() {
    return server().url();
  }

  @Override
  String user() {
    return server().user();
  }

  @Override
  String password() {
    return server().password();
  }

  @Override
  String schema() {
    return schema;
  }
}
