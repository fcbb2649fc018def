package org.mozpool.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.jdbc.JdbcPoolStore;
import org.mozpool.spi.PoolStore;

/**
 * The stores a benchmark runs on, by name, each fresh and empty: {@code memory}; {@code h2} (a new
 * embedded H2 file under the temp directory); {@code postgres} (a new schema in the database at
 * {@code -Dbench.pg.url}, default {@code jdbc:postgresql://127.0.0.1:5432/test}, user
 * {@code -Dbench.pg.user}, default {@code postgres}, dropped on close).
 */
final class Stores {
  static final String PG_URL = System.getProperty("bench.pg.url", "jdbc:postgresql://127.0.0.1:5432/test");
  static final String PG_USER = System.getProperty("bench.pg.user", "postgres");
  static final String PG_PASSWORD = System.getProperty("bench.pg.password", "");

  private Stores() {}

  /** A store and, for SQL stores, how to open a plain connection to the same database. */
  static final class Target implements AutoCloseable {
    final String name;
    final PoolStore store;
    private final String url;
    private final String user;
    private final String password;
    final String schema;
    private final Runnable cleanup;

    Target(String name, PoolStore store, String url, String user, String password, String schema,
        Runnable cleanup) {
      this.name = name;
      this.store = store;
      this.url = url;
      this.user = user;
      this.password = password;
      this.schema = schema;
      this.cleanup = cleanup;
    }

    boolean isSql() {
      return url != null;
    }

    /** A new plain JDBC connection to the store's database (auto-commit off). */
    Connection connect() throws SQLException {
      Connection c = DriverManager.getConnection(url, user, password);
      c.setAutoCommit(false);
      return c;
    }

    /** A table name qualified with the store's schema. */
    String table(String name) {
      return schema.isEmpty() ? name : schema + "." + name;
    }

    @Override
    public void close() {
      store.close();
      cleanup.run();
    }
  }

  /** A fresh, empty store. */
  static PoolStore open(String name) {
    return target(name).store;
  }

  static Target target(String name) {
    return target(name, null);
  }

  /** A fresh, empty store; a SQL one times its transactions in {@code meters} (if not null). */
  static Target target(String name, io.micrometer.core.instrument.MeterRegistry meters) {
    JdbcPoolStore.Options.Builder options = JdbcPoolStore.Options.builder();
    if (meters != null) {
      options.meterRegistry(meters);
    }
    switch (name) {
      case "memory":
        return new Target(name, new InMemoryPoolStore(), null, null, null, "", () -> {});
      case "h2": {
        Path dir;
        try {
          dir = Files.createTempDirectory("mozpool-bench-h2");
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
        Path file = dir.resolve("mozpool");
        JdbcPoolStore store = JdbcPoolStore.h2(file, options.build());
        // The raw loop opens the same URL as the store, so it commits with the same durability
        // (no write delay: a returned commit survives the process).
        String url = store.jdbcUrl();
        return new Target(name, store, url, "sa", "", "", () -> deleteTree(dir));
      }
      case "postgres": {
        String schema = "bench_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffL);
        exec(PG_URL, "CREATE SCHEMA " + schema);
        JdbcPoolStore store = JdbcPoolStore.forUrl(PG_URL, PG_USER, PG_PASSWORD,
            options.schema(schema).build());
        return new Target(name, store, PG_URL, PG_USER, PG_PASSWORD, schema,
            () -> exec(PG_URL, "DROP SCHEMA IF EXISTS " + schema + " CASCADE"));
      }
      default:
        throw new IllegalArgumentException("unknown store '" + name + "'; expected memory, h2 or postgres");
    }
  }

  private static void exec(String url, String sql) {
    try (Connection c = DriverManager.getConnection(url, PG_USER, PG_PASSWORD);
         Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + " failed on " + url + ": " + e.getMessage(), e);
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temp directory left behind is harmless
    }
  }
}
