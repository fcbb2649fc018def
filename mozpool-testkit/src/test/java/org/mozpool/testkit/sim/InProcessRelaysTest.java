package org.mozpool.testkit.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.mozpool.core.VirtualTimekeeper;
import org.mozpool.spi.Cancellable;
import org.mozpool.spi.DeviceTarget;
import org.mozpool.testkit.faults.FaultLog;
import org.mozpool.testkit.faults.FaultProfile;

/** The in-process relay boards honour cancellation as the ProXR driver does. */
class InProcessRelaysTest {
  private static final Duration DEADLINE = Duration.ofSeconds(30);

  private final VirtualTimekeeper time = new VirtualTimekeeper();
  private final FaultLog log = new FaultLog();
  private final Map<String, SimulatedDevice> devices = new HashMap<>();
  private final InProcessRelays relays = new InProcessRelays(time, devices::get,
      FaultProfile.none(), log, new Random(1));

  private final DeviceHost host = new DeviceHost() {
    @Override
    public Instant now() {
      return time.now();
    }

    @Override
    public Cancellable after(Duration delay, Runnable step) {
      return time.schedule(time.now().plus(delay), step);
    }

    @Override
    public Optional<String> fetchPxeConfig(SimulatedDevice device) {
      return Optional.empty();
    }

    @Override
    public Optional<InstallOrder> fetchBootConfig(SimulatedDevice device, String pxeConfig) {
      return Optional.empty();
    }

    @Override
    public void postEvent(SimulatedDevice device, String event, Map<String, Object> args) {}
  };

  private DeviceTarget device(int relay) {
    DeviceTarget target = new DeviceTarget("panda-" + relay, "panda-" + relay + ".lab",
        "00163e00000" + relay, "panda", "proxr://relay-1:2101/bank/1/relay/" + relay);
    SimulatedDevice d = new SimulatedDevice(target, Set.of(), DeviceTimings.pandas(),
        FaultProfile.none(), log, new Random(relay), SimulatedDevice.thermalRandom(1, relay), b -> false);
    d.attach(host);
    devices.put(target.device(), d);
    return target;
  }

  @Test
  void powerCycleCancelledWhileQueuedBehindItsBoardNeverTouchesTheDevice() {
    DeviceTarget first = device(1);
    DeviceTarget abandoned = device(2);
    DeviceTarget last = device(3);
    CompletableFuture<Void> a = relays.powerCycle(first, DEADLINE).toCompletableFuture();
    CompletableFuture<Void> b = relays.powerCycle(abandoned, DEADLINE).toCompletableFuture();
    CompletableFuture<Void> c = relays.powerCycle(last, DEADLINE).toCompletableFuture();

    time.advance(Duration.ofMillis(500)); // the first is on the board, the others queue
    assertThat(b.cancel(false)).isTrue();
    time.advance(Duration.ofSeconds(30));

    assertThat(a).isCompleted();
    assertThat(b).isCancelled();
    assertThat(c).isCompleted();
    assertThat(devices.get("panda-1").powerOns()).isEqualTo(1);
    assertThat(devices.get("panda-2").powerOns()).isZero();
    assertThat(devices.get("panda-3").powerOns()).isEqualTo(1);
  }

  @Test
  void powerCycleAlreadyOnItsBoardRunsToItsEndAndRefusesCancellation() {
    DeviceTarget target = device(1);
    CompletableFuture<Void> cycle = relays.powerCycle(target, DEADLINE).toCompletableFuture();
    time.advance(Duration.ofMillis(500)); // relay on: the device is unpowered

    assertThat(cycle.cancel(false)).isFalse();
    time.advance(Duration.ofSeconds(5));

    assertThat(cycle).isCompleted();
    assertThat(devices.get("panda-1").powered()).isTrue();
  }
}
