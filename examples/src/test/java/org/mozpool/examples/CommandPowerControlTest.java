package org.mozpool.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.spi.DeviceTarget;
import org.mozpool.spi.RelayFaultException;

/** The custom power control runs the lab's command and maps its outcome onto the SPI's. */
class CommandPowerControlTest {
  @TempDir
  Path dir;

  private static final DeviceTarget BOARD =
      new DeviceTarget("tegra-01", "tegra-01.lab", "00163e000001", "tegra", "pdu://rack-b4/7");
  private CommandPowerControl power;

  @AfterEach
  void close() {
    if (power != null) {
      power.close();
    }
  }

  private CompletableFuture<Void> cycleWith(String script, Duration deadline) {
    power = new CommandPowerControl(List.of("sh", "-c", script, "{device}", "{address}"));
    return power.powerCycle(BOARD, deadline).toCompletableFuture();
  }

  @Test
  void runsTheCommandWithTheDeviceAndItsPowerAddress() throws Exception {
    Path log = dir.resolve("pdu.log");

    cycleWith("echo \"cycle $0 $1\" >> " + log, Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);

    assertThat(Files.readAllLines(log)).containsExactly("cycle tegra-01 pdu://rack-b4/7");
  }

  @Test
  void statusThreeIsARelayFaultOfThatDevice() {
    CompletableFuture<Void> cycle = cycleWith("echo outlet 7 still on; exit 3",
        Duration.ofSeconds(10));

    assertThatThrownBy(() -> cycle.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class).cause()
        .isInstanceOf(RelayFaultException.class)
        .hasMessage("outlet of tegra-01 did not switch: outlet 7 still on");
  }

  @Test
  void anyOtherStatusIsAFaultOfThePduNotOfTheDevice() {
    CompletableFuture<Void> cycle = cycleWith("echo no route to pdu; exit 1",
        Duration.ofSeconds(10));

    assertThatThrownBy(() -> cycle.get(10, TimeUnit.SECONDS)).cause()
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("sh for device tegra-01 failed with status 1: no route to pdu");
  }

  @Test
  void aCommandStillRunningAtTheDeadlineIsKilledAndTheCycleTimesOut() {
    long start = System.nanoTime();
    CompletableFuture<Void> cycle = cycleWith("sleep 30", Duration.ofMillis(300));

    assertThatThrownBy(() -> cycle.get(10, TimeUnit.SECONDS)).cause()
        .isInstanceOf(TimeoutException.class).hasMessageContaining("still running after PT0.3S");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void anEmptyCommandIsRefused() {
    assertThatThrownBy(() -> new CommandPowerControl(List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
