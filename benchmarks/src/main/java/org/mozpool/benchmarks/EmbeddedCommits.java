package org.mozpool.benchmarks;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mozpool.jdbc.JdbcPoolStore;

/**
 * Issue 18's question about the embedded default: how many commits per second do embedded
 * databases make on this machine when a commit that returned must survive {@code kill -9} of the
 * process, one writer at a time, as the lab simulation commits on the virtual clock.
 *
 * <p>Contenders, each in a fresh directory:
 * <ul>
 *   <li>{@code h2}: H2 exactly as {@link JdbcPoolStore#h2} opens it ({@code WRITE_DELAY=0}: each
 *       commit written to the file before it returns; the store's file compaction running);
 *   <li>{@code sqlite-normal}: SQLite in WAL mode with {@code synchronous=NORMAL} (each commit
 *       appended to the write-ahead log before it returns, synced to disk at checkpoints: the same
 *       promise as H2's, process crash yes, power loss no);
 *   <li>{@code sqlite-full}: SQLite in WAL mode with {@code synchronous=FULL} (the log synced at
 *       each commit: survives a power loss too);
 *   <li>{@code hsqldb}: HSQLDB's cached tables with {@code hsqldb.write_delay=false} (its log
 *       synced at each commit).
 * </ul>
 * Two shapes of transaction: {@code raw}, one {@code UPDATE} of a one-row table and
 * {@code COMMIT}; {@code step}, what a state-machine step does: read a machine row, write it
 * back with its version check, append a log line, {@code COMMIT}. Rounds interleave the
 * contenders; medians are printed, with the JVM's CPU time per commit (the databases run
 * inside it).
 */
public final class EmbeddedCommits {

  private EmbeddedCommits() {}

  /** One contender: how to connect, and what to say about it. */
  private interface Contender {
    Connection connect(Path dir) throws Exception;
  }

  public static void main(String[] args) throws Exception {
    Report.header(EmbeddedCommits.class, args);
    int seconds = Report.intArg(args, "seconds", 3);
    int rounds = Report.intArg(args, "rounds", 3);
    Map<String, Contender> contenders = new LinkedHashMap<>();
    List<JdbcPoolStore> stores = new ArrayList<>();
    contenders.put("h2", dir -> {
      JdbcPoolStore store = JdbcPoolStore.h2(dir.resolve("mozpool"));
      store.start(); // its file compaction runs while it is open, as in the simulation
      stores.add(store);
      return DriverManager.getConnection(store.jdbcUrl(), "sa", "");
    });
    contenders.put("sqlite-normal", dir -> sqlite(dir, "NORMAL"));
    contenders.put("sqlite-full", dir -> sqlite(dir, "FULL"));
    contenders.put("hsqldb", dir -> DriverManager.getConnection("jdbc:hsqldb:file:"
        + dir.resolve("db") + ";hsqldb.write_delay=false;hsqldb.default_table_type=cached", "SA",
        ""));
    for (String shape : Report.arg(args, "shapes", "raw,step").split(",")) {
      Map<String, List<double[]>> results = new LinkedHashMap<>();
      Map<String, Connection> open = new LinkedHashMap<>();
      List<Path> dirs = new ArrayList<>();
      for (Map.Entry<String, Contender> c : contenders.entrySet()) {
        Path dir = Files.createTempDirectory("mozpool-commits-" + c.getKey() + "-");
        dirs.add(dir);
        Connection connection = c.getValue().connect(dir);
        connection.setAutoCommit(false);
        create(connection, shape);
        loop(connection, shape, 1); // warm-up
        open.put(c.getKey(), connection);
        results.put(c.getKey(), new ArrayList<>());
      }
      for (int round = 0; round < rounds; round++) {
        for (Map.Entry<String, Connection> c : open.entrySet()) {
          results.get(c.getKey()).add(loop(c.getValue(), shape, seconds));
        }
      }
      for (Map.Entry<String, List<double[]>> r : results.entrySet()) {
        double[] rates = r.getValue().stream().mapToDouble(x -> x[0]).sorted().toArray();
        double[] cpu = r.getValue().stream().mapToDouble(x -> x[1]).sorted().toArray();
        Report.figure("commits." + shape + "." + r.getKey() + ".per_second",
            Report.fmt(rates[rates.length / 2]) + "  (rounds: " + join(r.getValue(), 0) + ")");
        Report.figure("commits." + shape + "." + r.getKey() + ".jvm_cpu_us",
            Report.fmt(cpu[cpu.length / 2]));
      }
      for (Connection c : open.values()) {
        c.close();
      }
      for (JdbcPoolStore store : stores) {
        store.close();
      }
      stores.clear();
      for (Path dir : dirs) {
        deleteTree(dir);
      }
    }
  }

