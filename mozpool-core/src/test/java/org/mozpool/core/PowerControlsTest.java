package org.mozpool.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;
import org.mozpool.spi.DeviceTarget;
import org.mozpool.spi.PowerControl;

/** A lab that mixes power hardware: one power control per power-address scheme. */
class PowerControlsTest {
  private static final Duration DEADLINE = Duration.ofSeconds(30);

  /** Records its calls; each call's stage stays open until the test completes it. */
  static final class FakePower implements PowerControl, AutoCloseable {
    final List<String> calls = new ArrayList<>();
    final List<CompletableFuture<Void>> stages = new ArrayList<>();
    int closed;

    @Override
    public synchronized CompletionStage<Void> powerCycle(DeviceTarget device, Duration deadline) {
      calls.add("cycle " + device.device());
      CompletableFuture<Void> stage = new CompletableFuture<>();
      stages.add(stage);
      return stage;
    }

    @Override
    public CompletionStage<Boolean> isPowered(DeviceTarget device, Duration deadline) {
      calls.add("powered? " + device.device());
      return CompletableFuture.completedFuture(true);
    }

    @Override
    public void close() {
      closed++;
    }
  }

  private static DeviceTarget device(String name, String powerAddress) {
    return new DeviceTarget(name, name + ".lab", "00:11:22:33:44:55", "panda", powerAddress);
  }

  @Test
  void eachDeviceIsPowerCycledByTheControlOfItsPowerAddressScheme() {
    FakePower proxr = new FakePower();
    FakePower pdu = new FakePower();
    PowerControl power = PowerControls.byScheme(Map.of("proxr", proxr, "pdu", pdu));

    power.powerCycle(device("panda-1", "proxr://relay1:2101/bank/1/relay/1"), DEADLINE);
    power.powerCycle(device("panda-2", "pdu://pdu7.lab/outlet/12"), DEADLINE);
    power.powerCycle(device("panda-3", "PROXR://relay1:2101/bank/1/relay/2"), DEADLINE);

    assertThat(proxr.calls).containsExactly("cycle panda-1", "cycle panda-3");
    assertThat(pdu.calls).containsExactly("cycle panda-2");
  }

  @Test
  void theRoutedControlsOutcomeIsTheCallersOutcome() {
    FakePower proxr = new FakePower();
    PowerControl power = PowerControls.byScheme(Map.of("proxr", proxr));

    CompletionStage<Void> ok = power.powerCycle(device("a", "proxr://r:1/bank/1/relay/1"),
        DEADLINE);
    CompletionStage<Void> bad = power.powerCycle(device("b", "proxr://r:1/bank/1/relay/2"),
        DEADLINE);
    proxr.stages.get(0).complete(null);
    proxr.stages.get(1).completeExceptionally(new IllegalStateException("board hung"));

    assertThat(ok.toCompletableFuture()).isCompleted().isNotCompletedExceptionally();
    assertThat(bad.toCompletableFuture()).isCompletedExceptionally();
    assertThat(power.isPowered(device("c", "proxr://r:1/bank/1/relay/3"), DEADLINE)
        .toCompletableFuture().join()).isTrue();
  }

  @Test
  void anUnknownSchemeFailsThatDevicesStageWithoutThrowing() {
    FakePower proxr = new FakePower();
    PowerControl power = PowerControls.byScheme(Map.of("proxr", proxr));

    CompletionStage<Void> stage = power.powerCycle(device("panda-9", "snmp://pdu/3"), DEADLINE);

    assertThat(stage.toCompletableFuture()).isCompletedExceptionally();
    assertThatThrownBy(() -> stage.toCompletableFuture().join())
        .isInstanceOf(CompletionException.class)
        .cause().isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("panda-9").hasMessageContaining("'snmp'")
        .hasMessageContaining("snmp://pdu/3").hasMessageContaining("[proxr]");
    assertThat(proxr.calls).isEmpty();
  }

  @Test
  void anEmptyOrSchemelessPowerAddressFailsItsStage() {
    PowerControl power = PowerControls.byScheme(Map.of("proxr", new FakePower()));

    assertThatThrownBy(() -> power.powerCycle(device("x", ""), DEADLINE).toCompletableFuture()
        .join()).cause().hasMessageContaining("empty power address");
    assertThatThrownBy(() -> power.powerOff(device("y", "relay1/bank/1"), DEADLINE)
        .toCompletableFuture().join()).cause().hasMessageContaining("has no scheme");
    assertThatThrownBy(() -> power.powerOn(device("z", ":/x"), DEADLINE)
        .toCompletableFuture().join()).cause().hasMessageContaining("has no scheme");
  }

  @Test
  void aControlThatThrowsYieldsAFailedStage() {
    PowerControl throwing = (device, deadline) -> {
      throw new IllegalStateException("driver bug");
    };
    PowerControl power = PowerControls.byScheme(Map.of("proxr", throwing));

    CompletionStage<Void> stage = power.powerCycle(device("a", "proxr://r/bank/1/relay/1"),
        DEADLINE);

    assertThatThrownBy(() -> stage.toCompletableFuture().join()).cause()
        .hasMessage("driver bug");
  }

  @Test
  void operationsTheRoutedControlDoesNotSupportFailAsItsDefaultsDo() {
    PowerControl power = PowerControls.byScheme(Map.of("proxr", new FakePower()));

    assertThatThrownBy(() -> power.powerOn(device("a", "proxr://r/bank/1/relay/1"), DEADLINE)
        .toCompletableFuture().join()).cause()
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void cancellingTheStageCancelsTheRoutedControlsStage() {
    FakePower proxr = new FakePower();
    PowerControl power = PowerControls.byScheme(Map.of("proxr", proxr));

    CompletionStage<Void> stage = power.powerCycle(device("a", "proxr://r/bank/1/relay/1"),
        DEADLINE);
    boolean cancelled = stage.toCompletableFuture().cancel(false);

    assertThat(cancelled).isTrue();
    assertThat(proxr.stages.get(0)).isCancelled();
  }

  @Test
  void closingClosesEachRoutedControlOnceEvenWhenOneFails() {
    FakePower proxr = new FakePower();
    PowerControl failing = new FailingToClose();
    PowerControl notCloseable = (device, deadline) -> CompletableFuture.completedFuture(null);
    PowerControl power = PowerControls.byScheme(Map.of("proxr", proxr, "proxr+tls", proxr,
        "a-pdu", failing, "plug", notCloseable));

    assertThat(power).isInstanceOf(AutoCloseable.class);
    assertThatThrownBy(() -> ((AutoCloseable) power).close()).hasMessage("stuck");
    assertThat(proxr.closed).isEqualTo(1);
  }

  static final class FailingToClose implements PowerControl, AutoCloseable {
    @Override
    public CompletionStage<Void> powerCycle(DeviceTarget device, Duration deadline) {
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public void close() {
      throw new IllegalStateException("stuck");
    }
  }

  @Test
  void refusesNoSchemesAndMalformedOrDuplicateSchemes() {
    FakePower p = new FakePower();
    assertThatThrownBy(() -> PowerControls.byScheme(Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PowerControls.byScheme(Map.of("proxr://", p)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a URI scheme");
    assertThatThrownBy(() -> PowerControls.byScheme(Map.of("1pdu", p)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PowerControls.byScheme(Map.of("pdu", p, "PDU", p)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("twice");
  }
}
