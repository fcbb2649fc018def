package org.mozpool.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mozpool.DeviceSpec;
import org.mozpool.DeviceStates;
import org.mozpool.HardwareType;
import org.mozpool.Image;
import org.mozpool.InstancePolicy;
import org.mozpool.Lease;
import org.mozpool.Mozpool;
import org.mozpool.Pool;
import org.mozpool.PxeConfig;
import org.mozpool.RequestSpec;
import org.mozpool.RequestStates;
import org.mozpool.core.SystemTimekeeper;
import org.mozpool.lifeguard.LifeguardPolicy;
import org.mozpool.lifeguard.StandardLifeguard;
import org.mozpool.spi.InstanceRecord;
import org.mozpool.spi.MachineDriver;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.PoolStore;
import org.mozpool.testkit.doubles.ScriptedHardware;
import org.mozpool.testkit.faults.FaultLog;
import org.mozpool.testkit.faults.OutageStore;

/**
 * Several instances sharing one database, in one JVM (DESIGN §9): A drives lab network net1 and
 * stands by for net2, B drives net2 and stands by for net1, C drives no devices and stands by for
 * both. Each instance has hardware of its own that records who was asked to do what; its boards'
 * live images call that instance back. Liveness is short here (heartbeat 100 ms, dead after 1 s).
 *
 * <p>Runs on an embedded H2 file shared by the three stores, and on PostgreSQL (skipped without a
 * server, unless {@code CI=true}).
 */
class SeveralInstancesTest {
  private static final Duration WAIT = Duration.ofSeconds(90);
  /**
   * A live-image second of the scripted boards: their first event comes 20 of them after the
   * power cycle. At 1 ms a busy store had not yet committed the step into {@code pxe_booting}
   * when it came, so the event was ignored and the board waited for a timeout.
   */
  private static final Duration BOOT = Duration.ofMillis(5);
  private static final Duration HEARTBEAT = Duration.ofMillis(100);
  private static final Duration DEAD_AFTER = Duration.ofSeconds(1);

  @TempDir
  Path dir;

  private final List<AutoCloseable> resources = new ArrayList<>();
  private final Map<String, Instance> instances = new HashMap<>();
  /** Liveness of an instance other than the default (heartbeat, then dead after). */
  private final Map<String, Duration[]> liveness = new HashMap<>();
  private String schema;

  /** One instance: its pool, its own store (maybe cut off), and its own hardware. */
  private record Instance(String id, Pool pool, PoolStore store, OutageStore link,
      ScriptedHardware hardware) {}

