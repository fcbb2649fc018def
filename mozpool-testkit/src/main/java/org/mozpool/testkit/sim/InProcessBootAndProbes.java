package org.mozpool.testkit.sim;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.mozpool.PxeConfig;
import org.mozpool.spi.BootControl;
import org.mozpool.spi.DeviceProbe;
import org.mozpool.spi.DeviceTarget;
import org.mozpool.spi.Timekeeper;

/**
 * PXE configs and probes in process: a map from MAC to the substituted config text, and probes
 * that ask the simulated device, answering after a realistic delay on the timekeeper's clock.
 */
final class InProcessBootAndProbes implements BootControl, DeviceProbe {
  private static final Duration PING = Duration.ofMillis(300);
  private static final Duration PING_MISS = Duration.ofSeconds(3);
  private static final Duration AGENT = Duration.ofSeconds(2);
  private static final Duration STORAGE = Duration.ofSeconds(5);

  private final Timekeeper time;
  private final Function<String, SimulatedDevice> devices;
  private final Map<String, String> pxe = new ConcurrentHashMap<>();

  InProcessBootAndProbes(Timekeeper time, Function<String, SimulatedDevice> devices) {
    this.time = time;
    this.devices = devices;
  }

  /** The config u-boot finds for {@code mac}, if any. */
  java.util.Optional<String> pxeConfig(String mac) {
    return java.util.Optional.ofNullable(pxe.get(mac));
  }

  @Override
  public CompletionStage<Void> setPxeConfig(DeviceTarget device, PxeConfig config,
      Map<String, String> values) {
    String text = config.contents().replace("%IPADDRESS%", "127.0.0.1");
    for (Map.Entry<String, String> v : values.entrySet()) {
      text = text.replace("%" + v.getKey() + "%", v.getValue());
    }
    pxe.put(device.mac(), text);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> clearPxeConfig(DeviceTarget device) {
    pxe.remove(device.mac());
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> ping(DeviceTarget target, Duration deadline) {
    SimulatedDevice d = devices.apply(target.device());
    return answer(target, "does not answer pings", d != null ? d::answersPing : () -> false,
        PING, min(PING_MISS, deadline));
  }

  @Override
  public CompletionStage<Void> verifyAgent(DeviceTarget target, Duration deadline) {
    SimulatedDevice d = devices.apply(target.device());
    return answer(target, "agent does not answer", d != null ? d::agentAnswers : () -> false,
        AGENT, min(AGENT, deadline));
  }

  @Override
  public CompletionStage<Void> checkStorage(DeviceTarget target, Duration deadline) {
    SimulatedDevice d = devices.apply(target.device());
    return answer(target, "storage read-back mismatch", d != null ? d::storageHolds : () -> false,
        STORAGE, min(STORAGE, deadline));
  }

  private CompletionStage<Void> answer(DeviceTarget target, String failure, BooleanSupplier check,
      Duration ok, Duration miss) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    // The check happens now; the answer arrives after the time a real probe takes.
    boolean passed = check.getAsBoolean();
    time.schedule(time.now().plus(passed ? ok : miss), () -> {
      if (passed) {
        done.complete(null);
      } else {
        done.completeExceptionally(new IllegalStateException(target.device() + " " + failure));
      }
    });
    return done;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
