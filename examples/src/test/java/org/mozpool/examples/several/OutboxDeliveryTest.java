package org.mozpool.examples.several;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mozpool.InstancePolicy;
import org.mozpool.LogEntry;
import org.mozpool.Mozpool;
import org.mozpool.Pool;
import org.mozpool.core.SystemTimekeeper;
import org.mozpool.jdbc.JdbcPoolStore;
import org.mozpool.lifeguard.StandardLifeguard;
import org.mozpool.spi.MachineKind;
import org.mozpool.testkit.doubles.ScriptedHardware;

/**
 * The outbox between instances (DESIGN §9) on PostgreSQL: two sender instances in this JVM post
 * device events from four threads at once for devices that an owner instance in a child JVM
 * drives; the owner is killed with SIGKILL while events are pending and more are posted while it
 * is dead; it is then started again. Every event is taken exactly once — its effect (a line in
 * the device's log, written in the step that takes it) appears once — and, per device, the events
 * of each sender thread in the order it posted them; and (failing today) all events of a device in
 * seq order.
 *
 * <p>Skipped when PostgreSQL does not answer on 127.0.0.1:5432, except under {@code CI=true},
 * where it fails. A fresh database, dropped afterwards.
 */
class OutboxDeliveryTest {
  private static final String SERVER = FreshDatabase.SERVER;
  private static final String USER = FreshDatabase.USER;
  private static final int DEVICES = 6;
  private static final int THREADS_PER_SENDER = 2;
  private static final int EVENTS_PER_THREAD = 60;
  private static final Pattern MARKER = Pattern.compile("marker_[a-z0-9_]+");

  private FreshDatabase fresh;
  private String database;
  private Path dir;
  private final List<Process> owners = new ArrayList<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @BeforeEach
  void freshDatabase() {
    fresh = new FreshDatabase("mozpool_outbox_");
    database = fresh.name();
  }


  @AfterEach
  void stopEverything() throws Exception {
    for (Process p : owners) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    if (fresh != null) {
      fresh.close();
    }
  }

  /** What one run saw: per device, the markers in seq order and in the order of their effects. */
  private record Outcome(Map<String, List<String>> seqOrder, Map<String, List<String>> logged,
      List<String> takenOutOfOrder) {}

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void everyEventIsTakenExactlyOnceAndInEachSendersOrderAcrossAKillOfTheOwner()
      throws Exception {
    Outcome run = postWhileTheOwnerIsKilledAndRestarted();
    for (Map.Entry<String, List<String>> e : run.seqOrder().entrySet()) {
      List<String> logged = run.logged().get(e.getKey());
      // exactly once: the effect of each event (its log line, written in the step that took it)
      assertThat(logged).as("markers in the log of %s", e.getKey())
          .containsExactlyInAnyOrderElementsOf(e.getValue());
      // each sender thread posts one event after the other: they take effect in that order
      for (String thread : List.of("s1_t0", "s1_t1", "s2_t0", "s2_t1")) {
        assertThat(logged.stream().filter(m -> m.startsWith("marker_" + thread + "_")).toList())
            .as("the events of sender thread %s for %s, in the order posted", thread, e.getKey())
            .containsExactlyElementsOf(e.getValue().stream()
                .filter(m -> m.startsWith("marker_" + thread + "_")).toList());
      }
    }
  }

  /**
   * The outbox's documented order (DESIGN §9, {@code Outbox}): events for one device take effect
   * in seq order, also when posted concurrently: the store serialises posts for one machine (it
   * locks the machine's row until the post commits), so a lower seq can never commit after a
   * higher one has been read and taken.
   */
  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void concurrentEventsForOneDeviceTakeEffectInSeqOrder() throws Exception {
    Outcome run = postWhileTheOwnerIsKilledAndRestarted();
    for (Map.Entry<String, List<String>> e : run.seqOrder().entrySet()) {
      assertThat(run.logged().get(e.getKey())).as("markers in the log of %s, in seq order",
          e.getKey()).containsExactlyElementsOf(e.getValue());
    }
    assertThat(run.takenOutOfOrder()).as("events taken (taken_us) out of seq order per device")
        .isEmpty();
  }

