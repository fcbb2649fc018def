package org.mozpool.jdbc;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.mozpool.spi.PoolStore;
import org.mozpool.testkit.store.PoolValidationContract;

/**
 * A pool over the store refuses bad input as the contract says on PostgreSQL, in a schema of its
 * own that is emptied after each test and dropped after the last.
 */
class PostgresPoolValidationTest extends PoolValidationContract {
  private static final DatabaseServer SERVER = DatabaseServer.POSTGRESQL;
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
