package org.mozpool.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;
import org.mozpool.MozpoolException;
import org.mozpool.StoreException;
import org.mozpool.spi.PoolStore;
import org.mozpool.spi.StoreTransaction;
import org.mozpool.spi.TransientStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link PoolStore} in a SQL database: H2 (embedded, the zero-setup default), PostgreSQL
 * (production, several instances sharing one database) or MariaDB/MySQL. Connections come from a
 * HikariCP pool; the schema is created and upgraded by versioned Flyway migrations when the store
 * {@linkplain #start() starts}.
 *
 * <pre>{@code
 * PoolStore store = JdbcPoolStore.forUrl("jdbc:postgresql://db.lab/mozpool", "mozpool", secret,
 *     JdbcPoolStore.Options.builder().poolSize(20).schema("mozpool").build());
 * }</pre>
 *
 * <p>Behaves exactly like the in-memory reference store, with these storage details: instants
 * are kept to the microsecond (finer digits are dropped); log lines are read back in insertion
 * order and pruned by timestamp; if {@link Options#pruneInterval()} is set, log lines older than
 * {@link Options#logRetention()} are deleted at start and then at that interval.
 *
 * <p>Transactions run at READ COMMITTED. A machine update is one conditional {@code UPDATE} on
 * its version; a claim is an insert that the unique keys on device and on request decide. A
 * failure that may pass (dropped connection, server shutting down, deadlock or serialisation
 * victim, lock timeout) is thrown as {@link TransientStoreException} after the transaction was
 * rolled back; after a lost connection the idle ones are retired too, so that retrying the unit
 * of work runs on a freshly opened connection.
 * Other database errors are thrown as {@link StoreException}, whose message names the database
 * URL (never its password).
 *
 * <p>With a {@linkplain Options.Builder#meterRegistry meter registry} every transaction is timed
 * as {@code mozpool.store.transactions}, tagged with its outcome and the database (see {@code
 * METRICS.md}).
 *
 * <p>Several instances, in several processes, may share one database ({@link #shareable()}):
 * instance records and heartbeats on the database's clock, the driver of each device and request,
 * adoption, and an outbox of machine events (schema version 4). On PostgreSQL an instance is woken
 * by {@code LISTEN/NOTIFY} when the outbox has news for it ({@link #listenForEvents}).
 *
 * <p>Thread safe. {@link #close()} is idempotent and stops the pruning thread, the outbox
 * listeners and the pool.
 */
public final class JdbcPoolStore implements PoolStore {
  /** System property that overrides the file of {@link #h2Default()}. */
  public static final String H2_PATH_PROPERTY = "mozpool.h2.path";
  /** The file of {@link #h2Default()} when the system property is not set. */
  public static final String DEFAULT_H2_PATH = "./mozpool-data/mozpool";

  private static final Logger LOG = LoggerFactory.getLogger(JdbcPoolStore.class);
  private static final AtomicInteger POOL_NUMBERS = new AtomicInteger();
  private static final Pattern SECRET_PARAM =
      Pattern.compile("(?i)(password|pwd|passwd)=[^&;]*");

  private final String url;
  private final String user;
  private final String password;
  private final Options options;
  private final Dialect dialect;
  /** Transaction timers by outcome; empty without a registry. */
  private final Map<String, Timer> transactionTimers = new ConcurrentHashMap<>();
  /** Outbox listeners running (PostgreSQL); each removes itself when it stops. */
  private final Set<OutboxListener> listeners = ConcurrentHashMap.newKeySet();

  private volatile HikariDataSource dataSource;
  private volatile Jdbi jdbi;
  private ScheduledExecutorService pruner;
  private H2FileCompaction compaction;
  private boolean closed;

  private JdbcPoolStore(String url, String user, String password, Options options) {
    this.dialect = Dialect.of(Objects.requireNonNull(url, "jdbcUrl"));
    this.url = dialect == Dialect.H2 ? interruptSafe(withoutCompactionAtClose(durableH2(url)))
        : url;
    this.user = Objects.requireNonNullElse(user, "");
    this.password = Objects.requireNonNullElse(password, "");
    this.options = Objects.requireNonNull(options, "options");
  }

  /** A store in the H2 database file {@code file} (without the {@code .mv.db} suffix). */
  public static JdbcPoolStore h2(Path file) {
    return h2(file, Options.defaults());
  }

  /** A store in the H2 database file {@code file}, with {@code options}. */
  public static JdbcPoolStore h2(Path file, Options options) {
    String path = file.toAbsolutePath().normalize().toString();
    // A larger query cache spares H2 from re-parsing the store's few dozen statements (its
    // default of 8 is smaller than the set one state-machine step uses).
    return new JdbcPoolStore("jdbc:h2:file:" + path + ";QUERY_CACHE_SIZE=256", "sa", "", options);
  }

  /**
   * A store in the default H2 file: the system property {@value #H2_PATH_PROPERTY}, else
   * {@value #DEFAULT_H2_PATH} relative to the working directory.
   */
  public static JdbcPoolStore h2Default() {
    return h2(Path.of(System.getProperty(H2_PATH_PROPERTY, DEFAULT_H2_PATH)));
  }

  /**
   * A store in the database at {@code jdbcUrl} ({@code jdbc:h2:}, {@code jdbc:postgresql:},
   * {@code jdbc:mariadb:} or {@code jdbc:mysql:}).
   *
   * @throws IllegalArgumentException for any other kind of URL
   */
  public static JdbcPoolStore forUrl(String jdbcUrl, String user, String password) {
    return forUrl(jdbcUrl, user, password, Options.defaults());
  }

  /** A store in the database at {@code jdbcUrl}, with {@code options}. */
  public static JdbcPoolStore forUrl(String jdbcUrl, String user, String password,
      Options options) {
    return new JdbcPoolStore(jdbcUrl, user, password, options);
  }

  /** The JDBC URL, with any password parameter masked. */
  public String jdbcUrl() {
    return redact(url);
  }

  /** The options this store was created with. */
  public Options options() {
    return options;
  }

  /**
   * Opens the connection pool and migrates the schema to the current version. Called by the pool
   * at start-up, or implicitly by the first {@link #inTransaction}. Idempotent.
   *
   * @throws StoreException if the database cannot be reached, rejects the credentials or cannot
   *     be migrated; the message names the URL
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  public synchronized void start() {
    if (closed) {
      throw new IllegalStateException("store " + jdbcUrl() + " is closed");
    }
    if (jdbi != null) {
      return;
    }
    HikariDataSource ds = openPool();
    try {
      migrate(ds);
      if (dialect == Dialect.H2) {
        compaction = startH2FileCompaction(ds);
      }
    } catch (RuntimeException e) {
      ds.close();
      throw e;
    }
    dataSource = ds;
    jdbi = Jdbi.create(ds);
    warnIfCommitsMayBeLost(ds);
    startPruning();
    LOG.info("Mozpool store ready at {} ({}, pool of {})", jdbcUrl(), dialect,
        options.poolSize());
  }

  private HikariDataSource openPool() {
    HikariConfig config = new HikariConfig();
    config.setPoolName("mozpool-jdbc-" + POOL_NUMBERS.incrementAndGet());
    config.setJdbcUrl(url);
    config.setUsername(user);
    config.setPassword(password);
    config.setMaximumPoolSize(options.poolSize());
    config.setMinimumIdle(Math.min(2, options.poolSize()));
    config.setConnectionTimeout(Math.max(250, options.connectionTimeout().toMillis()));
    config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
    if (!options.schema().isEmpty()) {
      // Connections open in the schema, so it has to exist before the pool fills.
      createSchema();
      if (dialect == Dialect.MARIADB) {
        config.setCatalog(options.schema());
      } else {
        config.setSchema(options.schema());
      }
    }
    try {
      return new HikariDataSource(config);
    } catch (RuntimeException e) {
      throw new StoreException("cannot open the Mozpool store at " + jdbcUrl() + " as user '"
          + user + "': " + rootMessage(e), e);
    }
  }

  private void createSchema() {
    // Look before creating: a user allowed to use an existing schema may not be allowed to
    // create one, and PostgreSQL checks that right even for CREATE SCHEMA IF NOT EXISTS.
    try (Connection c = DriverManager.getConnection(url, user, password);
        PreparedStatement exists = c.prepareStatement(
            "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?")) {
      exists.setString(1, options.schema());
      boolean present;
      try (ResultSet rs = exists.executeQuery()) {
        present = rs.next() && rs.getInt(1) > 0;
      }
      if (!present) {
        try (Statement st = c.createStatement()) {
          st.execute(dialect.createSchema(options.schema()));
        }
      }
    } catch (SQLException e) {
      throw new StoreException("cannot open the Mozpool store at " + jdbcUrl() + " as user '"
          + user + "' (schema " + options.schema() + "): " + rootMessage(e), e);
    }
  }

  /**
   * Flyway's PostgreSQL support is loaded by URL, never compiled against (as the drivers): its
   * {@code transactionalLock} setting is reached by name.
   */
  private static void sessionLevelMigrationLock(
      org.flywaydb.core.api.configuration.FluentConfiguration flyway) {
    try {
      Class<? extends org.flywaydb.core.extensibility.ConfigurationExtension> type = Class.forName(
          "org.flywaydb.database.postgresql.PostgreSQLConfigurationExtension", true,
          JdbcPoolStore.class.getClassLoader())
          .asSubclass(org.flywaydb.core.extensibility.ConfigurationExtension.class);
      Object extension = flyway.getConfigurationExtension(type);
      type.getMethod("setTransactionalLock", boolean.class).invoke(extension, false);
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("could not make Flyway's PostgreSQL migration lock session-level ({}); instances"
          + " starting together may then need idle transactions to be allowed", e.toString());
    }
  }

  private void migrate(HikariDataSource ds) {
    try {
      var flyway = Flyway.configure(JdbcPoolStore.class.getClassLoader())
          .dataSource(ds)
          .locations("classpath:db/migration/mozpool")
          .table("mozpool_schema_history")
          .placeholders(dialect.placeholders());
      if (dialect == Dialect.POSTGRESQL) {
        // A session-level lock: instances starting together wait for the one migrating without
        // an open transaction, so the idle_in_transaction_session_timeout recommended for several
        // instances (README) does not end the waiters' sessions.
        sessionLevelMigrationLock(flyway);
      }
      if (!options.schema().isEmpty()) {
        flyway.schemas(options.schema());
      }
      var result = flyway.load().migrate();
      if (result.migrationsExecuted > 0) {
        LOG.info("Mozpool store at {}: applied {} migration(s), schema now at version {}",
            jdbcUrl(), result.migrationsExecuted, result.targetSchemaVersion);
      }
    } catch (RuntimeException e) {
      throw new StoreException("cannot migrate the Mozpool schema at " + jdbcUrl() + ": "
          + rootMessage(e), e);
    }
  }

  /**
   * Says so, loudly, when the database server is configured to acknowledge a commit before it is
   * safe: the pool tells its callers that what returned is stored (DESIGN §8).
   */
  private void warnIfCommitsMayBeLost(HikariDataSource ds) {
    String query = switch (dialect) {
      case POSTGRESQL -> "SELECT current_setting('synchronous_commit'), current_setting('fsync')";
      case MARIADB -> "SELECT @@innodb_flush_log_at_trx_commit, @@sync_binlog";
      default -> null; // H2: durable by construction of the URL (see durableH2)
    };
    if (query == null) {
      return;
    }
    try (Connection c = ds.getConnection(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(query)) {
      rs.next();
      String first = rs.getString(1);
      String second = rs.getString(2);
      if (dialect == Dialect.POSTGRESQL && ("off".equals(first) || "off".equals(second))) {
        LOG.warn("PostgreSQL at {} runs with synchronous_commit={} and fsync={}: a commit the"
            + " pool reports may be lost if the database server crashes; set both to on for"
            + " the durability Mozpool promises", jdbcUrl(), first, second);
      } else if (dialect == Dialect.MARIADB && !"1".equals(first)) {
        LOG.warn("MariaDB at {} runs with innodb_flush_log_at_trx_commit={}: a commit the pool"
            + " reports may be lost if the database server crashes; set it to 1 for the"
            + " durability Mozpool promises", jdbcUrl(), first);
      }
    } catch (SQLException e) {
      LOG.debug("could not read the commit durability settings at {}", jdbcUrl(), e);
    }
  }

  private H2FileCompaction startH2FileCompaction(HikariDataSource ds) {
    try {
      return H2FileCompaction.start(ds, jdbcUrl());
    } catch (SQLException e) {
      throw new StoreException("Mozpool store at " + jdbcUrl() + ": could not open the H2 file: "
          + rootMessage(e), e);
    }
  }

  private void startPruning() {
    if (options.logRetention().isZero() || options.pruneInterval().isZero()) {
      return;
    }
    pruner = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "mozpool-jdbc-log-pruner");
      t.setDaemon(true);
      return t;
    });
    pruner.scheduleWithFixedDelay(this::pruneQuietly, 0, options.pruneInterval().toMillis(),
        TimeUnit.MILLISECONDS);
  }

  private void pruneQuietly() {
    try {
      Instant before = options.clock().instant().minus(options.logRetention());
      int pruned = inTransaction(tx -> tx.pruneLogs(before));
      if (pruned > 0) {
        LOG.info("Mozpool store at {}: pruned {} log line(s) older than {}", jdbcUrl(), pruned,
            before);
      }
    } catch (RuntimeException e) {
      LOG.warn("Mozpool store at {}: pruning old log lines failed, will try again in {}",
          jdbcUrl(), options.pruneInterval(), e);
    }
  }

  @Override
  public <T> T inTransaction(Function<StoreTransaction, T> work) {
    if (options.meterRegistry() == null) {
      return transaction(work);
    }
    long start = System.nanoTime();
    String outcome = "failed";
    try {
      T result = transaction(work);
      outcome = "committed";
      return result;
    } catch (org.mozpool.spi.StaleStateException e) {
      outcome = "conflict";
      throw e;
    } catch (TransientStoreException e) {
      outcome = "transient";
      throw e;
    } catch (StoreException e) {
      outcome = "failed";
      throw e;
    } catch (RuntimeException e) {
      outcome = "rolled_back"; // the work refused (a domain exception): the store is fine
      throw e;
    } finally {
      transactionTimer(outcome).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }
  }

  private Timer transactionTimer(String outcome) {
    return transactionTimers.computeIfAbsent(outcome, o -> Timer.builder("mozpool.store.transactions")
        .description("Store transactions by outcome: committed, conflict (lost an optimistic"
            + " race), rolled_back (the work refused), transient (may pass), failed")
        .tag("outcome", o).tag("database", dialect.name().toLowerCase(Locale.ROOT))
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofNanos(100_000)).maximumExpectedValue(Duration.ofSeconds(30))
        .register(options.meterRegistry()));
  }

  private <T> T transaction(Function<StoreTransaction, T> work) {
    Objects.requireNonNull(work, "work");
    Jdbi j = jdbi;
    if (j == null) {
      start();
      j = jdbi;
    }
    try {
      return runTransaction(j, work);
    } catch (JdbiException e) {
      throw translate(e);
    } catch (MozpoolException e) {
      throw e;
    } catch (RuntimeException e) {
      SQLException sql = findSqlException(e);
      throw sql == null ? e : translate(e);
    }
  }

  private <T> T runTransaction(Jdbi j, Function<StoreTransaction, T> work) {
    Handle handle = j.open();
    boolean done = false;
    try {
      handle.begin();
      JdbcStoreTransaction tx = new JdbcStoreTransaction(handle, dialect);
      T result;
      try {
        result = work.apply(tx);
        tx.flushLogs();
      } finally {
        tx.close();
      }
      // A transaction that wrote nothing has no id and nothing a lost COMMIT could lose: no
      // need to ask the server for its id (a round trip on every read-only transaction). One
      // that logged got its id back from its log INSERT.
      Long xid = null;
      if (dialect.canAskCommitStatus() && tx.wrote()) {
        xid = tx.idReturnedByLogs() != null ? tx.idReturnedByLogs() : transactionId(handle);
      }
      try {
        handle.commit();
      } catch (RuntimeException e) {
        if (!dialect.canAskCommitStatus()) {
          throw commitOutcomeUnknown(e);
        }
        if (xid == null || !committedAfterAll(j, xid, e)) {
          throw e;
        }
        LOG.warn("Mozpool store at {}: the connection dropped while committing, but transaction"
            + " {} did commit; carrying on", jdbcUrl(), xid);
      }
      done = true;
      return result;
    } catch (RuntimeException | Error e) {
      if (!done) {
        try {
          handle.rollback();
        } catch (RuntimeException rollbackFailure) {
          e.addSuppressed(rollbackFailure);
        }
      }
      throw e;
    } finally {
      try {
        handle.close();
      } catch (RuntimeException closeFailure) {
        // The outcome is decided; a broken connection is discarded by the pool anyway.
        LOG.debug("Mozpool store at {}: closing a handle failed", jdbcUrl(), closeFailure);
      }
    }
  }

  /**
   * A commit whose connection dropped on a database that cannot be asked how it ended: transient
   * (the caller retries its step from fresh state), but without the claim that it rolled back.
   */
  private RuntimeException commitOutcomeUnknown(RuntimeException e) {
    SQLException sql = findSqlException(e);
    if (sql == null || !isConnectionLoss(sql)) {
      return e;
    }
    retireIdleConnections();
    LOG.warn("Mozpool store at {}: the connection dropped while committing (SQLState {}: {});"
        + " the transaction may or may not have committed", jdbcUrl(), sql.getSQLState(),
        sql.getMessage());
    return new TransientStoreException("connection to the Mozpool store at " + jdbcUrl()
        + " lost while committing (SQLState " + sql.getSQLState() + ": " + sql.getMessage()
        + "); the transaction may or may not have committed", e);
  }

  /**
   * A lost connection rarely comes alone (server restart, failover, killed sessions): retire
   * the idle ones too, so that a retry gets a freshly opened connection.
   */
  private void retireIdleConnections() {
    HikariDataSource ds = dataSource;
    if (ds != null && ds.getHikariPoolMXBean() != null) {
      ds.getHikariPoolMXBean().softEvictConnections();
    }
  }

  /** The PostgreSQL id of the open transaction, or null if it wrote nothing. */
  private static Long transactionId(Handle handle) {
    return handle.createQuery("SELECT txid_current_if_assigned()").mapTo(Long.class).findOne()
        .orElse(null);
  }

  /**
   * Whether transaction {@code xid}, whose commit failed with {@code failure}, committed all the
   * same. When the connection drops during COMMIT the server may have committed it; telling the
   * caller "failed" would make it retry a step that already happened (and, say, lose the timer
   * that step armed). PostgreSQL can tell: {@code txid_status} on a fresh connection.
   */
  private boolean committedAfterAll(Jdbi j, long xid, RuntimeException failure) {
    SQLException sql = findSqlException(failure);
    if (sql == null || !isConnectionLoss(sql)) {
      return false;
    }
    retireIdleConnections();
    for (int attempt = 0; attempt < 10; attempt++) {
      try {
        String status = j.withHandle(h -> h.createQuery("SELECT txid_status(:xid)")
            .bind("xid", xid).mapTo(String.class).findOne().orElse(""));
        if ("committed".equals(status)) {
          return true;
        }
        if (!"in progress".equals(status)) {
          return false;
        }
        Thread.sleep(20); // the terminated backend is still finishing
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      } catch (RuntimeException e) {
        failure.addSuppressed(e);
        return false;
      }
    }
    return false;
  }

  private RuntimeException translate(RuntimeException e) {
    SQLException sql = findSqlException(e);
    if (sql == null) {
      return new StoreException("Mozpool store at " + jdbcUrl() + " failed: " + e.getMessage(), e);
    }
    String what = "SQLState " + sql.getSQLState() + ", error " + sql.getErrorCode() + ": "
        + sql.getMessage();
    if (isTransient(sql)) {
      if (isConnectionLoss(sql)) {
        retireIdleConnections();
      }
      LOG.warn("Mozpool store at {}: transaction failed and was rolled back ({}); the connection"
          + " is discarded and the work may be retried", jdbcUrl(), what);
      return new TransientStoreException("transient failure of the Mozpool store at "
          + jdbcUrl() + " (" + what + "); the transaction was rolled back", e);
    }
    return new StoreException("Mozpool store at " + jdbcUrl() + " failed (" + what + ")", e);
  }

  /** The first SQL exception among {@code e}'s causes and suppressed exceptions. */
  private static SQLException findSqlException(Throwable e) {
    Deque<Throwable> todo = new ArrayDeque<>();
    Set<Throwable> seen = new HashSet<>();
    todo.add(e);
    while (!todo.isEmpty()) {
      Throwable t = todo.poll();
      if (!seen.add(t)) {
        continue;
      }
      if (t instanceof SQLException sql) {
        return sql;
      }
      if (t.getCause() != null) {
        todo.add(t.getCause());
      }
      for (Throwable s : t.getSuppressed()) {
        todo.add(s);
      }
    }
    return null;
  }

  /**
   * Failures that retrying on a fresh connection may cure: connection exceptions (SQLState class
   * 08), PostgreSQL's operator intervention (57P01 admin shutdown, 57P02 crash shutdown, 57P03
   * cannot connect now), serialisation failures and deadlocks (40001, 40P01), MariaDB's lock
   * wait timeout (1205) and H2's lock timeout (HYT00) and concurrent update (90131).
   */
  static boolean isTransient(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLTransientException || t instanceof SQLRecoverableException) {
        return true;
      }
      if (t instanceof SQLException sql) {
        String state = Objects.requireNonNullElse(sql.getSQLState(), "");
        if (state.startsWith("08") || state.startsWith("57P") || state.equals("40001")
            || state.equals("40P01") || state.equals("HYT00") || state.equals("90131")
            || sql.getErrorCode() == 1205 || sql.getErrorCode() == 1213) {
          return true;
        }
        if (sql.getNextException() != null && sql.getNextException() != sql
            && isTransient(sql.getNextException())) {
          return true;
        }
      }
    }
    return false;
  }

  /** Connection exceptions (class 08) and PostgreSQL's shutdown and termination (57P0x). */
  static boolean isConnectionLoss(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLRecoverableException
          || t instanceof java.sql.SQLNonTransientConnectionException
          || t instanceof java.sql.SQLTransientConnectionException) {
        return true;
      }
      if (t instanceof SQLException sql) {
        String state = Objects.requireNonNullElse(sql.getSQLState(), "");
        if (state.startsWith("08") || state.startsWith("57P")) {
          return true;
        }
      }
    }
    return false;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    // The root cause says what the database said; wrappers (Hikari, Flyway) add little.
    String root = String.valueOf(t.getMessage());
    String outer = String.valueOf(e.getMessage());
    return t == e || outer.contains(root) && outer.length() < root.length() + 40 ? root
        : outer + " (" + root + ")";
  }

  /**
   * {@code url} with H2's write delay turned off. H2 otherwise writes committed transactions to
   * its file up to half a second later, so a commit that returned is lost when the process is
   * killed; with no delay every commit is in the file (the operating system's page cache) before
   * it returns, which survives a crash of the process though not of the machine. A URL that asks
   * for a write delay is refused: it would break what a returned commit promises.
   */
  static String durableH2(String url) {
    String delay = h2Setting(url, "WRITE_DELAY");
    if (delay == null) {
      return url + ";WRITE_DELAY=0";
    }
    if (!delay.equals("0")) {
      throw new IllegalArgumentException("H2 URL must not set a write delay (commits that"
          + " returned would be lost when the process dies), got WRITE_DELAY=" + delay);
    }
    return url;
  }

  /** The value of the setting {@code name} in an H2 URL ({@code ;NAME=value}), or null. */
  private static String h2Setting(String url, String name) {
    for (String setting : url.split(";")) {
      int eq = setting.indexOf('=');
      if (eq > 0 && setting.substring(0, eq).trim().equalsIgnoreCase(name)) {
        return setting.substring(eq + 1).trim();
      }
    }
    return null;
  }

  /**
   * {@code url} with H2's {@code retry:} file system in front of a {@code file:} database: a
   * thread interrupted in the middle of a commit (an embedder's timeout, a cancelled future)
   * makes Java close the file channel under it, and H2 then closed the whole database for every
   * user of the file; {@code retry:} reopens the channel and repeats the operation instead.
   * Other H2 URLs (in memory, a server, another file system) are left as they are.
   */
  static String interruptSafe(String url) {
    String h2 = "jdbc:h2:";
    return url.regionMatches(true, 0, h2 + "file:", 0, h2.length() + 5)
        ? h2 + "retry:" + url.substring(h2.length()) : url;
  }

  /**
   * {@code url} telling H2 not to compact its file when the database closes, unless it says
   * otherwise: {@link H2FileCompaction} keeps the file compact while it is open, and H2's own
   * compaction at close then failed one of H2's assertions.
   */
  static String withoutCompactionAtClose(String url) {
    return h2Setting(url, "MAX_COMPACT_TIME") == null ? url + ";MAX_COMPACT_TIME=0" : url;
  }

  /** {@code url} with the values of password parameters masked. */
  static String redact(String url) {
    return SECRET_PARAM.matcher(url).replaceAll("$1=***");
  }

  /**
   * Yes: instances in several processes may share the database (DESIGN §9). Liveness is judged
   * on the database's clock, and every machine write is conditional on its version, which
   * declaring an instance dead and adopting its machines bump.
   */
  @Override
  public boolean shareable() {
    return true;
  }

  /**
   * On PostgreSQL, listens on a connection of its own (outside the pool) for the notifications
   * that {@code postEvent} and {@code takeEvent} send on commit, and calls {@code wake} on a
   * daemon thread for those addressed to {@code instance}, and once whenever listening (re)starts
   * (a notification sent meanwhile is lost); a dropped connection is opened again with a growing
   * pause. H2 and MariaDB cannot notify: the instance polls, and nothing is started.
   *
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  public synchronized org.mozpool.spi.Cancellable listenForEvents(String instance,
      Runnable wake) {
    Objects.requireNonNull(instance, "instance");
    Objects.requireNonNull(wake, "wake");
    if (closed) {
      throw new IllegalStateException("store " + jdbcUrl() + " is closed");
    }
    if (!dialect.canNotify()) {
      return () -> { };
    }
    OutboxListener listener = new OutboxListener(url, user, password, jdbcUrl(), instance, wake,
        listeners::remove);
    listeners.add(listener);
    return listener.start();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (OutboxListener listener : List.copyOf(listeners)) {
      listener.cancel();
    }
    if (pruner != null) {
      pruner.shutdownNow();
    }
    if (compaction != null) {
      compaction.close();
    }
    if (dataSource != null) {
      dataSource.close();
    }
    jdbi = null;
    LOG.debug("Mozpool store at {} closed", jdbcUrl());
  }

  @Override
  public String toString() {
    return "JdbcPoolStore[" + jdbcUrl() + "]";
  }

  /**
   * How a {@link JdbcPoolStore} connects and maintains itself. Immutable; build with
   * {@link #builder()}.
   */
  public static final class Options {
    private final int poolSize;
    private final String schema;
    private final Duration connectionTimeout;
    private final Duration logRetention;
    private final Duration pruneInterval;
    private final Clock clock;
    private final MeterRegistry meterRegistry;

    private Options(Builder b) {
      this.poolSize = b.poolSize;
      this.schema = b.schema;
      this.connectionTimeout = b.connectionTimeout;
      this.logRetention = b.logRetention;
      this.pruneInterval = b.pruneInterval;
      this.clock = b.clock;
      this.meterRegistry = b.meterRegistry;
    }

    /**
     * Pool of 10 connections, default schema, 10 s connection timeout, no automatic pruning
     * (a pool prunes its store itself, on its own clock), 14-day retention when enabled.
     */
    public static Options defaults() {
      return builder().build();
    }

    /** Starts from {@link #defaults()}. */
    public static Builder builder() {
      return new Builder();
    }

    /**
     * A builder holding these options, to change some of them: {@code
     * options.toBuilder().poolSize(20).build()} differs from {@code options} in its pool size
     * only.
     */
    public Builder toBuilder() {
      Builder b = new Builder();
      b.poolSize = poolSize;
      b.schema = schema;
      b.connectionTimeout = connectionTimeout;
      b.logRetention = logRetention;
      b.pruneInterval = pruneInterval;
      b.clock = clock;
      b.meterRegistry = meterRegistry;
      return b;
    }

    /** Maximum number of pooled connections. */
    public int poolSize() {
      return poolSize;
    }

    /**
     * The schema holding Mozpool's tables (on MariaDB/MySQL: the database), created if missing;
     * empty for the connection's default.
     */
    public String schema() {
      return schema;
    }

    /** How long to wait for a connection from the pool or the database. */
    public Duration connectionTimeout() {
      return connectionTimeout;
    }

    /** Log lines older than this are deleted; zero keeps them for ever. */
    public Duration logRetention() {
      return logRetention;
    }

    /**
     * How often the store itself prunes old log lines (first at start); zero, the default,
     * leaves it to the caller. A {@code Pool} prunes its store hourly on its own clock, so
     * enable this only for a store used without one, or with a clock that matches the pool's.
     */
    public Duration pruneInterval() {
      return pruneInterval;
    }

    /** The clock that tells how old a log line is. */
    public Clock clock() {
      return clock;
    }

    /** Where transactions are timed; null (the default) for nowhere. */
    public MeterRegistry meterRegistry() {
      return meterRegistry;
    }

    /**
     * Options are equal when every setting, the clock included, is equal (the meter registry the
     * same instance).
     */
    @Override
    public boolean equals(Object o) {
      return o instanceof Options other && poolSize == other.poolSize
          && schema.equals(other.schema) && connectionTimeout.equals(other.connectionTimeout)
          && logRetention.equals(other.logRetention) && pruneInterval.equals(other.pruneInterval)
          && clock.equals(other.clock) && meterRegistry == other.meterRegistry;
    }

    @Override
    public int hashCode() {
      return Objects.hash(poolSize, schema, connectionTimeout, logRetention, pruneInterval, clock,
          System.identityHashCode(meterRegistry));
    }

    @Override
    public String toString() {
      return "Options[poolSize=" + poolSize + ", schema='" + schema + "', connectionTimeout="
          + connectionTimeout + ", logRetention=" + logRetention + ", pruneInterval="
          + pruneInterval + "]";
    }

    /**
     * Fluent construction of {@link Options}; validates each value as it is set, throwing with a
     * message that names the setting and the value. Not thread safe.
     */
    public static final class Builder {
      private int poolSize = 10;
      private String schema = "";
      private Duration connectionTimeout = Duration.ofSeconds(10);
      private Duration logRetention = Duration.ofDays(14);
      private Duration pruneInterval = Duration.ZERO;
      private Clock clock = Clock.systemUTC();
      private MeterRegistry meterRegistry;

      private Builder() {}

      /**
       * Where to time every transaction ({@code mozpool.store.transactions}, see {@code
       * METRICS.md}); default none. Usually the registry given to {@code
       * Mozpool.builder().meterRegistry}.
       *
       * @throws NullPointerException if {@code registry} is null
       */
      public Builder meterRegistry(MeterRegistry registry) {
        this.meterRegistry = Objects.requireNonNull(registry, "meterRegistry");
        return this;
      }

      /**
       * Maximum pooled connections, at least 1 (default 10).
       *
       * @throws IllegalArgumentException if {@code poolSize} is less than 1
       */
      public Builder poolSize(int poolSize) {
        if (poolSize < 1) {
          throw new IllegalArgumentException("pool size must be at least 1, got " + poolSize);
        }
        this.poolSize = poolSize;
        return this;
      }

      /**
       * Schema (MariaDB/MySQL: database) of the tables (default empty: the connection's own):
       * 1-63 letters, digits or '_', not starting with a digit.
       *
       * @throws NullPointerException if {@code schema} is null
       * @throws IllegalArgumentException if it is neither empty nor such a name
       */
      public Builder schema(String schema) {
        Objects.requireNonNull(schema, "schema");
        if (!schema.isEmpty() && !schema.matches("[A-Za-z_][A-Za-z0-9_]{0,62}")) {
          throw new IllegalArgumentException("schema must be 1-63 letters, digits or '_' not"
              + " starting with a digit, got '" + schema + "'");
        }
        this.schema = schema;
        return this;
      }

      /**
       * How long to wait for a connection (default 10 s).
       *
       * @throws IllegalArgumentException if {@code timeout} is null, zero or negative
       */
      public Builder connectionTimeout(Duration timeout) {
        requirePositive(timeout, "connection timeout");
        this.connectionTimeout = timeout;
        return this;
      }

      /**
       * Age beyond which log lines are deleted (default 14 days); zero keeps them for ever.
       *
       * @throws IllegalArgumentException if {@code retention} is null or negative
       */
      public Builder logRetention(Duration retention) {
        requireNotNegative(retention, "log retention");
        this.logRetention = retention;
        return this;
      }

      /**
       * Period of automatic pruning, e.g. 1 hour; zero (the default) disables it.
       *
       * @throws IllegalArgumentException if {@code interval} is null or negative
       */
      public Builder pruneInterval(Duration interval) {
        requireNotNegative(interval, "prune interval");
        this.pruneInterval = interval;
        return this;
      }

      /**
       * Clock for the age of log lines (default the system UTC clock).
       *
       * @throws NullPointerException if {@code clock} is null
       */
      public Builder clock(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        return this;
      }

      /** The options as set so far. */
      public Options build() {
        return new Options(this);
      }

      private static void requirePositive(Duration d, String what) {
        if (d == null || d.isNegative() || d.isZero()) {
          throw new IllegalArgumentException(what + " must be positive, got " + d);
        }
      }

      private static void requireNotNegative(Duration d, String what) {
        if (d == null || d.isNegative()) {
          throw new IllegalArgumentException(what + " must be zero or positive, got " + d);
        }
      }
    }
  }
}