  private static Connection sqlite(Path dir, String synchronous) throws SQLException {
    Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("db.sqlite"));
    try (Statement s = c.createStatement()) {
      s.execute("PRAGMA journal_mode=WAL");
      s.execute("PRAGMA synchronous=" + synchronous);
    }
    return c;
  }

  private static void create(Connection c, String shape) throws SQLException {
    try (Statement s = c.createStatement()) {
      if (shape.equals("raw")) {
        s.execute("CREATE TABLE bench_raw (id INT PRIMARY KEY, n BIGINT NOT NULL)");
        s.execute("INSERT INTO bench_raw VALUES (1, 0)");
      } else {
        s.execute("CREATE TABLE bench_machine (id VARCHAR(64) PRIMARY KEY, state VARCHAR(64)"
            + " NOT NULL, counters VARCHAR(1000) NOT NULL, deadline_us BIGINT NOT NULL,"
            + " attempt BIGINT NOT NULL, version BIGINT NOT NULL)");
        s.execute("CREATE TABLE bench_log (seq BIGINT PRIMARY KEY, machine VARCHAR(64) NOT NULL,"
            + " at_us BIGINT NOT NULL, source VARCHAR(32) NOT NULL, message VARCHAR(1000)"
            + " NOT NULL)");
        s.execute("CREATE INDEX bench_log_machine ON bench_log (machine, at_us)");
        for (int i = 0; i < 16; i++) {
          s.execute("INSERT INTO bench_machine VALUES ('panda-" + i + "', 'ready', '{}', 0, 0,"
              + " 0)");
        }
      }
    }
    c.commit();
  }

  private static long logSeq;

  /** Commits in a loop for {@code seconds}: {commits per second, JVM CPU µs per commit}. */
  private static double[] loop(Connection c, String shape, int seconds) throws SQLException {
    var os = (com.sun.management.OperatingSystemMXBean)
        ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = os.getProcessCpuTime();
    long start = System.nanoTime();
    long end = start + seconds * 1_000_000_000L;
    long commits = 0;
    boolean raw = shape.equals("raw");
    try (PreparedStatement update = c.prepareStatement(raw
            ? "UPDATE bench_raw SET n = n + 1 WHERE id = 1"
            : "UPDATE bench_machine SET state = ?, deadline_us = ?, version = version + 1"
                + " WHERE id = ? AND version = ?");
        PreparedStatement read = raw ? null : c.prepareStatement(
            "SELECT state, counters, deadline_us, attempt, version FROM bench_machine"
                + " WHERE id = ?");
        PreparedStatement log = raw ? null : c.prepareStatement(
            "INSERT INTO bench_log VALUES (?, ?, ?, 'lifeguard', ?)")) {
      while (System.nanoTime() < end) {
        if (raw) {
          update.executeUpdate();
        } else {
          String id = "panda-" + (commits % 16);
          long version;
          String state;
          read.setString(1, id);
          try (ResultSet rs = read.executeQuery()) {
            rs.next();
            state = rs.getString(1);
            version = rs.getLong(5);
          }
          String next = state.equals("ready") ? "pc_power_cycling" : "ready";
          update.setString(1, next);
          update.setLong(2, System.currentTimeMillis() * 1000 + 3_600_000_000L);
          update.setString(3, id);
          update.setLong(4, version);
          if (update.executeUpdate() != 1) {
            throw new IllegalStateException("version check failed for " + id);
          }
          log.setLong(1, ++logSeq);
          log.setString(2, id);
          log.setLong(3, System.currentTimeMillis() * 1000);
          log.setString(4, "entering state " + next);
          log.executeUpdate();
        }
        c.commit();
        commits++;
      }
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    double cpuUs = (os.getProcessCpuTime() - cpu0) / 1e3;
    return new double[] {commits / elapsed, cpuUs / commits};
  }

  private static String join(List<double[]> rounds, int index) {
    StringBuilder b = new StringBuilder();
    for (double[] r : rounds) {
      b.append(b.length() == 0 ? "" : ", ").append(Report.fmt(r[index]));
    }
    return b.toString();
  }

  private static void deleteTree(Path dir) throws java.io.IOException {
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
