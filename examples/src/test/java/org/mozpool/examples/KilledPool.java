package org.mozpool.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.mozpool.Lease;
import org.mozpool.LogEntry;
import org.mozpool.RequestSpec;
import org.mozpool.RequestStates;
import org.mozpool.RequestView;
import org.mozpool.jdbc.JdbcPoolStore;
import org.mozpool.lifeguard.LifeguardPolicy;
import org.mozpool.spi.DeviceFailure;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;
import org.mozpool.spi.PoolStore;
import org.mozpool.spi.RequestRecord;
import org.mozpool.testkit.sim.VirtualLab;

/**
 * The child JVM of the kill tests ({@link PoolKillRun}): one life of a pool of healthy simulated
 * pandas on virtual time, over a database that earlier lives left behind. It resumes from the
 * store, files requests, holds and returns the leases it is handed, and prints one line per thing
 * it is told, until the parent kills it ({@code serve}) or until the lab is quiescent
 * ({@code quiesce}, no new requests).
 *
 * <p>Virtual time carries across lives: a life starts a second after the latest of what earlier
 * lives stored (log lines, requests, failures, state entries) and the virtual time they recorded.
 *
 * <p>Arguments: JDBC URL, user, password, schema ({@code -} for none), seed, life number, mode
 * ({@code serve} or {@code quiesce}), device count, pace (virtual seconds per real second while
 * serving; 0 = as fast as it can; the quiescing life always runs as fast as it can), and a file in
 * which each life records the virtual time it reached.
 *
 * <p>Output lines: {@code started <life> at <virtual time>}, {@code filed <R>},
 * {@code served <R> on <D>}, {@code returned <R>}, {@code failed <R> <state> <reason>},
 * {@code quiescent at <time>} or {@code not quiescent at <time> <device states>}.
 */
public final class KilledPool {
  /**
   * How long requests wait for a device: ample, so that a healthy lab never runs out, even when
   * kills keep every device from becoming ready for a while. A device whose callback state was
   * entered before a restart is driven again only when that state's timeout passes (the restart
   * rule of {@code DeviceMachine}; one hour for {@code self_test_running}), so a kill within the
   * lab's initial self-tests leaves all of them unavailable for an hour, and a second kill within
   * the self-tests driven again for another. Two hours were not enough: seed 11, run beside other
   * work, filed its first requests at once and failed five of them so, while every device
   * self-tested from 00:00, 01:00 and 02:01 of virtual time, each run cut short by a kill. Four
   * hours cover two such kills in a row.
   */
  static final Duration WAIT = Duration.ofHours(4);
  /** Lease duration, counted from filing: longer than the wait budget plus imaging. */
  static final Duration LEASE = Duration.ofHours(5);
  /** The image every request asks for (not reusable: each request re-images its device). */
  static final String IMAGE = "android";

  private static final int MAX_OPEN = 5;
  private static final Duration STEP = Duration.ofSeconds(15);
  private static final Duration QUIESCE_LIMIT = Duration.ofHours(24);
  private static final Duration SERVE_LIMIT = Duration.ofSeconds(90);

  private final PrintStream out = System.out;
  private final Map<String, Held> held = new LinkedHashMap<>();

  /** A lease this life follows: when it was seen ready, and when its holder will return it. */
  private static final class Held {
    final Lease lease;
    Instant returnAt;

    Held(Lease lease) {
      this.lease = lease;
    }
  }

  private KilledPool() {}

  public static void main(String[] args) throws InterruptedException {
    new KilledPool().run(args);
  }

  private void run(String[] args) throws InterruptedException {
    String url = args[0];
    String user = args[1];
    String password = args[2];
    String schema = args[3].equals("-") ? "" : args[3];
    long seed = Long.parseLong(args[4]);
    int life = Integer.parseInt(args[5]);
    boolean quiesce = args[6].equals("quiesce");
    int devices = Integer.parseInt(args[7]);
    int pace = Integer.parseInt(args[8]);
    Path clockFile = Path.of(args[9]);

    JdbcPoolStore store = JdbcPoolStore.forUrl(url, user, password,
        JdbcPoolStore.Options.builder().schema(schema).poolSize(4).build());
    store.start();
    Instant start = later(resumeTime(store, LifeguardPolicy.defaults()),
        readClock(clockFile).plus(Duration.ofSeconds(1)));
    AtomicLong ids = new AtomicLong();
    VirtualLab lab = VirtualLab.builder().devices(devices).seed(seed).store(store).start(start)
        .requestIds(() -> "life" + life + "-req-" + ids.incrementAndGet()).build();
    Random random = new Random(seed * 7919 + life);
    adoptEarlierRequests(lab, store);
    say("started " + life + " at " + lab.time().now());

    long realStart = System.nanoTime();
    Instant virtualLimit = lab.time().now().plus(QUIESCE_LIMIT);
    while (true) {
      if (quiesce) {
        if (held.isEmpty() && allRequestsEnded(store) && settled(lab)) {
          say("quiescent at " + lab.time().now());
          break;
        }
        if (!lab.time().now().isBefore(virtualLimit)) {
          say("not quiescent at " + lab.time().now() + " " + lab.stateCounts() + " open "
              + held.keySet());
          break;
        }
      } else {
        if (System.nanoTime() - realStart > SERVE_LIMIT.toNanos()) {
          say("serve limit reached; the parent did not kill this life");
          break;
        }
        if (held.size() < MAX_OPEN && random.nextDouble() < 0.3) {
          Lease lease = lab.pool().request(RequestSpec.any().image(IMAGE).waitBudget(WAIT)
              .leaseDuration(LEASE).requester("kill-test").build());
          held.put(lease.id(), new Held(lease));
          say("filed " + lease.id());
        }
      }
      long stepStart = System.nanoTime();
      lab.advance(STEP);
      follow(lab, random);
      if (!quiesce) {
        writeClock(clockFile, lab.time().now());
      }
      if (!quiesce && pace > 0) {
        long left = STEP.toNanos() / pace - (System.nanoTime() - stepStart);
        if (left > 0) {
          Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
        }
      }
    }
    lab.close();
    System.exit(0);
  }

