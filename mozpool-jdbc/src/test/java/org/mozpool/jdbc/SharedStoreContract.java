package org.mozpool.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mozpool.DeviceSpec;
import org.mozpool.NoSuchDeviceException;
import org.mozpool.NoSuchRequestException;
import org.mozpool.RequestSpec;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.InstanceRecord;
import org.mozpool.spi.MachineDriver;
import org.mozpool.spi.MachineEvent;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;
import org.mozpool.spi.RequestRecord;
import org.mozpool.spi.StaleStateException;
import org.mozpool.spi.StoreTransaction;
import org.mozpool.spi.TransientStoreException;

/**
 * The "several instances sharing the store" part of the store SPI (DESIGN §9), written once and
 * run per database by subclasses: instance records and epochs, liveness on the database's clock,
 * declaring an instance dead (fencing its machines), adoption, and the outbox of machine events.
 * Concurrent callers run in threads, each in transactions of its own; a transaction that fails
 * transiently (H2's concurrent update, a deadlock victim) is retried, as the store contract lets
 * any caller do.
 */
abstract class SharedStoreContract {
  static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
  private static final Duration LONG_AGO = Duration.ofHours(1);

  JdbcPoolStore store;
  private ExecutorService threads;

  /** A fresh, empty store of the database under test. */
  abstract JdbcPoolStore createStore() throws Exception;

  /** Deletes what the test stored (the store is closed already). */
  void destroyStore() throws Exception {}

  @BeforeEach
  void openStore() throws Exception {
    store = createStore();
    store.start();
    threads = Executors.newFixedThreadPool(4);
  }

  @AfterEach
  void closeStore() throws Exception {
    threads.shutdownNow();
    threads.awaitTermination(10, TimeUnit.SECONDS);
    store.close();
    destroyStore();
  }

  /** Runs {@code work} in one transaction, again if the store says the failure may pass. */
  <T> T tx(Function<StoreTransaction, T> work) {
    for (int attempt = 1; ; attempt++) {
      try {
        return store.inTransaction(work);
      } catch (TransientStoreException e) {
        if (attempt >= 50) {
          throw e;
        }
      }
    }
  }

  /** Runs {@code tasks} at once (released together by a barrier); their results in order. */
  <T> List<T> concurrently(List<Callable<T>> tasks) throws Exception {
    CyclicBarrier start = new CyclicBarrier(tasks.size());
    List<Future<T>> futures = new ArrayList<>();
    for (Callable<T> task : tasks) {
      futures.add(threads.submit(() -> {
        start.await(10, TimeUnit.SECONDS);
        return task.call();
      }));
    }
    List<T> results = new ArrayList<>();
    for (Future<T> f : futures) {
      results.add(f.get(60, TimeUnit.SECONDS));
    }
    return results;
  }

  static DeviceRecord device(String name, String server) {
    return new DeviceRecord(DeviceSpec.builder(name)
        .mac(String.format("02%010x", name.hashCode() & 0xff_ffff_ffffL)).hardwareType("panda")
        .server(server).build(), "", Map.of(), "", Map.of(), "",
        MachineRecord.initial("ready", null));
  }

  static RequestRecord request(String id, String server) {
    RequestSpec spec = RequestSpec.any().image("b2g").build();
    return new RequestRecord(id, "token-" + id, spec, server, T0,
        T0.plus(spec.leaseDuration()), List.of(), "", MachineRecord.initial("new", null));
  }

  long join(String id) {
    return tx((StoreTransaction t) -> t.joinInstance(id, "lab-1", Set.of(), ""));
  }

  InstanceRecord instance(String id) {
    return tx((StoreTransaction t) -> t.instances()).stream().filter(i -> i.id().equals(id)).findFirst()
        .orElseThrow();
  }

  long version(MachineKind kind, String id) {
    return tx((StoreTransaction t) -> t.machine(kind, id)).orElseThrow().version();
  }

