package org.mozpool.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.mozpool.DeviceStates;
import org.mozpool.LogEntry;
import org.mozpool.RequestStates;
import org.mozpool.jdbc.JdbcPoolStore;
import org.mozpool.spi.Claim;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.RequestRecord;

/**
 * One kill run (issue 11): a pool of healthy simulated pandas in a child JVM ({@link KilledPool})
 * over one database, killed with SIGKILL ({@link Process#destroyForcibly()}) at random moments and
 * restarted on the same database each time; the last life runs to quiescence; then the store,
 * opened here after the child has exited, must show every healthy device {@code ready}, every
 * request served or failed with a true reason, and no claim held by an ended request.
 *
 * <p>The first kill comes while the lab's initial self-tests run (a random moment 0.3 s to 1.3 s
 * after the pool said it had started); each later one either during start-up (a quarter of them,
 * at a random moment soon after launch) or while the pool serves (a random moment up to three
 * seconds after it said it had started). Everything random is drawn from the seed.
 */
final class PoolKillRun {
  private static final int DEVICES = 16;
  /**
   * Virtual seconds per real second (at most) while a life serves: a life of a few seconds spans
   * some simulated minutes, so kills land inside workflows (self-tests, imaging), not only between
   * them. The first life runs slower, so that its kill can be aimed at the initial self-tests.
   */
  private static final int PACE = 600;
  private static final int FIRST_PACE = 100;
  private static final Duration LIFE_LIMIT = Duration.ofSeconds(100);
  private static final String SERVED_LINE = "^device \\S+ is ready$";
  private static final String RESUMED = "resumed after restart: ";

  private final String name;
  private final String url;
  private final String user;
  private final String password;
  private final String schema;
  private final long seed;
  private final int kills;
  private final Path logDir;
  private final List<String> lines = new CopyOnWriteArrayList<>();

  PoolKillRun(String name, String url, String user, String password, String schema, long seed,
      int kills) {
    this.name = name;
    this.url = url;
    this.user = user;
    this.password = password;
    this.schema = schema;
    this.seed = seed;
    this.kills = kills;
    this.logDir = Path.of("target", "kill-tests");
  }

  private JdbcPoolStore store() {
    return JdbcPoolStore.forUrl(url, user, password,
        JdbcPoolStore.Options.builder().schema(schema).poolSize(2).build());
  }

