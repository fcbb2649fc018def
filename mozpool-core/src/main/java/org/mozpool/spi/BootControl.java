package org.mozpool.spi;

import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.mozpool.PxeConfig;

/**
 * Decides what a device boots next: with a PXE config set it network-boots into a live image,
 * without one it boots from its own storage.
 *
 * <p>Contract: thread safe; called on Lifeguard's I/O executor. {@link #setPxeConfig} replaces any
 * previous config atomically; {@link #clearPxeConfig} is idempotent. A stage that completes
 * exceptionally means the config is not in place (the device must not be power-cycled on it).
 *
 * <p>Cancellation: as for {@link PowerControl}, Lifeguard cancels the returned stage ({@code
 * toCompletableFuture().cancel(…)}) as soon as nothing waits for it any more: its deadline
 * passed, or the device's state machine left the state that started it or began a newer attempt;
 * the power cycle that would have followed is then never started. A stage cancelled before the
 * operation reached the hardware must never reach it: an implementation that queues or defers the
 * change drops it; one that makes it before returning has nothing to drop.
 */
public interface BootControl {

  /**
   * Installs {@code config} for {@code device}, substituting {@code %KEY%} placeholders with
   * {@code values} (Lifeguard supplies {@code DEVICE}, {@code TOKEN} and {@code MAC}; the
   * implementation adds {@code IPADDRESS}, its own address).
   */
  CompletionStage<Void> setPxeConfig(DeviceTarget device, PxeConfig config, Map<String, String> values);

  /** Removes the device's PXE config so that it boots from its storage. */
  CompletionStage<Void> clearPxeConfig(DeviceTarget device);
}
