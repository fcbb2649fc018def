package org.mozpool.testkit.doubles;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mozpool.PxeConfig;
import org.mozpool.core.VirtualTimekeeper;
import org.mozpool.spi.DeviceTarget;
import org.mozpool.spi.RelayFaultException;
import org.mozpool.testkit.doubles.ScriptedHardware.Call;
import org.mozpool.testkit.doubles.ScriptedHardware.Operation;

/** Hardware that answers what the test scripted, and records what it was asked. */
class ScriptedHardwareTest {
  private static final Duration DEADLINE = Duration.ofSeconds(30);
  private final VirtualTimekeeper time = new VirtualTimekeeper(VirtualTimekeeper.DEFAULT_START);
  private final ScriptedHardware hardware = new ScriptedHardware(time);
  private final DeviceTarget panda1 = target("panda-1");
  private final DeviceTarget panda2 = target("panda-2");

  private static DeviceTarget target(String name) {
    return new DeviceTarget(name, name + ".lab", "00:00:00:00:00:01", "panda", "");
  }

  private static CompletableFuture<?> f(java.util.concurrent.CompletionStage<?> s) {
    return s.toCompletableFuture();
  }

  @AfterEach
  void closeTime() {
    time.close();
  }

  @Test
  void anUnscriptedCallSucceedsAtOnceAndIsRecorded() {
    assertThat(f(hardware.powerCycle(panda1, DEADLINE))).isCompleted().isNotCompletedExceptionally();
    assertThat(f(hardware.ping(panda1, DEADLINE))).isCompleted().isNotCompletedExceptionally();
    assertThat(hardware.isPowered(panda1, DEADLINE).toCompletableFuture().join()).isTrue();

    assertThat(hardware.operations("panda-1"))
        .containsExactly(Operation.POWER_CYCLE, Operation.PING, Operation.IS_POWERED);
    assertThat(hardware.calls("panda-2")).isEmpty();
  }

  @Test
  void aScriptIsPerDeviceAndPerOperation() {
    hardware.powerCycle("panda-1").failsWith(new IOException("board unreachable"));

    assertThatThrownBy(() -> f(hardware.powerCycle(panda1, DEADLINE)).join())
        .hasCauseInstanceOf(IOException.class).hasMessageContaining("board unreachable");
    assertThat(f(hardware.powerCycle(panda2, DEADLINE))).isNotCompletedExceptionally();
    assertThat(f(hardware.ping(panda1, DEADLINE))).isNotCompletedExceptionally();
  }

  @Test
  void answersAreTakenInOrderAndTheLastStaysInForce() {
    hardware.powerCycle("panda-1").relayFault().then().failsWith(new IOException("hung"))
        .then().succeeds();

    assertThatThrownBy(() -> f(hardware.powerCycle(panda1, DEADLINE)).join())
        .isInstanceOf(CompletionException.class)
        .satisfies(e -> assertThat(RelayFaultException.isRelayFault(e)).isTrue());
    assertThatThrownBy(() -> f(hardware.powerCycle(panda1, DEADLINE)).join())
        .hasCauseInstanceOf(IOException.class);
    assertThat(f(hardware.powerCycle(panda1, DEADLINE))).isNotCompletedExceptionally();
    assertThat(f(hardware.powerCycle(panda1, DEADLINE))).isNotCompletedExceptionally();

    assertThat(hardware.calls("panda-1")).hasSize(4);
    assertThat(hardware.reached("panda-1")).hasSize(2);
  }

  @Test
  void theDefaultForUnscriptedDevicesCanBeScriptedToo() {
    hardware.otherwise(Operation.PING).failsWith(new IOException("no answer"));
    hardware.ping("panda-2").succeeds();

    assertThat(f(hardware.ping(panda1, DEADLINE))).isCompletedExceptionally();
    assertThat(f(hardware.ping(panda2, DEADLINE))).isNotCompletedExceptionally();
  }