  void insert(DeviceRecord... devices) {
    tx((StoreTransaction t) -> {
      for (DeviceRecord d : devices) {
        t.insertDevice(d);
      }
      return null;
    });
  }

  long post(MachineKind kind, String machine, String sender, String event) {
    return tx((StoreTransaction t) -> t.postEvent(kind, machine, sender, event, Map.of("by", sender)));
  }

  // ---- instances ----

  @Test
  void theStoreCanBeShared() {
    assertThat(store.shareable()).isTrue();
  }

  @Test
  void joiningRegistersALiveInstanceAtEpochOneWithItsLabNetworkStandbyAndUrl() {
    long epoch = tx((StoreTransaction t) -> t.joinInstance("imaging-a", "lab-1", Set.of("lab-2", "lab-3"),
        "http://a.lab:8080"));

    assertThat(epoch).isEqualTo(1);
    InstanceRecord a = instance("imaging-a");
    assertThat(a.epoch()).isEqualTo(1);
    assertThat(a.live()).isTrue();
    assertThat(a.labNetwork()).isEqualTo("lab-1");
    assertThat(a.standbyFor()).containsExactlyInAnyOrder("lab-2", "lab-3");
    assertThat(a.url()).isEqualTo("http://a.lab:8080");
    assertThat(a.silence()).isLessThan(Duration.ofSeconds(30)).isGreaterThanOrEqualTo(Duration.ZERO);
  }

  @Test
  void joiningAgainBumpsTheEpochAndAHeartbeatAtTheOldEpochIsRefused() {
    long first = join("imaging-a");
    long second = tx((StoreTransaction t) -> t.joinInstance("imaging-a", "lab-9", Set.of(), ""));

    assertThat(second).isEqualTo(first + 1);
    assertThat(tx((StoreTransaction t) -> t.heartbeat("imaging-a", first))).isFalse();
    assertThat(tx((StoreTransaction t) -> t.heartbeat("imaging-a", second))).isTrue();
    assertThat(instance("imaging-a").labNetwork()).isEqualTo("lab-9");
    assertThat(tx((StoreTransaction t) -> t.heartbeat("never-joined", 1))).isFalse();
  }

  @Test
  void instancesAreListedById() {
    join("imaging-c");
    join("imaging-a");
    join("imaging-b");

    assertThat(tx((StoreTransaction t) -> t.instances())).extracting(InstanceRecord::id)
        .containsExactly("imaging-a", "imaging-b", "imaging-c");
  }

  @Test
  void theSilenceOfAnInstanceGrowsOnTheDatabaseClockAndAHeartbeatEndsIt() throws Exception {
    long epoch = join("imaging-a");
    Duration first = instance("imaging-a").silence();

    // Database time is real time: watch it pass (no simulated time is involved).
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    Duration later = first;
    while (later.compareTo(first.plusMillis(50)) < 0 && System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(20);
      later = instance("imaging-a").silence();
    }
    assertThat(later).isGreaterThanOrEqualTo(first.plusMillis(50));

    assertThat(tx((StoreTransaction t) -> t.heartbeat("imaging-a", epoch))).isTrue();
    assertThat(instance("imaging-a").silence()).isLessThan(later);
  }

  // ---- declaring an instance dead ----

