package org.mozpool.jdbc;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.mozpool.spi.PoolStore;
import org.mozpool.testkit.store.PoolValidationContract;

/**
 * A pool over the store refuses bad input as the contract says on MariaDB, in a database of its
 * own that is emptied after each test and dropped after the last.
 */
class MariaDbPoolValidationTest extends PoolValidationContract {
  private static final DatabaseServer SERVER = DatabaseServer.MARIADB;
  private static String schema;

  @BeforeAll
  static void serverIsUp() {
    SERVER.requireAvailable();
    schema = DatabaseServer.freshSchemaName();
  }

  @AfterAll
  static void dropSchema() throws Exception {
    if (schema != null) {
      SERVER.dropSchema(schema);
    }
  }

  @Override
  protected PoolStore createStore() {
    return SERVER.store(schema);
  }

  @Override
  protected void destroyStore(PoolStore store) throws Exception {
    SERVER.emptySchema(schema);
  }
}
