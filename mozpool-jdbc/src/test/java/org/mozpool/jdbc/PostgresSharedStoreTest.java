package org.mozpool.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mozpool.spi.Cancellable;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.StoreTransaction;

/**
 * Several instances sharing a PostgreSQL store, in a schema of its own that is emptied after each
 * test and dropped after the last; and {@code LISTEN/NOTIFY}, which wakes an instance when the
 * outbox has news for it. Instance ids in the listening tests carry the schema's name: the
 * notification channel is one per database, and other test runs may share it.
 */
class PostgresSharedStoreTest extends SharedStoreContract {
  private static final DatabaseServer SERVER = DatabaseServer.POSTGRESQL;
  /** How long a wake-up may take after a commit (a hint: generous on a busy machine). */
  private static final long WAKE_SECONDS = 10;
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
    // Sessions carry the schema's name, so that a test can find (and kill) the listener's.
    String url = SERVER.url() + (SERVER.url().contains("?") ? "&" : "?") + "ApplicationName="
        + schema;
    return JdbcPoolStore.forUrl(url, SERVER.user(), SERVER.password(),
        JdbcPoolStore.Options.builder().schema(schema).poolSize(8).build());
  }

  @Override
  void destroyStore() throws Exception {
    SERVER.emptySchema(schema);
  }

  private static String id(String name) {
    return name + "-" + schema;
  }

  /** Listens for {@code instance}; returns once listening (its first wake-up). */
  private Cancellable listen(String instance, Semaphore wakes) throws InterruptedException {
    Cancellable listening = store.listenForEvents(instance, wakes::release);
    assertThat(wakes.tryAcquire(WAKE_SECONDS, TimeUnit.SECONDS)).as("listening").isTrue();
    return listening;
  }

  @Test
  void postingAnEventWakesTheDriverOfItsMachineOnCommitAndNoOtherInstance() throws Exception {
    String a = id("imaging-a");
    String b = id("imaging-b");
    join(a);
    join(b);
    insert(device("panda-1", a));
    Semaphore wakesA = new Semaphore(0);
    Semaphore wakesB = new Semaphore(0);
    Cancellable listeningA = listen(a, wakesA);
    Cancellable listeningB = listen(b, wakesB);
    try {
      long seq = tx((StoreTransaction t) -> {
        long posted = t.postEvent(MachineKind.DEVICE, "panda-1", b, "please_image",
            java.util.Map.of());
        return posted;
      });

      assertThat(wakesA.tryAcquire(WAKE_SECONDS, TimeUnit.SECONDS)).as("driver woken").isTrue();
      assertThat(wakesB.tryAcquire(1, TimeUnit.SECONDS)).as("sender not woken by the post")
          .isFalse();

      tx((StoreTransaction t) -> t.takeEvent(seq, "accepted"));
      assertThat(wakesB.tryAcquire(WAKE_SECONDS, TimeUnit.SECONDS)).as("sender woken by the take")
          .isTrue();
      assertThat(wakesA.tryAcquire(1, TimeUnit.SECONDS)).as("taker not woken").isFalse();
    } finally {
      stop(listeningA);
      stop(listeningB);
    }
  }

  @Test
  void anEventPostedInATransactionThatRollsBackWakesNoOne() throws Exception {
    String a = id("imaging-a");
    join(a);
    insert(device("panda-1", a));
    Semaphore wakes = new Semaphore(0);
    Cancellable listening = listen(a, wakes);
    try {
      try {
        tx((StoreTransaction t) -> {
          t.postEvent(MachineKind.DEVICE, "panda-1", "imaging-b", "please_image",
              java.util.Map.of());
          throw new IllegalStateException("the step refuses");
        });
      } catch (IllegalStateException expected) {
        // rolled back
      }
      assertThat(wakes.tryAcquire(1, TimeUnit.SECONDS)).isFalse();
      assertThat(tx((StoreTransaction t) -> t.pendingEvents(a, 10))).isEmpty();
    } finally {
      stop(listening);
    }
  }

  @Test
  void aListenerWhoseConnectionDropsListensAgain() throws Exception {
    String a = id("imaging-a");
    join(a);
    insert(device("panda-1", a));
    Semaphore wakes = new Semaphore(0);
    Cancellable listening = listen(a, wakes);
    try {
      awaitListenerSessions(1);
      assertThat(killListeners()).isEqualTo(1);
      assertThat(wakes.tryAcquire(WAKE_SECONDS, TimeUnit.SECONDS)).as("listening again")
          .isTrue();

      post(MachineKind.DEVICE, "panda-1", "imaging-b", "please_image");
      assertThat(wakes.tryAcquire(WAKE_SECONDS, TimeUnit.SECONDS)).isTrue();
    } finally {
      stop(listening);
    }
  }

  @Test
  void aCancelledListenerStopsAndClosesItsConnection() throws Exception {
    String a = id("imaging-a");
    Semaphore wakes = new Semaphore(0);
    OutboxListener listening = (OutboxListener) listen(a, wakes);

    awaitListenerSessions(1);

    stop(listening);

    awaitListenerSessions(0);
  }

  @Test
  void closingTheStoreStopsItsListeners() throws Exception {
    OutboxListener listening = (OutboxListener) listen(id("imaging-a"), new Semaphore(0));

    awaitListenerSessions(1);

    store.close();
    listening.awaitStopped(Duration.ofSeconds(WAKE_SECONDS));

    awaitListenerSessions(0);
  }

  /** Cancels and waits until the listening thread has ended (and closed its connection). */
  private static void stop(Cancellable listening) throws InterruptedException {
    listening.cancel();
    ((OutboxListener) listening).awaitStopped(Duration.ofSeconds(WAKE_SECONDS));
  }

  /**
   * Waits until the server shows {@code expected} listening sessions of this test class: a
   * closed connection's session ends shortly after, not at once.
   */
  private static void awaitListenerSessions(int expected) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAKE_SECONDS);
    while (listenerSessions() != expected && System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(50);
    }
    assertThat(listenerSessions()).as("listening sessions").isEqualTo(expected);
  }

  private static int killListeners() throws Exception {
    return countListeners("SELECT pg_terminate_backend(pid)");
  }

  private static int listenerSessions() throws Exception {
    return countListeners("SELECT TRUE");
  }

  private static int countListeners(String select) throws Exception {
    try (Connection c = SERVER.connect();
        PreparedStatement st = c.prepareStatement(select + " FROM pg_stat_activity"
            + " WHERE application_name = ? AND query LIKE 'LISTEN %'")) {
      st.setString(1, schema);
      int n = 0;
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          n += rs.getBoolean(1) ? 1 : 0;
        }
      }
      return n;
    }
  }
}