  @Test
  void anInstanceIsDeclaredDeadOnlyAfterDeadAfterAtItsEpochAndOnlyOnce() {
    long epoch = join("imaging-a");

    assertThat(tx((StoreTransaction t) -> t.declareDead("imaging-a", epoch, LONG_AGO))).as("spoke recently")
        .isFalse();
    assertThat(tx((StoreTransaction t) -> t.declareDead("imaging-a", epoch + 1, Duration.ZERO)))
        .as("another epoch").isFalse();
    assertThat(instance("imaging-a").live()).isTrue();

    assertThat(tx((StoreTransaction t) -> t.declareDead("imaging-a", epoch, Duration.ZERO))).isTrue();
    assertThat(tx((StoreTransaction t) -> t.declareDead("imaging-a", epoch, Duration.ZERO))).as("again").isFalse();
    InstanceRecord dead = instance("imaging-a");
    assertThat(dead.live()).isFalse();
    assertThat(dead.epoch()).isEqualTo(epoch + 1);
    assertThat(tx((StoreTransaction t) -> t.heartbeat("imaging-a", epoch))).as("its old epoch").isFalse();
    assertThat(tx((StoreTransaction t) -> t.declareDead("never-joined", 0, Duration.ZERO))).isFalse();

    assertThat(join("imaging-a")).as("joins again").isEqualTo(epoch + 2);
    assertThat(instance("imaging-a").live()).isTrue();
  }

  @Test
  void ofTwoConcurrentDeclarersExactlyOneDeclaresTheInstanceDead() throws Exception {
    for (int round = 0; round < 5; round++) {
      long epoch = join("imaging-a");
      List<Boolean> declared = concurrently(List.<Callable<Boolean>>of(
          () -> tx((StoreTransaction t) -> t.declareDead("imaging-a", epoch, Duration.ZERO)),
          () -> tx((StoreTransaction t) -> t.declareDead("imaging-a", epoch, Duration.ZERO))));
      assertThat(declared).as("round " + round).containsExactlyInAnyOrder(true, false);
    }
  }

  @Test
  void declaringAnInstanceDeadFencesTheStepsItBeganOnItsMachines() {
    long epoch = join("imaging-a");
    join("imaging-b");
    insert(device("panda-1", "imaging-a"), device("panda-2", "imaging-b"));
    tx((StoreTransaction t) -> {
      t.insertRequest(request("r-1", "imaging-a"));
      return null;
    });
    long deviceVersion = version(MachineKind.DEVICE, "panda-1");
    long otherVersion = version(MachineKind.DEVICE, "panda-2");
    long requestVersion = version(MachineKind.REQUEST, "r-1");

    assertThat(tx((StoreTransaction t) -> t.declareDead("imaging-a", epoch, Duration.ZERO))).isTrue();

    // The dead instance's step, begun before, now fails its conditional write.
    assertThatThrownBy(() -> tx((StoreTransaction t) -> {
      t.updateMachine(MachineKind.DEVICE, "panda-1", deviceVersion,
          new MachineRecord("pxe_booting", Map.of(), null, deviceVersion, 1));
      return null;
    })).isInstanceOf(StaleStateException.class);
    assertThatThrownBy(() -> tx((StoreTransaction t) -> {
      t.updateMachine(MachineKind.REQUEST, "r-1", requestVersion,
          new MachineRecord("finding_device", Map.of(), null, requestVersion, 1));
      return null;
    })).isInstanceOf(StaleStateException.class);
    assertThat(version(MachineKind.DEVICE, "panda-1")).isEqualTo(deviceVersion + 1);
    assertThat(version(MachineKind.REQUEST, "r-1")).isEqualTo(requestVersion + 1);
    assertThat(version(MachineKind.DEVICE, "panda-2")).as("driven by a live instance")
        .isEqualTo(otherVersion);
  }

  @Test
  void aMachineVersionReadInTheDeclaringTransactionIsTheBumpedOne() {
    long epoch = join("imaging-a");
    insert(device("panda-1", "imaging-a"));
    long before = version(MachineKind.DEVICE, "panda-1");

    long seen = tx((StoreTransaction t) -> {
      t.machine(MachineKind.DEVICE, "panda-1"); // known to the transaction before the bump
      t.declareDead("imaging-a", epoch, Duration.ZERO);
      return t.machine(MachineKind.DEVICE, "panda-1").orElseThrow().version();
    });

    assertThat(seen).isEqualTo(before + 1);
  }

  // ---- drivers and adoption ----

