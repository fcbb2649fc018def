package org.mozpool.testkit.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.mozpool.DeviceStates;
import org.mozpool.Lease;
import org.mozpool.PoolListener;
import org.mozpool.RequestFailedException;
import org.mozpool.RequestSpec;
import org.mozpool.RequestStates;
import org.mozpool.core.DeviceSelectors;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.testkit.faults.Fault;
import org.mozpool.testkit.faults.FaultLog;
import org.mozpool.testkit.faults.OutageStore;
import org.mozpool.spi.TransientStoreException;

/**
 * The pool's meters against a virtual lab with known faults: every count equals what was
 * injected, or what an independent listener saw.
 */
class LabMetricsTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  /** Counts device transitions by from/to on its own, to check the counter against. */
  private static final class Transitions implements PoolListener {
    final Map<String, AtomicInteger> device = new ConcurrentHashMap<>();

    @Override
    public void deviceStateChanged(String name, String from, String to) {
      device.computeIfAbsent(from + "->" + to, k -> new AtomicInteger()).incrementAndGet();
    }
  }

  private double count(String name, String... tags) {
    Counter c = registry.find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  private double sum(String name, String... tags) {
    return Search.in(registry).name(name).tags(tags).counters().stream()
        .mapToDouble(Counter::count).sum();
  }

  private double devices(String state) {
    return registry.get("mozpool.devices").tag("state", state).gauge().value();
  }

  @Test
  void deadBoardIsOneFailedPxeBootingEntryAndOneDeviceInThatStateBesideOneReady() {
    Transitions seen = new Transitions();
    try (VirtualLab lab = VirtualLab.builder().devices(2).defect("panda-0002", Fault.DEAD_BOARD)
        .meterRegistry(registry).listener(seen).build()) {
      lab.settle(Duration.ofHours(3));

      assertThat(count("mozpool.device.failures", "state", DeviceStates.FAILED_PXE_BOOTING))
          .isEqualTo(1.0);
      assertThat(sum("mozpool.device.failures")).isEqualTo(1.0);
      assertThat(devices(DeviceStates.READY)).isEqualTo(1.0);
      assertThat(devices(DeviceStates.FAILED_PXE_BOOTING)).isEqualTo(1.0);
      assertThat(devices(DeviceStates.PXE_BOOTING)).isZero();
      assertThat(registry.find("mozpool.devices").tag("family", "failed").gauges())
          .extracting(g -> g.value()).containsOnly(0.0, 1.0)
          .filteredOn(v -> v == 1.0).hasSize(1);
      // every transition the listener saw, counted once under its from/to pair
      seen.device.forEach((pair, n) -> {
        String[] ft = pair.split("->");
        assertThat(count("mozpool.device.transitions", "from", ft[0], "to", ft[1]))
            .as(pair).isEqualTo(n.get());
      });
      assertThat(sum("mozpool.device.transitions"))
          .isEqualTo(seen.device.values().stream().mapToInt(AtomicInteger::get).sum());
      // the healthy board, and the dead one until it gave up, ran on timers: on virtual time
      // each fires exactly on its deadline
      var lag = registry.get("mozpool.engine.lag").tag("machine", "device").timer();
      assertThat(lag.count()).isPositive();
      assertThat(lag.max(TimeUnit.NANOSECONDS)).isZero();
    }
  }

  @Test
  void servedRequestIsFiledOnceServedOnceWithItsTimeToReadyAndOneClaim() {
    try (VirtualLab lab = VirtualLab.builder().devices(2).meterRegistry(registry).build()) {
      lab.settle(Duration.ofMinutes(30));
      Instant filed = lab.time().now();
      Lease lease = lab.pool().request(RequestSpec.any().image("android").build());

      lease.awaitReady(Duration.ofMinutes(30));
      Duration expected = Duration.between(filed, lab.time().now());

      assertThat(count("mozpool.requests", "outcome", "filed")).isEqualTo(1.0);
      assertThat(count("mozpool.requests", "outcome", "served")).isEqualTo(1.0);
      assertThat(sum("mozpool.requests", "outcome", "failed")).isZero();
      var ttr = registry.get("mozpool.request.time.to.ready").timer();
      assertThat(ttr.count()).isEqualTo(1);
      // the wait ends on the step that made it ready: at most that step's instant
      assertThat(ttr.totalTime(TimeUnit.MILLISECONDS)).isPositive()
          .isLessThanOrEqualTo((double) expected.toMillis());
      var claims = registry.get("mozpool.claim.latency").timer();
      assertThat(claims.count()).isEqualTo(1);
      assertThat(claims.totalTime(TimeUnit.MILLISECONDS)).as("a free device is claimed at once")
          .isZero();

      lease.returnDevice();
      lab.settle(Duration.ofMinutes(30));
      assertThat(count("mozpool.requests", "outcome", "closed", "reason", "after_ready"))
          .isEqualTo(1.0);
    }
  }

  @Test
  void brokenBuildIsOneRequestFailedAsBadImageAndNoDeviceFailure() {
    try (VirtualLab lab = VirtualLab.builder().devices(2).meterRegistry(registry).build()) {
      lab.settle(Duration.ofMinutes(30));
      Lease lease = lab.pool().request(RequestSpec.any().image("b2g")
          .bootConfig("b2gbase", "http://builds.lab/b2g/broken-7").build());

      assertThatThrownBy(() -> lease.awaitReady(Duration.ofMinutes(60)))
          .isInstanceOf(RequestFailedException.class);
      lab.settle(Duration.ofMinutes(30));

      assertThat(count("mozpool.requests", "outcome", "failed", "reason",
          RequestStates.FAILED_BAD_IMAGE)).isEqualTo(1.0);
      assertThat(sum("mozpool.requests", "outcome", "failed")).isEqualTo(1.0);
      assertThat(count("mozpool.requests", "outcome", "served")).isZero();
      assertThat(registry.get("mozpool.request.time.to.ready").timer().count()).isZero();
      // the two devices the bad image was tried on recovered: no failed_* state entered
      assertThat(lab.faultLog().counts()).containsEntry(Fault.BAD_IMAGE, 2);
      assertThat(sum("mozpool.device.failures")).isZero();
      assertThat(devices(DeviceStates.READY)).isEqualTo(2.0);
    }
  }

  @Test
  void badSdCardMakesTheRequestClaimTwiceAndTheCardEndsInOneFailedState() {
    try (VirtualLab lab = VirtualLab.builder().devices(3).meterRegistry(registry)
        .selector(DeviceSelectors.firstByName()).build()) {
      lab.settle(Duration.ofMinutes(30));
      lab.device("panda-0001").develop(Fault.BAD_SD_CARD);

      Lease lease = lab.pool().request(RequestSpec.any().image("android").build());
      assertThat(lease.awaitReady(Duration.ofMinutes(60)).name()).isEqualTo("panda-0002");
      lab.settle(Duration.ofHours(2));

      assertThat(registry.get("mozpool.claim.latency").timer().count()).isEqualTo(2);
      assertThat(count("mozpool.request.transitions", "from", RequestStates.FINDING_DEVICE,
          "to", RequestStates.CONTACTING_LIFEGUARD)).isEqualTo(2.0);
      assertThat(count("mozpool.requests", "outcome", "served")).isEqualTo(1.0);
      assertThat(devices(DeviceStates.FAILED_SELF_TEST)).isEqualTo(1.0);
      assertThat(count("mozpool.device.failures", "state", DeviceStates.FAILED_SELF_TEST))
          .isEqualTo(1.0);
    }
  }

  @Test
  void clientCallDuringAnOutageIsTriedFiveTimesThatIsFourRetries() {
    OutageStore store = new OutageStore(new InMemoryPoolStore(), Clock.systemUTC(),
        new FaultLog());
    try (VirtualLab lab = VirtualLab.builder().devices(1).store(store).meterRegistry(registry)
        .build()) {
      lab.settle(Duration.ofMinutes(30));
      long before = store.refusedTransactions();

      store.goDown();
      assertThatThrownBy(() -> lab.pool().inventory().device("panda-0001"))
          .isInstanceOf(TransientStoreException.class);
      store.comeBack();

      assertThat(store.refusedTransactions() - before).isEqualTo(5);
      assertThat(count("mozpool.store.retries", "caller", "client", "cause", "transient"))
          .isEqualTo(4.0);
      assertThat(count("mozpool.store.retries", "caller", "engine", "cause", "transient"))
          .isZero();
    }
  }

  @Test
  void engineStepsDuringAnOutageAreRetriedOncePerRefusedTransaction() {
    OutageStore store = new OutageStore(new InMemoryPoolStore(), Clock.systemUTC(),
        new FaultLog());
    try (VirtualLab lab = VirtualLab.builder().devices(2).store(store).meterRegistry(registry)
        .build()) {
      lab.settle(Duration.ofMinutes(30));
      double before = count("mozpool.store.retries", "caller", "engine", "cause", "transient");
      long refusedBefore = store.refusedTransactions();

      store.goDown();
      var asked = lab.pool().lifeguard().pleaseSelfTest("panda-0001");
      lab.advance(Duration.ofSeconds(2));
      store.comeBack();
      lab.advance(Duration.ofSeconds(10));

      assertThat(asked.toCompletableFuture()).isCompleted();
      long refused = store.refusedTransactions() - refusedBefore;
      assertThat(refused).isGreaterThanOrEqualTo(4); // tries at 0, 0.1, 0.3, 0.7, 1.5 s
      assertThat(count("mozpool.store.retries", "caller", "engine", "cause", "transient")
          - before).isEqualTo(refused);
    }
  }

  @Test
  void closingThePoolRemovesItsMetersFromTheRegistry() {
    VirtualLab lab = VirtualLab.builder().devices(1).meterRegistry(registry).build();
    lab.settle(Duration.ofMinutes(30));
    assertThat(registry.find("mozpool.devices").gauges()).isNotEmpty();

    lab.close();

    List<Meter> left = registry.getMeters().stream()
        .filter(m -> m.getId().getName().startsWith("mozpool.devices")
            || m.getId().getName().startsWith("mozpool.device.transitions")).toList();
    assertThat(left).isEmpty();
  }
}