  private Outcome postWhileTheOwnerIsKilledAndRestarted() throws Exception {
    String url = SERVER + database;
    dir = Path.of("target", "outbox-delivery", database);
    Files.createDirectories(dir);
    JdbcPoolStore reader = store(url);
    Process first = startOwner(url, 1);
    Pool s1 = sender(url, "S1");
    Pool s2 = sender(url, "S2");

    int total = 2 * THREADS_PER_SENDER * EVENTS_PER_THREAD;
    AtomicInteger posted = new AtomicInteger();
    List<String> problems = new CopyOnWriteArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (Pool sender : List.of(s1, s2)) {
      for (int t = 0; t < THREADS_PER_SENDER; t++) {
        String prefix = "marker_" + (sender == s1 ? "s1" : "s2") + "_t" + t + "_";
        Thread thread = new Thread(() -> {
          for (int n = 0; n < EVENTS_PER_THREAD; n++) {
            String device = OutboxOwnerProcess.device(1 + n % DEVICES).name();
            try {
              // not awaited: while the owner is dead the answer would time out; the event stays
              sender.lifeguard().deviceEvent(device, prefix + n, Map.of());
            } catch (RuntimeException e) {
              problems.add(prefix + n + ": " + e);
            }
            posted.incrementAndGet();
            try {
              Thread.sleep(5);
            } catch (InterruptedException e) {
              return;
            }
          }
        });
        thread.start();
        threads.add(thread);
      }
    }
    await(() -> posted.get() >= total / 3, Duration.ofMinutes(1), "a third of the events posted");
    first.destroyForcibly(); // SIGKILL on Linux
    first.waitFor(10, TimeUnit.SECONDS);
    int atKill = posted.get();
    await(() -> posted.get() >= 2 * total / 3, Duration.ofMinutes(1), "two thirds posted");
    int untakenBeforeRestart = untaken(url);
    startOwner(url, 2);
    for (Thread t : threads) {
      t.join(60_000);
    }
    assertThat(problems).as("posting failures").isEmpty();
    await(() -> {
      try {
        return untaken(url) == 0;
      } catch (SQLException e) {
        return false;
      }
    }, Duration.ofMinutes(2), "every event taken");

    // ---- the outbox: every marker posted once, taken once with outcome ok ----
    Map<String, List<String>> seqOrder = new TreeMap<>();
    Map<String, Long> postedMarkers = new HashMap<>();
    List<String> takenOutOfOrder = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(url, USER, "");
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT seq, machine, args, outcome, taken_us FROM"
            + " machine_events WHERE event = 'device_event' ORDER BY seq")) {
      Map<String, Long> lastTakenOf = new HashMap<>();
      while (rs.next()) {
        Matcher m = MARKER.matcher(rs.getString(3));
        assertThat(m.find()).as("event %d carries a marker: %s", rs.getLong(1), rs.getString(3))
            .isTrue();
        String marker = m.group();
        assertThat(postedMarkers.put(marker, rs.getLong(1))).as("%s posted once", marker).isNull();
        assertThat(rs.getString(4)).as("outcome of %s", marker).isEqualTo("ok");
        String device = rs.getString(2);
        long taken = rs.getLong(5);
        if (taken < lastTakenOf.getOrDefault(device, 0L)) {
          takenOutOfOrder.add(marker + " (seq " + rs.getLong(1) + ") taken "
              + (lastTakenOf.get(device) - taken) + " us before the previous event of " + device);
        }
        lastTakenOf.put(device, Math.max(taken, lastTakenOf.getOrDefault(device, 0L)));
        seqOrder.computeIfAbsent(device, d -> new ArrayList<>()).add(marker);
      }
    }
    assertThat(postedMarkers).hasSize(total);

    // ---- the effect: the markers in each device's log, in the order written ----
    Map<String, List<String>> loggedOf = new TreeMap<>();
    for (String device : seqOrder.keySet()) {
      List<String> logged = new ArrayList<>();
      for (LogEntry entry : reader.inTransaction(tx -> tx.log(MachineKind.DEVICE, device,
          100_000))) {
        Matcher m = MARKER.matcher(entry.message());
        while (m.find()) {
          logged.add(m.group());
        }
      }
      loggedOf.put(device, logged);
    }
    System.out.printf("outbox: %d events from 4 threads of 2 instances for %d devices; owner"
        + " killed after %d were posted, %d untaken when it started again; taken out of"
        + " seq order: %s%n", total, DEVICES, atKill, untakenBeforeRestart, takenOutOfOrder);
    return new Outcome(seqOrder, loggedOf, takenOutOfOrder);
  }

  private JdbcPoolStore store(String url) {
    JdbcPoolStore store = JdbcPoolStore.forUrl(url, USER, "",
        JdbcPoolStore.Options.builder().poolSize(4).build());
    store.start();
    closeables.add(store);
    return store;
  }

  private Pool sender(String url, String id) {
    SystemTimekeeper time = new SystemTimekeeper();
    closeables.add(time);
    ScriptedHardware hardware = new ScriptedHardware(time);
    Pool pool = Mozpool.builder().serverId(id)
        .instancePolicy(InstancePolicy.on("front-" + id.toLowerCase(Locale.ROOT))
            .withLiveness(Duration.ofMillis(250), Duration.ofSeconds(2))
            .withEventPoll(Duration.ofMillis(200)))
        .lifeguard(StandardLifeguard.factory()).timekeeper(time).store(store(url))
        .powerControl(hardware).bootControl(hardware).deviceProbe(hardware).build();
    closeables.add(pool);
    return pool;
  }

  private Process startOwner(String url, int life) throws Exception {
    Path out = dir.resolve("owner-" + life + ".stdout");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java")
        .toString(), "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"), OutboxOwnerProcess.class.getName(), url,
        Integer.toString(life), Integer.toString(DEVICES))
        .redirectOutput(out.toFile())
        .redirectError(dir.resolve("owner-" + life + ".stderr").toFile()).start();
    owners.add(p);
    await(() -> {
      try {
        return Files.readString(out).contains("up " + life) || !p.isAlive();
      } catch (java.io.IOException e) {
        return false;
      }
    }, Duration.ofMinutes(1), "owner life " + life + " starts");
    assertThat(p.isAlive()).as("owner life %d is up (see %s)", life, dir).isTrue();
    return p;
  }

  private static int untaken(String url) throws SQLException {
    try (Connection c = DriverManager.getConnection(url, USER, "");
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(
            "SELECT COUNT(*) FROM machine_events WHERE taken_us IS NULL")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private static void await(java.util.function.BooleanSupplier condition, Duration limit,
      String what) throws InterruptedException {
    long end = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        fail("not within " + limit + ": " + what);
      }
      Thread.sleep(100);
    }
  }
}
