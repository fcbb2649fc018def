package org.mozpool.spi;

import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * Checks a booted device: does it answer on the network, does its on-device agent work, does its
 * storage hold what is written to it.
 *
 * <p>Contract: thread safe; called on Lifeguard's I/O executor. Each stage completes normally
 * when the check passed and exceptionally (with a message saying what failed) when it did not,
 * within {@code deadline}.
 */
public interface DeviceProbe {

  /** Whether the device answers on the network. */
  CompletionStage<Void> ping(DeviceTarget device, Duration deadline);

  /** Whether the device's agent answers and its test root is usable. */
  CompletionStage<Void> verifyAgent(DeviceTarget device, Duration deadline);

  /** Writes a small file to the device's storage and reads its checksum back. */
  CompletionStage<Void> checkStorage(DeviceTarget device, Duration deadline);
}