  @Test
  void aDeviceIsDrivenByTheServerItIsRegisteredWithAndARequestByTheServerThatFiledIt() {
    long epoch = join("imaging-a");
    insert(device("panda-1", "imaging-a"), device("panda-2", "imaging-b"));
    tx((StoreTransaction t) -> {
      t.insertRequest(request("r-1", "imaging-a"));
      return null;
    });

    assertThat(tx((StoreTransaction t) -> t.driver(MachineKind.DEVICE, "panda-1")))
        .contains(new MachineDriver("imaging-a", epoch, true));
    assertThat(tx((StoreTransaction t) -> t.driver(MachineKind.REQUEST, "r-1")))
        .contains(new MachineDriver("imaging-a", epoch, true));
    assertThat(tx((StoreTransaction t) -> t.driver(MachineKind.DEVICE, "panda-2"))).as("never joined")
        .contains(new MachineDriver("imaging-b", 0, false));
    assertThat(tx((StoreTransaction t) -> t.driver(MachineKind.DEVICE, "panda-9"))).isEmpty();
    assertThat(tx((StoreTransaction t) -> t.driver(MachineKind.REQUEST, "r-9"))).isEmpty();
    assertThat(tx((StoreTransaction t) -> t.drivenBy(MachineKind.DEVICE, "imaging-a"))).containsExactly("panda-1");
    assertThat(tx((StoreTransaction t) -> t.drivenBy(MachineKind.REQUEST, "imaging-a"))).containsExactly("r-1");
    assertThat(tx((StoreTransaction t) -> t.drivenBy(MachineKind.REQUEST, "imaging-b"))).isEmpty();
  }

  @Test
  void registeringADeviceWithAnotherServerHandsItToThatServer() {
    insert(device("panda-1", "imaging-a"));

    tx((StoreTransaction t) -> {
      t.updateDeviceSpec(device("panda-1", "imaging-a").spec().toBuilder().comments("moved")
          .build());
      return null;
    });
    assertThat(tx((StoreTransaction t) -> t.driver(MachineKind.DEVICE, "panda-1")).orElseThrow().instance())
        .as("same server").isEqualTo("imaging-a");

    tx((StoreTransaction t) -> {
      t.updateDeviceSpec(device("panda-1", "imaging-b").spec());
      return null;
    });
    assertThat(tx((StoreTransaction t) -> t.driver(MachineKind.DEVICE, "panda-1")).orElseThrow().instance())
        .isEqualTo("imaging-b");
  }

  @Test
  void adoptionRefusesTheMachinesOfALiveInstance() {
    join("imaging-a");
    join("imaging-b");
    insert(device("panda-1", "imaging-a"));
    long before = version(MachineKind.DEVICE, "panda-1");

    assertThat(tx((StoreTransaction t) -> t.adopt(MachineKind.DEVICE, "imaging-a", "imaging-b"))).isEmpty();

    assertThat(tx((StoreTransaction t) -> t.drivenBy(MachineKind.DEVICE, "imaging-a"))).containsExactly("panda-1");
    assertThat(version(MachineKind.DEVICE, "panda-1")).isEqualTo(before);
  }

