package org.mozpool.core.internal;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.mozpool.PxeConfig;
import org.mozpool.spi.BootControl;
import org.mozpool.spi.DeviceProbe;
import org.mozpool.spi.DeviceTarget;
import org.mozpool.spi.PowerControl;

/** Stands in for a hardware driver the builder was not given: every operation fails, saying so. */
final class Unconfigured implements PowerControl, BootControl, DeviceProbe {
  private static <T> CompletionStage<T> fail(String what) {
    return CompletableFuture.failedFuture(new IllegalStateException("no " + what
        + " configured for this pool (Mozpool.builder()." + what + "(...))"));
  }

  @Override
  public CompletionStage<Void> powerCycle(DeviceTarget device, Duration deadline) {
    return fail("powerControl");
  }

  @Override
  public CompletionStage<Void> setPxeConfig(DeviceTarget device, PxeConfig config, Map<String, String> values) {
    return fail("bootControl");
  }

  @Override
  public CompletionStage<Void> clearPxeConfig(DeviceTarget device) {
    return fail("bootControl");
  }

  @Override
  public CompletionStage<Void> ping(DeviceTarget device, Duration deadline) {
    return fail("deviceProbe");
  }

  @Override
  public CompletionStage<Void> verifyAgent(DeviceTarget device, Duration deadline) {
    return fail("deviceProbe");
  }

  @Override
  public CompletionStage<Void> checkStorage(DeviceTarget device, Duration deadline) {
    return fail("deviceProbe");
  }
}
