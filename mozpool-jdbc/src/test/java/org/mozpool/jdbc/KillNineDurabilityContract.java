package org.mozpool.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mozpool.DeviceSpec;
import org.mozpool.HardwareType;
import org.mozpool.Image;
import org.mozpool.Mozpool;
import org.mozpool.Pool;
import org.mozpool.PxeConfig;
import org.mozpool.RequestStates;
import org.mozpool.RequestView;
import org.mozpool.spi.Claim;
import org.mozpool.testkit.doubles.ScriptedLifeguard;

/**
 * What a caller was told is committed survives {@code kill -9} of the process (DESIGN §8): a
 * child JVM files requests and returns leases over the store as fast as it can, printing each
 * only once the call has returned; it is killed with SIGKILL at random moments, again and again
 * over the same database; afterwards every printed request is found with its lease token, and
 * every printed return is closed and holds no claim. Run per database by subclasses.
 */
abstract class KillNineDurabilityContract {
  private static final int KILLS = 10;

  private Path childErr;

  @BeforeEach
  void childStderr() throws IOException {
    childErr = Files.createTempFile("kill-child", ".err");
  }

  @AfterEach
  void removeChildStderr() throws IOException {
    Files.deleteIfExists(childErr);
  }

  /** The JDBC URL the child and the checks use. */
  abstract String url();

  abstract String user();

  abstract String password();

  /** The schema, or {@code -} for the URL's own. */
  abstract String schema();

  private JdbcPoolStore store() {
    JdbcPoolStore.Options.Builder options = JdbcPoolStore.Options.builder().poolSize(2);
    if (!schema().equals("-")) {
      options.schema(schema());
    }
    return JdbcPoolStore.forUrl(url(), user(), password(), options.build());
  }

  private Pool pool(JdbcPoolStore store) {
    return Mozpool.builder().store(store).serverId("kill-check")
        .lifeguard(ScriptedLifeguard.completingAfter(Duration.ofHours(1))).build();
  }

  @Test
  void everyCommitAChildWasToldOfSurvivesKillNine() throws Exception {
    JdbcPoolStore setupStore = store();
    try (Pool pool = pool(setupStore)) {
      pool.inventory().registerHardwareType(HardwareType.of("panda"));
      pool.inventory().registerImage(Image.builder("android").build());
      pool.inventory().registerPxeConfig(PxeConfig.of("android-panda", "kernel android"));
      pool.inventory().mapPxeConfig("android", "panda", "android-panda");
      for (int i = 0; i < 4; i++) {
        pool.inventory().registerDevice(DeviceSpec.builder("panda-" + i)
            .mac(String.format("00000000aa%02x", i)).hardwareType("panda")
            .powerAddress("sim://rack/" + i).build());
      }
    } finally {
      setupStore.close();
    }

    Random random = new Random(20261130L);
    Map<String, String> filed = new LinkedHashMap<>();
    List<String> returned = new ArrayList<>();
    for (int kill = 0; kill < KILLS; kill++) {
      Process child = startChild("kill" + kill);
      BufferedReader lines = new BufferedReader(
          new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      String line = lines.readLine();
      assertThat(line).as("the child's first line; its stderr:%n%s", tail(childErr))
          .isEqualTo("STARTED");
      // Let it run for a random moment after its first acknowledgement, reading what it
      // acknowledges meanwhile, then kill it.
      record(lines.readLine(), filed, returned);
      long killAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(150 + random.nextInt(900));
      Thread killer = new Thread(() -> {
        long wait = killAt - System.nanoTime();
        if (wait > 0) {
          try {
            TimeUnit.NANOSECONDS.sleep(wait);
          } catch (InterruptedException e) {
            return;
          }
        }
        // kill -9 itself: Process.destroyForcibly() would also close our end of its stdout,
        // losing acknowledgements still in the pipe.
        try {
          new ProcessBuilder("kill", "-9", Long.toString(child.pid())).inheritIO().start()
              .waitFor();
        } catch (IOException | InterruptedException e) {
          child.destroyForcibly();
        }
      });
      killer.start();
      while ((line = lines.readLine()) != null) {
        record(line, filed, returned);
      }
      killer.join();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(child.exitValue()).as("exit of a child killed by SIGKILL; its stderr:%n%s",
          tail(childErr)).isEqualTo(137);
    }

    JdbcPoolStore store = store();
    try (Pool pool = pool(store)) {
      List<String> lostRequests = new ArrayList<>();
      for (Map.Entry<String, String> e : filed.entrySet()) {
        if (pool.findRequest(e.getKey()).isEmpty()) {
          lostRequests.add(e.getKey());
        } else {
          pool.lease(e.getKey(), e.getValue()); // the token the client holds still works
        }
      }
      List<String> notClosed = new ArrayList<>();
      List<String> stillClaiming = new ArrayList<>();
      for (String id : returned) {
        Optional<RequestView> view = pool.findRequest(id);
        if (view.isEmpty() || !view.get().state().equals(RequestStates.CLOSED)) {
          notClosed.add(id + " (" + view.map(RequestView::state).orElse("missing") + ")");
        }
        Optional<Claim> claim = store.inTransaction(tx -> tx.claimOfRequest(id));
        claim.ifPresent(c -> stillClaiming.add(id + " on " + c.device()));
      }
      System.out.printf("kill -9 durability on %s: %d kills, %d requests filed and %d returned"
          + " as acknowledged; lost %d, returns undone %d, claims kept by returned %d%n",
          getClass().getSimpleName(), KILLS, filed.size(), returned.size(), lostRequests.size(),
          notClosed.size(), stillClaiming.size());
      assertThat(filed).as("acknowledged requests").hasSizeGreaterThan(KILLS);
      assertThat(returned).as("acknowledged returns").isNotEmpty();
      assertThat(lostRequests).as("requests acknowledged, then lost").isEmpty();
      assertThat(notClosed).as("returns acknowledged, then undone").isEmpty();
      assertThat(stillClaiming).as("returned requests still holding a device").isEmpty();
    } finally {
      store.close();
    }
  }

  private static void record(String line, Map<String, String> filed, List<String> returned) {
    String[] words = line == null ? new String[] {""} : line.split(" ");
    if (words[0].equals("FILED")) {
      filed.put(words[1], words[2]);
    } else if (words[0].equals("RETURNED")) {
      returned.add(words[1]);
    }
  }

  private static String tail(Path file) throws IOException {
    List<String> all = Files.readAllLines(file);
    return String.join("\n", all.subList(Math.max(0, all.size() - 40), all.size()));
  }

  private Process startChild(String prefix) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // C1 only and the serial collector: a child lives a second or two, mostly starting up.
    ProcessBuilder builder = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"),
        CommitLoopChild.class.getName(), url(), user(), schema(), prefix)
        .redirectError(childErr.toFile());
    builder.environment().put("MOZPOOL_TEST_DB_PASSWORD", password());
    return builder.start();
  }
}