  @Test
  void adoptionMovesTheMachinesOfADeadInstanceAndBumpsTheirVersions() {
    long epochA = join("imaging-a");
    long epochB = join("imaging-b");
    insert(device("panda-1", "imaging-a"), device("panda-2", "imaging-a"),
        device("panda-3", "imaging-b"));
    tx((StoreTransaction t) -> {
      t.insertRequest(request("r-1", "imaging-a"));
      t.insertRequest(request("r-2", "imaging-b"));
      return null;
    });
    assertThat(tx((StoreTransaction t) -> t.declareDead("imaging-a", epochA, Duration.ZERO))).isTrue();
    long deviceVersion = version(MachineKind.DEVICE, "panda-1");
    long requestVersion = version(MachineKind.REQUEST, "r-1");

    assertThat(tx((StoreTransaction t) -> t.adopt(MachineKind.DEVICE, "imaging-a", "imaging-b")))
        .containsExactly("panda-1", "panda-2");
    assertThat(tx((StoreTransaction t) -> t.adopt(MachineKind.REQUEST, "imaging-a", "imaging-b")))
        .containsExactly("r-1");

    assertThat(tx((StoreTransaction t) -> t.drivenBy(MachineKind.DEVICE, "imaging-b")))
        .containsExactlyInAnyOrder("panda-1", "panda-2", "panda-3");
    assertThat(tx((StoreTransaction t) -> t.drivenBy(MachineKind.DEVICE, "imaging-a"))).isEmpty();
    assertThat(tx((StoreTransaction t) -> t.drivenBy(MachineKind.REQUEST, "imaging-b")))
        .containsExactlyInAnyOrder("r-1", "r-2");
    assertThat(tx((StoreTransaction t) -> t.driver(MachineKind.DEVICE, "panda-1")))
        .contains(new MachineDriver("imaging-b", epochB, true));
    assertThat(tx((StoreTransaction t) -> t.driver(MachineKind.REQUEST, "r-1")))
        .contains(new MachineDriver("imaging-b", epochB, true));
    assertThat(version(MachineKind.DEVICE, "panda-1")).isEqualTo(deviceVersion + 1);
    assertThat(version(MachineKind.REQUEST, "r-1")).isEqualTo(requestVersion + 1);
    assertThat(tx((StoreTransaction t) -> t.request("r-1")).orElseThrow().server()).isEqualTo("imaging-b");
    assertThat(tx((StoreTransaction t) -> t.device("panda-1")).orElseThrow().spec().server())
        .as("the registration is unchanged").isEqualTo("imaging-a");
    assertThat(tx((StoreTransaction t) -> t.adopt(MachineKind.DEVICE, "imaging-a", "imaging-b")))
        .as("nothing left").isEmpty();
  }

  @Test
  void theMachinesOfAnInstanceThatNeverJoinedCanBeAdopted() {
    join("imaging-b");
    insert(device("panda-1", "imaging-x"));

    assertThat(tx((StoreTransaction t) -> t.adopt(MachineKind.DEVICE, "imaging-x", "imaging-b")))
        .containsExactly("panda-1");
    assertThat(tx((StoreTransaction t) -> t.adopt(MachineKind.DEVICE, "nobody", "imaging-b"))).isEmpty();
  }

  // ---- the outbox ----

  @Test
  void anEventIsPendingForTheDriverOfItsMachineUntilTakenAndItsOutcomeIsReadable() {
    join("imaging-a");
    join("imaging-b");
    insert(device("panda-1", "imaging-a"));
    tx((StoreTransaction t) -> {
      t.insertRequest(request("r-1", "imaging-a"));
      return null;
    });

    long deviceEvent = tx((StoreTransaction t) -> t.postEvent(MachineKind.DEVICE, "panda-1", "imaging-b",
        "please_image", Map.of("image", "b2g", "boot_config", "{}")));
    long requestEvent = post(MachineKind.REQUEST, "r-1", "imaging-b", "close");

    assertThat(requestEvent).isGreaterThan(deviceEvent);
    assertThat(tx((StoreTransaction t) -> t.pendingEvents("imaging-a", 10))).containsExactly(
        new MachineEvent(deviceEvent, MachineKind.DEVICE, "panda-1", "imaging-b", "please_image",
            Map.of("image", "b2g", "boot_config", "{}")),
        new MachineEvent(requestEvent, MachineKind.REQUEST, "r-1", "imaging-b", "close",
            Map.of("by", "imaging-b")));
    assertThat(tx((StoreTransaction t) -> t.pendingEvents("imaging-a", 1))).extracting(MachineEvent::seq)
        .containsExactly(deviceEvent);
    assertThat(tx((StoreTransaction t) -> t.pendingEvents("imaging-b", 10))).isEmpty();
    assertThat(tx((StoreTransaction t) -> t.eventOutcomes(List.of(deviceEvent, requestEvent)))).isEmpty();

    assertThat(tx((StoreTransaction t) -> t.takeEvent(deviceEvent, "accepted"))).isTrue();
    assertThat(tx((StoreTransaction t) -> t.takeEvent(deviceEvent, "again"))).isFalse();
    assertThat(tx((StoreTransaction t) -> t.takeEvent(987_654_321L, "unknown"))).isFalse();

    assertThat(tx((StoreTransaction t) -> t.pendingEvents("imaging-a", 10))).extracting(MachineEvent::seq)
        .containsExactly(requestEvent);
    assertThat(tx((StoreTransaction t) -> t.eventOutcomes(List.of(deviceEvent, requestEvent, 987_654_321L))))
        .isEqualTo(Map.of(deviceEvent, "accepted"));
    assertThat(tx((StoreTransaction t) -> t.eventOutcomes(List.of()))).isEmpty();
  }

