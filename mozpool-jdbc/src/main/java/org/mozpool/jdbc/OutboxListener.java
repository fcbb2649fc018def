package org.mozpool.jdbc;

import java.lang.reflect.Array;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.mozpool.spi.Cancellable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wakes an instance when the outbox has news for it, on PostgreSQL: a connection of its own (not
 * one of the pool's, which would be held for ever) runs {@code LISTEN mozpool_events} on a daemon
 * thread and calls {@code wake} for each notification whose payload is the instance's id, and once
 * after every (re)connection, since notifications sent while no one listened are lost. A dropped
 * connection is opened again after a growing pause (up to {@link #MAX_BACKOFF}). Waking is only a
 * hint: an instance polls the outbox anyway.
 *
 * <p>pgjdbc's notification API is reached by reflection: database drivers are loaded by URL and
 * never compiled against.
 */
final class OutboxListener implements Cancellable {
  private static final Logger LOG = LoggerFactory.getLogger(OutboxListener.class);
  /** How long one wait for notifications blocks: the longest a cancel waits to be noticed. */
  private static final int POLL_MILLIS = 500;
  private static final Duration FIRST_BACKOFF = Duration.ofMillis(250);
  static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  private final String url;
  private final String user;
  private final String password;
  private final String redactedUrl;
  private final String instance;
  private final Runnable wake;
  private final Consumer<OutboxListener> onStop;
  private final CountDownLatch cancelled = new CountDownLatch(1);
  private final Thread thread;

  OutboxListener(String url, String user, String password, String redactedUrl, String instance,
      Runnable wake, Consumer<OutboxListener> onStop) {
    this.url = url;
    this.user = user;
    this.password = password;
    this.redactedUrl = redactedUrl;
    this.instance = Objects.requireNonNull(instance, "instance");
    this.wake = Objects.requireNonNull(wake, "wake");
    this.onStop = onStop;
    this.thread = new Thread(this::run, "mozpool-jdbc-outbox-" + instance);
    thread.setDaemon(true);
  }

  OutboxListener start() {
    thread.start();
    return this;
  }

  @Override
  public void cancel() {
    cancelled.countDown();
  }

  private boolean isCancelled() {
    return cancelled.getCount() == 0;
  }

  private void run() {
    Duration backoff = FIRST_BACKOFF;
    try {
      while (!isCancelled()) {
        try {
          listen();
          backoff = FIRST_BACKOFF; // listened, then was cancelled
        } catch (SQLException | ReflectiveOperationException | RuntimeException e) {
          if (isCancelled()) {
            break;
          }
          LOG.warn("Mozpool store at {}: listening for outbox events of {} failed ({}); trying"
              + " again in {}", redactedUrl, instance, e.getMessage(), backoff);
          if (cancelled.await(backoff.toMillis(), TimeUnit.MILLISECONDS)) {
            break;
          }
          backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF
              : backoff.multipliedBy(2);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (onStop != null) {
        onStop.accept(this);
      }
    }
  }

  /** Listens until cancelled; throws when the connection fails. */
  private void listen() throws SQLException, ReflectiveOperationException {
    Properties props = new Properties();
    props.setProperty("user", user);
    props.setProperty("password", password);
    props.setProperty("connectTimeout", "10");
    try (Connection c = DriverManager.getConnection(url, props)) {
      c.setAutoCommit(true);
      try (Statement st = c.createStatement()) {
        st.execute("LISTEN " + JdbcStoreTransaction.EVENT_CHANNEL);
      }
      Class<?> pgConnection = Class.forName("org.postgresql.PGConnection", true,
          c.getClass().getClassLoader());
      Object pg = c.unwrap(pgConnection);
      Method getNotifications = pgConnection.getMethod("getNotifications", int.class);
      Method getParameter = null;
      LOG.debug("Mozpool store at {}: listening for outbox events of {}", redactedUrl, instance);
      wakeQuietly(); // anything posted while no one listened
      while (!isCancelled()) {
        Object notifications;
        try {
          notifications = getNotifications.invoke(pg, POLL_MILLIS);
        } catch (InvocationTargetException e) {
          if (e.getCause() instanceof SQLException sql) {
            throw sql;
          }
          throw e;
        }
        int n = notifications == null ? 0 : Array.getLength(notifications);
        boolean forUs = false;
        for (int i = 0; i < n; i++) {
          Object notification = Array.get(notifications, i);
          if (getParameter == null) {
            getParameter = Class.forName("org.postgresql.PGNotification", true,
                pgConnection.getClassLoader()).getMethod("getParameter");
          }
          forUs |= instance.equals(getParameter.invoke(notification));
        }
        if (forUs && !isCancelled()) {
          wakeQuietly();
        }
      }
    }
  }

  private void wakeQuietly() {
    try {
      wake.run();
    } catch (RuntimeException e) {
      LOG.warn("Mozpool store at {}: waking {} for outbox events failed", redactedUrl, instance,
          e);
    }
  }

  /** Waits for the listening thread to end (after {@link #cancel()}); for close and tests. */
  void awaitStopped(Duration timeout) throws InterruptedException {
    thread.join(Math.max(1, timeout.toMillis()));
  }
}