  /**
   * Virtual time resumes after everything the earlier lives stored: their latest log line, request
   * and failure, and the moment each device entered its current state (its deadline less its
   * timeout), plus a second, so that this life starts strictly after the last one.
   */
  static Instant resumeTime(PoolStore store, LifeguardPolicy policy) {
    return store.inTransaction(tx -> {
      Instant latest = null;
      for (DeviceRecord d : tx.devices()) {
        for (LogEntry e : tx.log(MachineKind.DEVICE, d.name(), 1)) {
          latest = later(latest, e.timestamp());
        }
        for (DeviceFailure f : tx.failures(d.name(), Instant.EPOCH)) {
          latest = later(latest, f.at());
        }
        MachineRecord m = d.machine();
        Optional<Duration> timeout = policy.timeout(m.state());
        if (m.deadline() != null && timeout.isPresent()) {
          latest = later(latest, m.deadline().minus(timeout.get()));
        }
      }
      for (RequestRecord r : tx.requests()) {
        latest = later(latest, r.createdAt());
        for (LogEntry e : tx.log(MachineKind.REQUEST, r.id(), 1)) {
          latest = later(latest, e.timestamp());
        }
      }
      return latest == null ? org.mozpool.core.VirtualTimekeeper.DEFAULT_START
          : latest.plus(Duration.ofSeconds(1));
    });
  }

  /** The virtual time an earlier life reached, or the epoch. */
  private static Instant readClock(Path file) {
    try {
      return Files.exists(file) ? Instant.parse(Files.readString(file).trim()) : Instant.EPOCH;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Records the virtual time reached (write and rename, so that a kill leaves the old or the new
   * time, never half of one): an idle lab stores nothing, and without this a life's idle time would
   * be lost to the next one.
   */
  private static void writeClock(Path file, Instant now) {
    try {
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(tmp, now.toString());
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Instant later(Instant a, Instant b) {
    return a == null || b.isAfter(a) ? b : a;
  }

  /**
   * The clients of earlier lives come back: a request still waiting is followed again; a lease an
   * earlier life was handed is returned (its holder is done with it).
   */
  private void adoptEarlierRequests(VirtualLab lab, PoolStore store) {
    List<RequestRecord> open = new ArrayList<>();
    for (RequestRecord r : store.inTransaction(tx -> tx.requests())) {
      if (!RequestStates.TERMINAL.contains(r.machine().state())) {
        open.add(r);
      }
    }
    for (RequestRecord r : open) {
      Held h = new Held(lab.pool().lease(r.id(), r.token()));
      held.put(r.id(), h);
      if (RequestStates.READY.equals(r.machine().state())) {
        h.returnAt = lab.time().now();
      }
    }
    follow(lab, new Random(0));
  }

  private void follow(VirtualLab lab, Random random) {
    Instant now = lab.time().now();
    for (var it = held.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Held> e = it.next();
      Held h = e.getValue();
      RequestView v = h.lease.view();
      String state = v.state();
      if (RequestStates.READY.equals(state)) {
        if (h.returnAt == null) {
          say("served " + e.getKey() + " on " + v.device().orElse("?"));
          h.returnAt = now.plus(Duration.ofSeconds(30 + random.nextInt(300)));
        } else if (!now.isBefore(h.returnAt)) {
          h.lease.returnDevice();
          say("returned " + e.getKey());
          it.remove();
        }
      } else if (RequestStates.TERMINAL.contains(state)) {
        if (RequestStates.CLOSED.equals(state)) {
          say("closed " + e.getKey() + " before it was returned");
        } else {
          say("failed " + e.getKey() + " " + state + " " + v.failureReason().orElse(""));
        }
        it.remove();
      }
    }
  }

  private static boolean allRequestsEnded(PoolStore store) {
    return store.inTransaction(tx -> tx.requests()).stream()
        .allMatch(r -> RequestStates.TERMINAL.contains(r.machine().state()));
  }

  /** Every device in a steady state ({@code ready}, failed or parked): no workflow running. */
  private static boolean settled(VirtualLab lab) {
    return lab.stateCounts().entrySet().stream().filter(e -> e.getValue() > 0)
        .map(Map.Entry::getKey).allMatch(s -> s.equals("ready")
        || org.mozpool.DeviceStates.isFailed(s) || s.equals("maintenance_mode")
        || s.equals("troubleshooting") || s.equals("locked_out"));
  }

  private void say(String line) {
    out.println(line);
    out.flush();
  }
}
