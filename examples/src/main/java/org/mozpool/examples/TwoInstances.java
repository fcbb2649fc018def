package org.mozpool.examples;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.mozpool.DeviceSpec;
import org.mozpool.HardwareType;
import org.mozpool.Image;
import org.mozpool.InstancePolicy;
import org.mozpool.Lease;
import org.mozpool.Mozpool;
import org.mozpool.Pool;
import org.mozpool.PxeConfig;
import org.mozpool.RequestSpec;
import org.mozpool.core.SystemTimekeeper;
import org.mozpool.jdbc.JdbcPoolStore;
import org.mozpool.lifeguard.StandardLifeguard;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.PoolStore;
import org.mozpool.testkit.doubles.ScriptedHardware;

/**
 * Two instances sharing one database (DESIGN §9): {@code imaging-1} drives lab network {@code
 * net1} and stands by for {@code net2}; {@code imaging-2} drives {@code net2} and stands by for
 * {@code net1}. A request filed with {@code imaging-1} for a board of {@code net2} is imaged by
 * {@code imaging-2}'s hardware (the please-event goes through the outbox); then {@code imaging-2}
 * stops, {@code imaging-1} declares it dead after the dead-after silence (judged on the database's
 * clock), adopts its boards, and serves them with its own hardware.
 *
 * <p>Each instance is what {@code Mozpool.builder()} makes with an {@link InstancePolicy} and its
 * own {@linkplain Mozpool.Builder#serverId server id}; in production they are separate processes on
 * a PostgreSQL database, each with the relay boards and TFTP of its lab network. Here both run in
 * one JVM, on an embedded H2 file (or the JDBC URL given), over scripted hardware that records
 * which instance was asked to do what.
 *
 * <pre>
 * java -cp examples/target/mozpool-lab.jar org.mozpool.examples.TwoInstances [jdbc-url [user [password]]]
 * </pre>
 */
public final class TwoInstances {
  private TwoInstances() {}

  /** What happened, for the test and the printout. */
  record Outcome(String servedBefore, List<String> workedBefore, Duration adoptedAfter,
      String adopter, String servedAfter, List<String> workedAfter) {}

  /** Runs the story on an embedded H2 file, or on the database at {@code args[0]}. */
  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("mozpool-two-instances");
    Outcome o = run(() -> args.length > 0
        ? JdbcPoolStore.forUrl(args[0], args.length > 1 ? args[1] : "", args.length > 2 ? args[2] : "")
        : JdbcPoolStore.h2(dir.resolve("shared")));
    PrintStream out = System.out;
    out.println("imaging-1 filed a request for " + o.servedBefore() + " (net2): imaged by "
        + o.workedBefore());
    out.println("imaging-2 stopped; " + o.adopter() + " adopted net2's boards "
        + o.adoptedAfter().toMillis() + " ms later");
    out.println("imaging-1 served " + o.servedAfter() + " again: imaged by " + o.workedAfter());
  }

  /** The story, on stores from {@code stores} (one per instance, all on one database). */
  static Outcome run(java.util.function.Supplier<PoolStore> stores) throws Exception {
    List<AutoCloseable> open = new ArrayList<>();
    try {
      Instance one = start("imaging-1", InstancePolicy.on("net1")
          .withStandbyFor(Set.of("net2")), stores.get(), open);
      Instance two = start("imaging-2", InstancePolicy.on("net2")
          .withStandbyFor(Set.of("net1")), stores.get(), open);
      register(one.pool());

      String before;
      try (Lease lease = one.pool().request(RequestSpec.device("panda-21").image("android")
          .build())) {
        before = lease.awaitReady(Duration.ofMinutes(2)).name();
      }
      List<String> workedBefore = whoWorkedOn(before, one, two);

      long stopped = System.nanoTime();
      two.pool().close(); // its heartbeat stops, as a crashed process's would
      PoolStore db = one.store();
      while (!db.inTransaction(tx -> tx.driver(MachineKind.DEVICE, "panda-21"))
          .map(d -> d.instance().equals("imaging-1")).orElse(false)) {
        if (System.nanoTime() - stopped > Duration.ofMinutes(2).toNanos()) {
          throw new IllegalStateException("imaging-2's boards were not adopted within 2 minutes");
        }
        Thread.sleep(20); // real time: liveness is judged on the database's clock
      }
      Duration adoptedAfter = Duration.ofNanos(System.nanoTime() - stopped);

      int callsBefore = one.hardware().calls("panda-21").size();
      String after;
      try (Lease lease = one.pool().request(RequestSpec.device("panda-21").image("android")
          .build())) {
        after = lease.awaitReady(Duration.ofMinutes(2)).name();
      }
      List<String> workedAfter = one.hardware().calls("panda-21").size() > callsBefore
          ? List.of("imaging-1") : List.of();
      return new Outcome(before, workedBefore, adoptedAfter, "imaging-1", after, workedAfter);
    } finally {
      for (int i = open.size() - 1; i >= 0; i--) {
        open.get(i).close();
      }
    }
  }

  private record Instance(String id, Pool pool, PoolStore store, ScriptedHardware hardware) {}

  private static Instance start(String id, InstancePolicy policy, PoolStore store,
      List<AutoCloseable> open) {
    SystemTimekeeper time = new SystemTimekeeper();
    AtomicReference<Pool> self = new AtomicReference<>();
    // Each instance's boards run their live images against that instance, as PXE sends them.
    ScriptedHardware hardware = new ScriptedHardware(time)
        .runsLiveImages(() -> self.get().lifeguard(), Duration.ofMillis(1));
    open.add(store);
    open.add(time);
    Pool pool = Mozpool.builder().store(store).timekeeper(time).serverId(id)
        .lifeguard(StandardLifeguard.factory())
        .powerControl(hardware).bootControl(hardware).deviceProbe(hardware)
        .instancePolicy(policy.withLiveness(Duration.ofMillis(200), Duration.ofSeconds(2))
            .withEventPoll(Duration.ofMillis(100)))
        .build();
    self.set(pool);
    open.add(pool);
    return new Instance(id, pool, store, hardware);
  }

  /** Four pandas on each lab network: net1's at home on imaging-1, net2's on imaging-2. */
  private static void register(Pool pool) {
    var inventory = pool.inventory();
    inventory.registerHardwareType(HardwareType.of("panda"));
    inventory.registerImage(Image.builder("android").hasAgent(true).build());
    inventory.registerImage(Image.builder(Image.SELF_TEST).hidden(true).build());
    for (String image : List.of("android", Image.SELF_TEST)) {
      inventory.registerPxeConfig(PxeConfig.of(image + "-panda", "kernel " + image));
      inventory.mapPxeConfig(image, "panda", image + "-panda");
    }
    for (int net = 1; net <= 2; net++) {
      for (int i = 1; i <= 4; i++) {
        inventory.registerDevice(DeviceSpec.builder("panda-" + net + i)
            .mac(String.format("00000000%02x%02x", net, i)).hardwareType("panda")
            .powerAddress("sim://net" + net + "/" + i).server("imaging-" + net).build());
      }
    }
  }

  private static List<String> whoWorkedOn(String device, Instance... instances) {
    List<String> who = new ArrayList<>();
    for (Instance i : instances) {
      if (!i.hardware().calls(device).isEmpty()) {
        who.add(i.id());
      }
    }
    return who;
  }
}
