package org.mozpool.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.MVStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps an embedded H2 store's file on disk and compact while the store is open: the work H2's
 * own background writer would do, which a durable store turns off.
 *
 * <p>H2 writes every commit as a new chunk of its copy-on-write file. Its background writer
 * thread rewrites the live pages of mostly-dead chunks so that their space can be reused, but it
 * runs only with a write delay, and a durable store has none
 * ({@code WRITE_DELAY=0}: a commit is in the file before it returns). Without it the file kept
 * mostly-dead chunks for ever and every superseded chunk for H2's default retention of 45 s: in
 * the lab simulation it grew by 3.9 GB in a quarter of a simulated day, and a third of each
 * commit went to searching that file's free-space map for room.
 *
 * <p>Every {@link #PERIOD}, on a thread of its own, this task
 * <ol>
 *   <li>forces the file to the disk ({@code fsync}), so that a power loss loses at most the last
 *       period or two of commits (a crash of the process loses none: they are in the file);
 *   <li>rewrites the live pages of chunks that are mostly dead, so those chunks become free
 *       space for new commits.
 * </ol>
 * It never shrinks the file: H2's {@code compactFile}, run beside live sessions, left pages past
 * the end of the truncated file, and H2's compaction at close fails one of its own assertions
 * after this task has rewritten chunks (so the store opens H2 with {@code MAX_COMPACT_TIME=0}).
 * The file keeps its largest size, and the free space inside it is reused.
 * Superseded chunks are kept for {@link #RETENTION} before their space is reused (H2's
 * retention time), several times the period of the forced writes, where H2's default of 45 s
 * relies on the operating system writing the file out within that time. All of it goes through
 * H2's public {@code MVStore} calls, under H2's own locks.
 */
final class H2FileCompaction implements AutoCloseable {

  /** How often the file is forced to disk and compacted. */
  static final Duration PERIOD = Duration.ofMillis(500);
  /** How long superseded chunks are kept before their space is reused. */
  static final Duration RETENTION = Duration.ofSeconds(2);

  private static final Logger LOG = LoggerFactory.getLogger(H2FileCompaction.class);
  /** Below this share of live data in the rewritable chunks, chunks are rewritten. */
  private static final int TARGET_FILL_RATE = 80;
  /** At most this many bytes of live pages are rewritten per round. */
  private static final int WRITE_LIMIT = 4 * 1024 * 1024;

  private final ScheduledExecutorService executor;
  private final DataSource dataSource;
  private final String url;

  private H2FileCompaction(DataSource dataSource, String url) {
    this.dataSource = dataSource;
    this.url = url;
    this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "mozpool-jdbc-h2-file");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Starts looking after the file behind {@code dataSource}; nothing is done for an in-memory
   * database or a client of an H2 server (the server looks after its own file).
   */
  static H2FileCompaction start(DataSource dataSource, String url) throws SQLException {
    H2FileCompaction compaction = new H2FileCompaction(dataSource, url);
    try (Connection connection = dataSource.getConnection()) {
      MVStore store = mvStore(connection);
      if (store == null) {
        return compaction;
      }
      store.setRetentionTime((int) RETENTION.toMillis());
    }
    compaction.executor.scheduleWithFixedDelay(compaction::runQuietly, PERIOD.toMillis(),
        PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    return compaction;
  }

  /** One round: force the file to disk, rewrite mostly-dead chunks. */
  void runOnce() throws SQLException {
    try (Connection connection = dataSource.getConnection()) {
      MVStore store = mvStore(connection);
      if (store == null || store.isClosed()) {
        return;
      }
      store.sync();
      if (store.compact(TARGET_FILL_RATE, WRITE_LIMIT)) {
        store.commit(); // the rewritten pages now, not with some session's next commit
      }
    }
  }

  /** The H2 store behind an embedded connection, or null (in memory, or a server's client). */
  static MVStore mvStore(Connection connection) throws SQLException {
    JdbcConnection h2 = connection.unwrap(JdbcConnection.class);
    if (!(h2.getSession() instanceof SessionLocal)) {
      return null;
    }
    SessionLocal session = (SessionLocal) h2.getSession();
    if (session.getDatabase().getStore() == null) {
      return null;
    }
    MVStore store = session.getDatabase().getStore().getMvStore();
    return store.getFileStore() == null ? null : store;
  }

  private void runQuietly() {
    try {
      runOnce();
    } catch (SQLException | RuntimeException e) {
      LOG.debug("looking after the H2 file at {} failed; will try again", url, e);
    }
  }

  @Override
  public void close() {
    // Not shutdownNow(): an interrupt during H2's file I/O closes the file channel under the
    // open database (ClosedByInterruptException), which H2 then treats as a broken file.
    executor.shutdown();
    try {
      executor.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
