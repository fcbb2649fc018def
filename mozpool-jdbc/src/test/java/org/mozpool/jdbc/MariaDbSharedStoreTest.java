package org.mozpool.jdbc;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Several instances sharing a MariaDB store, in a database of its own that is emptied after each
 * test and dropped after the last. MariaDB cannot notify: instances poll the outbox.
 */
class MariaDbSharedStoreTest extends SharedStoreContract {
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
  JdbcPoolStore createStore() {
    return SERVER.store(schema);
  }

  @Override
  void destroyStore() throws Exception {
    SERVER.emptySchema(schema);
  }

  @Test
  void listeningForEventsStartsNothingAndThePoolPolls() {
    store.listenForEvents("imaging-a", () -> {
      throw new AssertionError("MariaDB cannot notify");
    }).cancel();
  }
}