  /** Runs the lives, checks the store and prints the counts. */
  void runAndCheck() throws Exception {
    long t0 = System.nanoTime();
    Files.createDirectories(logDir);
    Files.deleteIfExists(logDir.resolve(name + ".clock"));
    // The schema is migrated before the first life, so that no kill lands in a migration.
    try (JdbcPoolStore s = store()) {
      s.start();
    }
    Random random = new Random(seed);
    int killedDuringStartup = 0;
    for (int life = 1; life <= kills; life++) {
      Child child = launch(life, "serve");
      if (life == 1) {
        // The first kill lands within the lab's initial self-tests (their devices report
        // self_test_running from about 30 s to 150 s of simulated time, 0.3 s to 1.5 s at the
        // first life's pace), so every run restarts devices in the middle of one.
        assertThat(child.started.await(LIFE_LIMIT.toSeconds(), TimeUnit.SECONDS))
            .as("life %d started", life).isTrue();
        Thread.sleep(300 + random.nextInt(1000));
      } else if (random.nextDouble() < 0.25) {
        Thread.sleep(200 + random.nextInt(1300));
        if (child.started.getCount() > 0) {
          killedDuringStartup++;
        }
      } else {
        assertThat(child.started.await(LIFE_LIMIT.toSeconds(), TimeUnit.SECONDS))
            .as("life %d started", life).isTrue();
        Thread.sleep(200 + random.nextInt(2800));
      }
      assertThat(child.process.isAlive()).as("life %d still running when killed", life).isTrue();
      child.process.destroyForcibly(); // SIGKILL on Linux
      assertThat(child.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
      child.drained.await(10, TimeUnit.SECONDS);
    }
    Child last = launch(kills + 1, "quiesce");
    assertThat(last.process.waitFor(LIFE_LIMIT.toSeconds(), TimeUnit.SECONDS))
        .as("the last life ran to its end").isTrue();
    last.drained.await(10, TimeUnit.SECONDS);
    assertThat(last.process.exitValue()).isZero();

    for (String l : lines) {
      if (l.contains("] started ") || l.contains("quiescent")) {
        System.out.println(name + " life " + l);
      }
    }
    Verdict v = judge();
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("%s kill run (seed %d): %d kills (%d during start-up), %d requests,"
        + " %d served,"
        + " %d failed %s, %d closed unserved; devices %s; claims held by ended requests %d;"
        + " workflows driven again after a restart, by state: %s;"
        + " child said: %d served, %d failed; last life: %s; %.1f s%n", name, seed, kills,
        killedDuringStartup, v.requests, v.served, v.failedByReason.values().stream()
            .mapToInt(Integer::intValue).sum(), v.failedByReason, v.closedUnserved,
        v.deviceStates, v.staleClaims, v.drivenAgain, count("served "), count("failed "),
        lines.stream().filter(l -> l.contains("quiescent")).findFirst().orElse("?"), seconds);

    assertThat(lines).as("the last life's verdict").anyMatch(l -> l.contains("] quiescent at"));
    assertThat(v.deviceStates).as("every healthy device ends ready")
        .containsOnlyKeys(DeviceStates.READY);
    assertThat(v.staleClaims).as("claims held by closed or failed requests").isZero();
    assertThat(v.open).as("requests still open at quiescence").isEmpty();
    // A healthy lab that never has more requests open than a third of its devices, with a wait
    // budget that outlasts what the restarts cost (KilledPool.WAIT), has no true reason to fail a
    // request or to let one expire unserved.
    assertThat(v.failedByReason).as("requests failed (no true reason in a healthy lab)").isEmpty();
    assertThat(v.closedUnserved).as("requests closed without being served").isZero();
    assertThat(v.served).isEqualTo(v.requests);
  }

  private long count(String prefix) {
    return lines.stream().filter(l -> l.substring(l.indexOf(']') + 2).startsWith(prefix)).count();
  }

  private record Verdict(int requests, int served, Map<String, Integer> failedByReason,
      int closedUnserved, List<String> open, Map<String, Integer> deviceStates, int staleClaims,
      Map<String, Integer> drivenAgain) {}

  private Verdict judge() {
    try (JdbcPoolStore s = store()) {
      s.start();
      return s.inTransaction(tx -> {
        Map<String, Integer> deviceStates = new TreeMap<>();
        int staleClaims = 0;
        Map<String, Integer> drivenAgain = new TreeMap<>();
        for (DeviceRecord d : tx.devices()) {
          for (LogEntry e : tx.log(MachineKind.DEVICE, d.name(), 100_000)) {
            String m = e.message();
            if (m.startsWith(RESUMED) && m.contains("driving the workflow again")) {
              drivenAgain.merge(m.substring(RESUMED.length(), m.indexOf(' ', RESUMED.length())), 1,
                  Integer::sum);
            }
          }
          deviceStates.merge(d.machine().state(), 1, Integer::sum);
          if (!d.machine().state().equals(DeviceStates.READY)) {
            System.out.println(name + ": " + d.name() + " ends in " + d.machine().state()
                + "; its last log lines:");
            for (LogEntry e : tx.log(MachineKind.DEVICE, d.name(), 12)) {
              System.out.println("    " + e.timestamp() + " " + e.source() + ": " + e.message());
            }
          }
          var claim = tx.claimOfDevice(d.name());
          if (claim.isPresent()) {
            String holder = tx.request(claim.get().requestId()).map(r -> r.machine().state())
                .orElse("missing");
            if (RequestStates.TERMINAL.contains(holder) || holder.equals("missing")) {
              staleClaims++;
            }
          }
        }
        int served = 0;
        int closedUnserved = 0;
        Map<String, Integer> failed = new TreeMap<>();
        List<String> open = new ArrayList<>();
        List<RequestRecord> requests = tx.requests();
        for (RequestRecord r : requests) {
          String state = r.machine().state();
          boolean wasServed = tx.log(MachineKind.REQUEST, r.id(), 10_000).stream()
              .anyMatch(e -> e.message().matches(SERVED_LINE));
          if (!RequestStates.TERMINAL.contains(state)) {
            open.add(r.id() + " " + state);
          } else if (state.equals(RequestStates.CLOSED)) {
            if (wasServed) {
              served++;
            } else {
              closedUnserved++;
            }
          } else {
            failed.merge(state + " (" + r.failureReason() + ")", 1, Integer::sum);
            // Evidence for a failure that a healthy lab should not have (see runAndCheck).
            System.out.println(name + ": request " + r.id() + " filed at " + r.createdAt()
                + " ends in " + state + "; its log:");
            for (LogEntry e : tx.log(MachineKind.REQUEST, r.id(), 50)) {
              System.out.println("    " + e.timestamp() + " " + e.source() + ": " + e.message());
            }
          }
        }
        return new Verdict(requests.size(), served, failed, closedUnserved, open, deviceStates,
            staleClaims, drivenAgain);
      });
    }
  }

  private static final class Child {
    final Process process;
    final CountDownLatch started = new CountDownLatch(1);
    final CountDownLatch drained = new CountDownLatch(1);

    Child(Process process) {
      this.process = process;
    }
  }

  private Child launch(int life, String mode) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // Under surefire the class path may be a manifest-only jar; java follows its Class-Path.
    List<String> command = List.of(java, "-Xmx384m", "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
        KilledPool.class.getName(), url, user, password.isEmpty() ? "" : password,
        schema.isEmpty() ? "-" : schema, Long.toString(seed), Integer.toString(life), mode,
        Integer.toString(DEVICES), Integer.toString(life == 1 ? FIRST_PACE : PACE),
        logDir.resolve(name + ".clock").toAbsolutePath().toString());
    ProcessBuilder pb = new ProcessBuilder(command)
        .redirectError(ProcessBuilder.Redirect.appendTo(logDir.resolve(name + ".stderr").toFile()));
    Child child = new Child(pb.start());
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(
          child.process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          lines.add("[" + life + "] " + line);
          if (line.startsWith("started ")) {
            child.started.countDown();
          }
        }
      } catch (IOException e) {
        // the stream closes under the reader when the child is killed
      } finally {
        child.drained.countDown();
      }
    }, name + "-life-" + life);
    reader.setDaemon(true);
    reader.start();
    return child;
  }
}
