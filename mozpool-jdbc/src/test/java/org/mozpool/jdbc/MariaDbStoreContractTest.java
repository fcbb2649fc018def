package org.mozpool.jdbc;

import org.junit.jupiter.api.BeforeAll;
import org.mozpool.spi.PoolStore;
import org.mozpool.testkit.store.PoolStoreContract;

/** The store meets the store contract on MariaDB, in a database of its own per test. */
class MariaDbStoreContractTest extends PoolStoreContract {
  private static final DatabaseServer SERVER = DatabaseServer.MARIADB;
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
