package org.mozpool.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Several instances starting at once on a new PostgreSQL database that ends idle transactions
 * quickly (the setting README recommends for several instances): one migrates the schema while the
 * others wait for it, and every one of them starts.
 */
class PostgresConcurrentStartTest {
  private static final DatabaseServer SERVER = DatabaseServer.POSTGRESQL;

  @Test
  @Timeout(120)
  void instancesStartingTogetherWaitForOneMigrationEvenWhenIdleTransactionsAreEnded()
      throws Exception {
    SERVER.requireAvailable();
    String database = DatabaseServer.freshSchemaName();
    try (Connection c = SERVER.connect(); Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + database);
      st.execute("ALTER DATABASE " + database + " SET idle_in_transaction_session_timeout = '200ms'");
    }
    String url = SERVER.url().replaceAll("/[^/?]*(\\?|$)", "/" + database + "$1");
    int instances = 4;
    ExecutorService starters = Executors.newFixedThreadPool(instances);
    List<JdbcPoolStore> stores = new ArrayList<>();
    try {
      CyclicBarrier together = new CyclicBarrier(instances);
      List<Future<?>> started = new ArrayList<>();
      for (int i = 0; i < instances; i++) {
        JdbcPoolStore store = JdbcPoolStore.forUrl(url, SERVER.user(), SERVER.password());
        stores.add(store);
        started.add(starters.submit(() -> {
          together.await();
          store.start();
          return null;
        }));
      }
      for (Future<?> f : started) {
        f.get(90, TimeUnit.SECONDS); // throws if a start failed
      }
      for (JdbcPoolStore store : stores) {
        List<?> devices = store.inTransaction(tx -> tx.devices());
        assertThat(devices).isEmpty();
      }
    } finally {
      starters.shutdownNow();
      stores.forEach(JdbcPoolStore::close);
      try (Connection c = SERVER.connect(); Statement st = c.createStatement()) {
        st.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
      }
    }
  }
}
