package org.mozpool.jdbc;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.mozpool.PxeConfig;
import org.mozpool.spi.BootControl;
import org.mozpool.spi.DeviceProbe;
import org.mozpool.spi.DeviceTarget;
import org.mozpool.spi.Lifeguard;
import org.mozpool.spi.PowerControl;
import org.mozpool.spi.Timekeeper;

/**
 * Healthy boards for pool-level tests with the real Lifeguard: power cycles, PXE writes and
 * probes succeed, and a board power-cycled with a PXE config in place runs the live image's
 * script by reporting device events at virtual times, as the original's scripts did. A power
 * cycle starts a new boot; events of an earlier boot are dropped.
 */
final class SimulatedBoards implements PowerControl, BootControl, DeviceProbe {
  private final Timekeeper time;
  private final Supplier<Lifeguard> lifeguard;
  private final Map<String, PxeConfig> pxe = new ConcurrentHashMap<>();
  private final Map<String, Integer> boots = new ConcurrentHashMap<>();
  private final Duration second;

  /** Boards whose live image takes real (virtual) seconds. */
  SimulatedBoards(Timekeeper time, Supplier<Lifeguard> lifeguard) {
    this(time, lifeguard, Duration.ofSeconds(1));
  }

  /** Boards on which one second of the live image's script lasts {@code second}. */
  SimulatedBoards(Timekeeper time, Supplier<Lifeguard> lifeguard, Duration second) {
    this.time = time;
    this.lifeguard = lifeguard;
    this.second = second;
  }

  @Override
  public CompletionStage<Void> powerCycle(DeviceTarget device, Duration deadline) {
    String name = device.device();
    int boot = boots.merge(name, 1, Integer::sum);
    PxeConfig config = pxe.get(name);
    if (config != null) {
      post(name, boot, 20, "mobile_init_started");
      if (config.name().startsWith("self-test")) {
        post(name, boot, 25, "self_test_running");
        post(name, boot, 85, "self_test_ok");
      } else {
        post(name, boot, 25, "image_downloading");
        post(name, boot, 85, "image_extracting");
        post(name, boot, 205, "image_rebooting");
      }
    }
    return CompletableFuture.completedFuture(null);
  }

  private void post(String device, int boot, int seconds, String event) {
    time.schedule(time.now().plus(second.multipliedBy(seconds)), () -> {
      if (boots.get(device) == boot) {
        lifeguard.get().deviceEvent(device, event, Map.of());
      }
    });
  }

  @Override
  public CompletionStage<Void> setPxeConfig(DeviceTarget device, PxeConfig config,
      Map<String, String> values) {
    pxe.put(device.device(), config);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> clearPxeConfig(DeviceTarget device) {
    pxe.remove(device.device());
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> ping(DeviceTarget device, Duration deadline) {
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> verifyAgent(DeviceTarget device, Duration deadline) {
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> checkStorage(DeviceTarget device, Duration deadline) {
    return CompletableFuture.completedFuture(null);
  }
}