  @Test
  void aCallThatTakesTimeCompletesOnTheTimekeepersClock() {
    hardware.powerCycle("panda-1").takes(Duration.ofSeconds(5));
    Instant asked = time.now();

    CompletableFuture<?> stage = f(hardware.powerCycle(panda1, DEADLINE));
    time.advance(Duration.ofSeconds(4));
    assertThat(stage).isNotDone();
    time.advance(Duration.ofSeconds(1));

    assertThat(stage).isCompleted().isNotCompletedExceptionally();
    assertThat(hardware.calls("panda-1")).extracting(Call::at).containsExactly(asked);
    assertThat(hardware.reached("panda-1")).extracting(Call::at)
        .containsExactly(asked.plusSeconds(5));
  }

  @Test
  void aPendingOperationCancelledBeforeItReachesTheHardwareNeverReachesIt() {
    hardware.setPxeConfig("panda-1").takes(Duration.ofSeconds(5));

    CompletableFuture<?> stage = f(hardware.setPxeConfig(panda1,
        PxeConfig.of("self-test", "kernel"), Map.of()));
    assertThat(stage.cancel(false)).isTrue();
    time.advance(Duration.ofSeconds(10));

    assertThat(hardware.reached("panda-1")).isEmpty();
    assertThat(hardware.pxeConfig("panda-1")).isEmpty();
    assertThat(hardware.calls("panda-1")).extracting(Call::pxeConfig)
        .containsExactly(Optional.of("self-test"));
  }

  @Test
  void aHungCallNeverCompletesButCanBeCancelled() {
    hardware.ping("panda-1").hangs();

    CompletableFuture<?> stage = f(hardware.ping(panda1, DEADLINE));
    time.advance(Duration.ofHours(1));
    assertThat(stage).isNotDone();

    assertThat(stage.cancel(false)).isTrue();
    assertThat(hardware.reached("panda-1")).isEmpty();
  }

  @Test
  void theHardwareRemembersWhatReachedIt() {
    f(hardware.setPxeConfig(panda1, PxeConfig.of("self-test", "kernel"), Map.of())).join();
    assertThat(hardware.pxeConfig("panda-1")).contains("self-test");
    f(hardware.clearPxeConfig(panda1)).join();
    assertThat(hardware.pxeConfig("panda-1")).isEmpty();

    f(hardware.powerOff(panda1, DEADLINE)).join();
    assertThat(hardware.isPowered(panda1, DEADLINE).toCompletableFuture().join()).isFalse();
    f(hardware.powerOn(panda1, DEADLINE)).join();
    assertThat(hardware.isPowered(panda1, DEADLINE).toCompletableFuture().join()).isTrue();
  }

  @Test
  void boardsThatRunTheLiveImageReportItsEventsForTheLatestBootOnly() {
    java.util.List<String> events = new java.util.ArrayList<>();
    org.mozpool.spi.Lifeguard lifeguard = (org.mozpool.spi.Lifeguard) java.lang.reflect.Proxy
        .newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {org.mozpool.spi.Lifeguard.class}, (proxy, method, args) -> {
              if (method.getName().equals("deviceEvent")) {
                events.add(args[0] + ":" + args[1] + "@" + time.now());
                return CompletableFuture.completedFuture(null);
              }
              throw new UnsupportedOperationException(method.getName());
            });
    hardware.runsLiveImages(() -> lifeguard, Duration.ofSeconds(1));
    Instant start = time.now();
    f(hardware.setPxeConfig(panda1, PxeConfig.of("self-test", "kernel"), Map.of())).join();
    f(hardware.powerCycle(panda1, DEADLINE)).join();
    f(hardware.powerCycle(panda2, DEADLINE)).join(); // no PXE config: boots its own storage
    time.advance(Duration.ofSeconds(22));
    f(hardware.powerCycle(panda1, DEADLINE)).join(); // a new boot: the first one's rest is gone
    time.advance(Duration.ofMinutes(5));

    assertThat(events).containsExactly(
        "panda-1:mobile_init_started@" + start.plusSeconds(20),
        "panda-1:mobile_init_started@" + start.plusSeconds(42),
        "panda-1:self_test_running@" + start.plusSeconds(47),
        "panda-1:self_test_ok@" + start.plusSeconds(107));
  }

  @Test
  void nonsenseIsRefusedAtOnce() {
    assertThatThrownBy(() -> new ScriptedHardware(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> hardware.powerCycle("panda-1").takes(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
    assertThatThrownBy(() -> hardware.ping("panda-1").failsWith(null))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> hardware.runsLiveImages(() -> null, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
