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
