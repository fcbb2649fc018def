package org.mozpool.jdbc;

import org.junit.jupiter.api.BeforeAll;
import org.mozpool.spi.PoolStore;
import org.mozpool.testkit.store.PoolStoreContract;

/** The store meets the store contract on PostgreSQL, in a schema of its own per test. */
class PostgresStoreContractTest extends PoolStoreContract {
  private static final DatabaseServer SERVER = DatabaseServer.POSTGRESQL;
  private String schema;

  @BeforeAll
  static void serverIsUp() {
    SERVER.requireAvailable();
  }

  @Override
  protected PoolStore createStore() {
    schema = DatabaseServer.freshSchemaName();
    return SERVER.store(schema);
  }

  @Override
  protected void destroyStore(PoolStore store) throws Exception {
    SERVER.dropSchema(schema);
  }
}
