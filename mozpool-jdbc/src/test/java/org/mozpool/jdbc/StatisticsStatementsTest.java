package org.mozpool.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.Lease;
import org.mozpool.RequestSpec;
import org.mozpool.core.DeviceSelectors;
import org.mozpool.spi.PoolStore;
import org.mozpool.spi.StoreTransaction;
import org.mozpool.testkit.faults.FaultProfile;
import org.mozpool.testkit.sim.VirtualLab;

/**
 * What keeping device statistics costs a Lifeguard step on H2, counted in statements: every
 * transaction reads a device's statistics at most once and writes them at most once, and only
 * steps that change them (a change of state family, a count) touch them at all.
 */
class StatisticsStatementsTest {
  @TempDir
  Path dir;

  /** H2 through {@link JdbcStoreTransaction}, one transaction at a time, each one's SQL kept. */
  private static final class CountingStore implements PoolStore {
    final StatementLog statements = new StatementLog();
    final List<List<String>> transactions = new ArrayList<>();
    private final Jdbi jdbi;

    CountingStore(Path file) {
      try (JdbcPoolStore store = JdbcPoolStore.h2(file)) {
        store.start(); // creates the schema
      }
      // kept open between transactions, as the store's connection pool keeps it
      String url = "jdbc:h2:file:" + file.toAbsolutePath() + ";DB_CLOSE_DELAY=-1";
      jdbi = Jdbi.create(() -> statements.wrap(DriverManager.getConnection(url, "sa", "")));
    }

    @Override
    public synchronized <T> T inTransaction(Function<StoreTransaction, T> work) {
      statements.clear();
      try (Handle handle = jdbi.open()) {
        handle.begin();
        JdbcStoreTransaction tx = new JdbcStoreTransaction(handle, Dialect.H2);
        try {
          T result = work.apply(tx);
          tx.flushLogs();
          handle.commit();
          transactions.add(List.copyOf(statements.executed()));
          return result;
        } catch (RuntimeException e) {
          handle.rollback();
          throw e;
        } finally {
          tx.close();
        }
      }
    }

    @Override
    public void close() {}
  }

  @Test
  void aStepReadsAndWritesADevicesStatisticsAtMostOnce() {
    CountingStore store = new CountingStore(dir.resolve("mozpool"));
    try (VirtualLab lab = VirtualLab.builder().devices(4).store(store).faults(FaultProfile.none())
        .selector(DeviceSelectors.firstByName()).build()) {
      lab.settle(Duration.ofMinutes(30));
      for (int i = 0; i < 6; i++) {
        Lease lease = lab.pool().request(RequestSpec.any().image("android").build());
        lease.awaitReady(Duration.ofHours(1));
        lease.returnDevice();
      }
      lab.advance(Duration.ofHours(2)); // idle health probes
    }

    List<List<String>> all;
    synchronized (store) {
      all = List.copyOf(store.transactions);
    }
    long statements = all.stream().mapToLong(List::size).sum();
    long reads = count(all, "SELECT statistics FROM device_statistics");
    long writes = count(all, "device_statistics (device, statistics)");
    assertThat(all).allSatisfy(tx -> {
      assertThat(tx.stream().filter(s -> s.startsWith("SELECT statistics")).count())
          .isLessThanOrEqualTo(1);
      assertThat(tx.stream().filter(s -> s.contains("device_statistics (device")).count())
          .isLessThanOrEqualTo(1);
    });
    // no read that is not followed by a write: a step that changes nothing reads nothing (the
    // four registrations write without reading)
    assertThat(reads).isPositive().isEqualTo(writes - 4);
    System.out.printf("%d transactions, %d statements, of which statistics: %d reads, %d writes"
        + " (%.1f%%)%n", all.size(), statements, reads, writes,
        100.0 * (reads + writes) / statements);
  }

  private static long count(List<List<String>> transactions, String fragment) {
    return transactions.stream().flatMap(List::stream).filter(s -> s.contains(fragment)).count();
  }
}