  @Test
  void anEventForAnUnknownMachineIsRefused() {
    assertThatThrownBy(() -> tx((StoreTransaction t) -> t.postEvent(MachineKind.DEVICE, "panda-9", "imaging-a",
        "please_image", Map.of()))).isInstanceOf(NoSuchDeviceException.class);
    assertThatThrownBy(() -> tx((StoreTransaction t) -> t.postEvent(MachineKind.REQUEST, "r-9", "imaging-a",
        "close", Map.of()))).isInstanceOf(NoSuchRequestException.class);
  }

  @Test
  void eventsPostedConcurrentlyAreEachTakenOnceInSequenceOrder() throws Exception {
    join("imaging-a");
    insert(device("panda-1", "imaging-a"));
    int perPoster = 10;
    List<Callable<List<Long>>> posters = new ArrayList<>();
    for (int p = 0; p < 4; p++) {
      String sender = "imaging-" + p;
      posters.add(() -> {
        List<Long> seqs = new ArrayList<>();
        for (int i = 0; i < perPoster; i++) {
          seqs.add(post(MachineKind.DEVICE, "panda-1", sender, "event-" + i));
        }
        return seqs;
      });
    }
    List<List<Long>> posted = concurrently(posters);

    List<MachineEvent> pending = tx((StoreTransaction t) -> t.pendingEvents("imaging-a", 1000));
    List<Long> order = pending.stream().map(MachineEvent::seq).toList();
    assertThat(order).hasSize(4 * perPoster).isSorted().doesNotHaveDuplicates()
        .containsExactlyInAnyOrderElementsOf(posted.stream().flatMap(List::stream).toList());
    for (int p = 0; p < 4; p++) {
      String sender = "imaging-" + p;
      // Each poster's events come out in the order it posted them.
      assertThat(pending.stream().filter(e -> e.sender().equals(sender))
          .map(MachineEvent::event).toList())
          .containsExactlyElementsOf(java.util.stream.IntStream.range(0, perPoster)
              .mapToObj(i -> "event-" + i).toList());
    }

    // Four takers race through the same events, in pending order.
    Map<Long, AtomicInteger> taken = new ConcurrentHashMap<>();
    List<Callable<Void>> takers = new ArrayList<>();
    for (int k = 0; k < 4; k++) {
      String taker = "taker-" + k;
      takers.add(() -> {
        for (long seq : order) {
          if (tx((StoreTransaction t) -> t.takeEvent(seq, "taken by " + taker))) {
            taken.computeIfAbsent(seq, s -> new AtomicInteger()).incrementAndGet();
          }
        }
        return null;
      });
    }
    concurrently(takers);

    assertThat(taken.keySet()).containsExactlyInAnyOrderElementsOf(order);
    assertThat(taken.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
    assertThat(tx((StoreTransaction t) -> t.pendingEvents("imaging-a", 1000))).isEmpty();
    Map<Long, String> outcomes = tx((StoreTransaction t) -> t.eventOutcomes(order));
    assertThat(outcomes.keySet()).containsExactlyInAnyOrderElementsOf(order);
    assertThat(outcomes.values()).allSatisfy(o -> assertThat(o).startsWith("taken by taker-"));
  }

  @Test
  void pendingEventsFollowTheirMachineToTheInstanceThatAdoptsIt() {
    long epochA = join("imaging-a");
    join("imaging-b");
    insert(device("panda-1", "imaging-a"));
    tx((StoreTransaction t) -> {
      t.insertRequest(request("r-1", "imaging-a"));
      return null;
    });
    long first = post(MachineKind.DEVICE, "panda-1", "imaging-b", "please_image");
    long second = post(MachineKind.REQUEST, "r-1", "imaging-b", "close");
    assertThat(tx((StoreTransaction t) -> t.pendingEvents("imaging-b", 10))).isEmpty();

    assertThat(tx((StoreTransaction t) -> t.declareDead("imaging-a", epochA, Duration.ZERO))).isTrue();
    tx((StoreTransaction t) -> t.adopt(MachineKind.DEVICE, "imaging-a", "imaging-b"));
    assertThat(tx((StoreTransaction t) -> t.pendingEvents("imaging-b", 10))).extracting(MachineEvent::seq)
        .containsExactly(first);
    tx((StoreTransaction t) -> t.adopt(MachineKind.REQUEST, "imaging-a", "imaging-b"));

    assertThat(tx((StoreTransaction t) -> t.pendingEvents("imaging-b", 10))).extracting(MachineEvent::seq)
        .containsExactly(first, second);
    assertThat(tx((StoreTransaction t) -> t.pendingEvents("imaging-a", 10))).isEmpty();
  }

  @Test
  void pruningDeletesOnlyEventsTakenBeforeTheCutOff() {
    join("imaging-a");
    insert(device("panda-1", "imaging-a"));
    long one = post(MachineKind.DEVICE, "panda-1", "imaging-b", "one");
    long two = post(MachineKind.DEVICE, "panda-1", "imaging-b", "two");
    long three = post(MachineKind.DEVICE, "panda-1", "imaging-b", "three");
    tx((StoreTransaction t) -> t.takeEvent(one, "done"));
    tx((StoreTransaction t) -> t.takeEvent(two, "done"));

    assertThat(tx((StoreTransaction t) -> t.pruneEvents(Instant.parse("2000-01-01T00:00:00Z")))).isZero();
    assertThat(tx((StoreTransaction t) -> t.pruneEvents(Instant.now().plus(Duration.ofDays(1))))).isEqualTo(2);

    assertThat(tx((StoreTransaction t) -> t.pendingEvents("imaging-a", 10))).extracting(MachineEvent::seq)
        .containsExactly(three);
    assertThat(tx((StoreTransaction t) -> t.eventOutcomes(List.of(one, two, three)))).isEmpty();
  }

  @Test
  void outcomesOfManyEventsAreReadInOneCall() {
    join("imaging-a");
    insert(device("panda-1", "imaging-a"));
    List<Long> seqs = tx((StoreTransaction t) -> {
      List<Long> out = new ArrayList<>();
      for (int i = 0; i < 1200; i++) {
        out.add(t.postEvent(MachineKind.DEVICE, "panda-1", "imaging-b", "e", Map.of()));
      }
      return out;
    });
    tx((StoreTransaction t) -> {
      for (long seq : seqs) {
        t.takeEvent(seq, "o" + seq);
      }
      return null;
    });

    Map<Long, String> outcomes = tx((StoreTransaction t) -> t.eventOutcomes(seqs));

    Map<Long, String> expected = new HashMap<>();
    seqs.forEach(s -> expected.put(s, "o" + s));
    assertThat(outcomes).isEqualTo(expected);
  }
}