  @AfterEach
  void closeEverything() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception e) {
        // closed already (a test stopped that instance)
      }
    }
    if (schema != null) {
      DatabaseServer.POSTGRESQL.dropSchema(schema);
    }
  }

  private JdbcPoolStore newStore(String database) {
    if (database.equals("postgresql")) {
      if (schema == null) {
        DatabaseServer.POSTGRESQL.requireAvailable();
        schema = DatabaseServer.freshSchemaName();
      }
      return DatabaseServer.POSTGRESQL.store(schema);
    }
    return JdbcPoolStore.h2(dir.resolve("shared"));
  }

  private Instance start(String database, String id, InstancePolicy policy) {
    JdbcPoolStore jdbc = newStore(database);
    OutageStore link = new OutageStore(jdbc, Clock.systemUTC(), new FaultLog());
    SystemTimekeeper time = new SystemTimekeeper();
    AtomicReference<Pool> self = new AtomicReference<>();
    ScriptedHardware hardware = new ScriptedHardware(time)
        .runsLiveImages(() -> self.get().lifeguard(), BOOT);
    Pool pool = Mozpool.builder().store(link).timekeeper(time).serverId(id)
        // a power cycle's reboot wait is 2 minutes by default; these boards boot at once
        .lifeguard(StandardLifeguard.factory(LifeguardPolicy.defaults()
            .withTimeout(DeviceStates.PC_REBOOTING, Duration.ofSeconds(1))))
        .powerControl(hardware).bootControl(hardware).deviceProbe(hardware)
        .instancePolicy(policy.withLiveness(
                liveness.getOrDefault(id, new Duration[] {HEARTBEAT, DEAD_AFTER})[0],
                liveness.getOrDefault(id, new Duration[] {HEARTBEAT, DEAD_AFTER})[1])
            .withEventPoll(Duration.ofMillis(100)))
        .build();
    self.set(pool);
    resources.add(link);
    resources.add(time);
    resources.add(pool);
    Instance instance = new Instance(id, pool, jdbc, link, hardware);
    instances.put(id, instance);
    return instance;
  }

  /** Starts A, B and C and registers six pandas on each of net1 (home A) and net2 (home B). */
  private void startLab(String database) {
    start(database, "A", InstancePolicy.on("net1").withStandbyFor(Set.of("net2")));
    start(database, "B", InstancePolicy.on("net2").withStandbyFor(Set.of("net1")));
    start(database, "C", InstancePolicy.on("front").withStandbyFor(Set.of("net1", "net2")));
    var inventory = instance("A").pool().inventory();
    inventory.registerHardwareType(HardwareType.of("panda"));
    inventory.registerImage(Image.builder("android").hasAgent(true).build());
    inventory.registerImage(Image.builder(Image.SELF_TEST).hidden(true).build());
    for (String image : List.of("android", Image.SELF_TEST)) {
      inventory.registerPxeConfig(PxeConfig.of(image + "-panda", "kernel " + image));
      inventory.mapPxeConfig(image, "panda", image + "-panda");
    }
    for (int i = 1; i <= 12; i++) {
      String home = i <= 6 ? "A" : "B";
      inventory.registerDevice(DeviceSpec.builder("panda-" + i)
          .mac(String.format("0000000000%02x", i)).hardwareType("panda")
          .powerAddress("sim://rack-" + home + "/" + i).server(home).build());
    }
    for (int i = 1; i <= 12; i++) {
      awaitReady("panda-" + i);
    }
  }

  /** Waits until {@code device} is ready; the failure shows its log. */
  private void awaitReady(String device) {
    var inventory = instance("C").pool().inventory();
    try {
      await(device + " ready", () -> DeviceStates.READY.equals(inventory.device(device).state()));
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; it is " + inventory.device(device).state()
          + ", driven by " + driver(MachineKind.DEVICE, device) + "; its log:\n"
          + String.join("\n", inventory.deviceLog(device).stream().map(Object::toString).toList()));
    }
  }

  private Instance instance(String id) {
    return instances.get(id);
  }

  private static void await(String what, BooleanSupplier condition) {
    Instant giveUp = Instant.now().plus(WAIT);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(giveUp)) {
        throw new AssertionError("not within " + WAIT + ": " + what);
      }
      try {
        Thread.sleep(20); // real time: instances heartbeat on the wall clock
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  private <T> T read(Function<org.mozpool.spi.StoreTransaction, T> query) {
    return instance("C").store().inTransaction(query);
  }

  private String driver(MachineKind kind, String id) {
    return read(tx -> tx.driver(kind, id)).map(MachineDriver::instance).orElse("?");
  }

  private boolean live(String id) {
    return read(tx -> tx.instances()).stream().filter(i -> i.id().equals(id))
        .anyMatch(InstanceRecord::live);
  }

  private List<String> devicesOf(String network) {
    List<String> names = new ArrayList<>();
    for (int i = network.equals("net1") ? 1 : 7, n = i + 6; i < n; i++) {
      names.add("panda-" + i);
    }
    return names;
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgresql"})
  @Timeout(300)
  void aRequestFiledWhereNoDeviceIsDrivenIsImagedByTheDevicesOwnInstance(String database) {
    startLab(database);
    Instance c = instance("C");
    try (Lease lease = c.pool().request(RequestSpec.device("panda-8").image("android").build())) {
      assertThat(lease.awaitReady(WAIT).name()).isEqualTo("panda-8");
    }
    // The please-event went through the outbox to B, whose hardware did the work; C touched none.
    assertThat(instance("B").hardware().calls("panda-8")).isNotEmpty();
    assertThat(c.hardware().calls()).isEmpty();
    assertThat(instance("A").hardware().calls("panda-8")).isEmpty();
    // The return reached B too: the device is ready again, driven by B all along.
    awaitReady("panda-8"); // again, after the return
    assertThat(driver(MachineKind.DEVICE, "panda-8")).isEqualTo("B");
    assertThat(c.pool().requests()).extracting(r -> r.state()).containsOnly(RequestStates.CLOSED);
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgresql"})
  @Timeout(300)
  void anInstanceThatStopsHasItsRequestsAdoptedAtOnceAndItsDevicesByAStandby(String database) {
    startLab(database);
    Instance a = instance("A");
    Lease held = a.pool().request(RequestSpec.device("panda-2").image("android")
        .leaseDuration(Duration.ofMinutes(30)).build());
    held.awaitReady(WAIT);
    String requestId = held.id();

    a.pool().close(); // stops heartbeating, as a dead process would

    await("A declared dead", () -> !live("A"));
    await("A's request adopted", () -> Set.of("B", "C")
        .contains(driver(MachineKind.REQUEST, requestId)));
    for (String device : devicesOf("net1")) {
      await(device + " adopted by a standby for net1", () -> Set.of("B", "C")
          .contains(driver(MachineKind.DEVICE, device)));
    }
    // net2 stays with B, alive.
    for (String device : devicesOf("net2")) {
      assertThat(driver(MachineKind.DEVICE, device)).isEqualTo("B");
    }
    // The adopted device serves again, imaged by its new driver's hardware.
    String adopter = driver(MachineKind.DEVICE, "panda-3");
    int before = instance(adopter).hardware().calls("panda-3").size();
    try (Lease lease = instance("B").pool().request(RequestSpec.device("panda-3")
        .image("android").build())) {
      assertThat(lease.awaitReady(WAIT).name()).isEqualTo("panda-3");
    }
    assertThat(instance(adopter).hardware().calls("panda-3").size()).isGreaterThan(before);
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgresql"})
  @Timeout(300)
  void aRequestFiledOnAnInstanceDeclaredDeadUnawaresIsAdoptedAndServed(String database) {
    // A beats every 10 minutes: declared dead below, it does not find out during the test. B and
    // C look at the others every 100 ms, and declare nobody dead on their own (30 minutes).
    Duration[] slow = {Duration.ofMinutes(10), Duration.ofMinutes(30)};
    liveness.put("A", slow);
    liveness.put("B", new Duration[] {HEARTBEAT, slow[1]});
    liveness.put("C", new Duration[] {HEARTBEAT, slow[1]});
    startLab(database);
    Instance a = instance("A");
    Set<String> changedOnA = java.util.concurrent.ConcurrentHashMap.newKeySet();
    a.pool().addListener(new org.mozpool.PoolListener() {
      @Override
      public void requestStateChanged(String id, String from, String to) {
        changedOnA.add(id);
      }
    });
    long epoch = read(tx -> tx.instances()).stream().filter(i -> i.id().equals("A"))
        .findFirst().orElseThrow().epoch();
    boolean declared = read(tx -> tx.declareDead("A", epoch, Duration.ZERO));
    assertThat(declared).isTrue();

    // Filing runs the request's first step in its transaction; A's fence refuses it (A is not
    // live), so the request is filed alone, and a live instance adopts and serves it.
    Lease lease = a.pool().request(RequestSpec.device("panda-2").image("android").build());

    assertThat(lease.awaitReady(WAIT).name()).isEqualTo("panda-2");
    assertThat(changedOnA).as("no step of the request ran on A").doesNotContain(lease.id());
    assertThat(driver(MachineKind.REQUEST, lease.id())).isIn("B", "C");
    lease.returnDevice();
    awaitReady("panda-2");
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgresql"})
  @Timeout(120)
  void anInstanceJoinsThoughItsFirstTransactionsFailTransiently(String database) {
    // A process's first transaction runs cold code; on a busy machine the server may end it as
    // idle in transaction, or drop its connection. Start-up rides that out instead of failing.
    JdbcPoolStore jdbc = newStore(database);
    OutageStore flaky = new OutageStore(jdbc, Clock.systemUTC(), new FaultLog());
    flaky.refuseNext(2);
    SystemTimekeeper time = new SystemTimekeeper();
    resources.add(jdbc);
    resources.add(time);
    ScriptedHardware hardware = new ScriptedHardware(time);
    Pool pool = Mozpool.builder().store(flaky).timekeeper(time).serverId("A")
        .lifeguard(StandardLifeguard.factory())
        .powerControl(hardware).bootControl(hardware).deviceProbe(hardware)
        .instancePolicy(InstancePolicy.on("net1").withLiveness(HEARTBEAT, DEAD_AFTER)).build();
    resources.add(pool);

    assertThat(flaky.refusedTransactions()).isEqualTo(2);
    List<InstanceRecord> joined = jdbc.inTransaction(tx -> tx.instances());
    assertThat(joined).extracting(InstanceRecord::id, InstanceRecord::live)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("A", true));
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgresql"})
  @Timeout(300)
  void aPausedInstanceIsFencedWhenItComesBackAndTouchesNothingItLost(String database) {
    startLab(database);
    Instance a = instance("A");
    Lease held = a.pool().request(RequestSpec.device("panda-1").image("android")
        .leaseDuration(Duration.ofMinutes(30)).build());
    held.awaitReady(WAIT);

    a.link().goDown(); // A cannot reach the database: no heartbeat, as if paused
    Instant cutOff = Instant.now();
    await("A declared dead", () -> !live("A"));
    for (String device : devicesOf("net1")) {
      await(device + " adopted", () -> !driver(MachineKind.DEVICE, device).equals("A"));
    }
    await("A's request adopted", () -> !driver(MachineKind.REQUEST, held.id()).equals("A"));
    // Work for an adopted device, while A is still away: its new driver does it.
    String adopter = driver(MachineKind.DEVICE, "panda-4");
    instance("C").pool().lifeguard().pleasePowerCycle("panda-4").toCompletableFuture()
        .orTimeout(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS).join();

    a.link().comeBack(); // the paused instance resumes: its epoch is over
    await("A joined again", () -> live("A"));
    // Its old lease's request is driven elsewhere now: A's steps refuse to touch it, and the
    // lease's renew is done by the request's new driver instead (through the outbox).
    String newDriver = driver(MachineKind.REQUEST, held.id());
    held.renew(Duration.ofMinutes(5));
    assertThat(instance("C").pool().requestLog(held.id()))
        .anyMatch(line -> line.message().startsWith("lease renewed until"));
    assertThat(driver(MachineKind.REQUEST, held.id())).isEqualTo(newDriver);
    // A's own hardware was not asked to do anything for a net1 device since it was cut off.
    awaitReady("panda-4"); // after its power cycle
    assertThat(a.hardware().calls()).filteredOn(call -> call.at().isAfter(cutOff)).isEmpty();
    assertThat(instance(adopter).hardware().calls("panda-4")).isNotEmpty();
    // Every device is driven by exactly one live instance.
    for (int i = 1; i <= 12; i++) {
      String d = driver(MachineKind.DEVICE, "panda-" + i);
      assertThat(live(d)).as("panda-%d driven by live %s", i, d).isTrue();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgresql"})
  @Timeout(300)
  void eventsForAnotherInstancesDeviceAreTakenOnceEachInTheOrderSentAcrossItsRestart(
      String database) throws Exception {
    startLab(database);
    Instance c = instance("C");
    int senders = 4;
    int each = 25;
    java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(senders);
    List<java.util.concurrent.Future<?>> done = new ArrayList<>();
    for (int t = 0; t < senders; t++) {
      int sender = t;
      done.add(pool.submit(() -> {
        for (int i = 0; i < each; i++) {
          // each sender waits for its event to be taken before sending the next: its own order
          c.pool().lifeguard().deviceEvent("panda-9", "probe-" + sender + "-" + i, Map.of())
              .toCompletableFuture().get(2, java.util.concurrent.TimeUnit.MINUTES);
          sent.incrementAndGet();
        }
        return null;
      }));
    }
    await("half the events taken", () -> sent.get() >= senders * each / 2);
    // B, which drives panda-9, restarts (within the dead-after silence, so it keeps its devices)
    instance("B").pool().close();
    start(database, "B", InstancePolicy.on("net2").withStandbyFor(Set.of("net1")));
    for (java.util.concurrent.Future<?> f : done) {
      f.get(3, java.util.concurrent.TimeUnit.MINUTES);
    }
    pool.shutdown();

    List<String> taken = c.pool().inventory().deviceLog("panda-9").stream()
        .map(e -> e.message()).filter(m -> m.contains("'probe-"))
        .map(m -> m.substring(m.indexOf("'probe-") + 1, m.indexOf("'", m.indexOf("'probe-") + 1)))
        .toList();
    assertThat(taken).hasSize(senders * each).doesNotHaveDuplicates();
    for (int t = 0; t < senders; t++) {
      String prefix = "probe-" + t + "-";
      List<Integer> order = taken.stream().filter(m -> m.startsWith(prefix))
          .map(m -> Integer.parseInt(m.substring(prefix.length()))).toList();
      assertThat(order).as("sender %d's events in the order sent", t).isSorted().hasSize(each);
    }
  }
}
