package org.mozpool.testkit.sim;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.mozpool.spi.Cancellable;

/**
 * The world a {@link SimulatedDevice} lives in: its clock, and how it reaches the pool. The
 * virtual mode answers in process on the virtual clock; the wire mode fetches PXE configs over
 * TFTP and posts callbacks over HTTP in real time. Implementations may block in the fetch and
 * post methods (the wire mode does); the device never calls them while holding its own lock.
 */
public interface DeviceHost {

  /** Now. */
  Instant now();

  /** Runs {@code step} after {@code delay}. */
  Cancellable after(Duration delay, Runnable step);

  /** The PXE config the device's u-boot finds for it, or empty (boot from the SD card). */
  Optional<String> fetchPxeConfig(SimulatedDevice device);

  /**
   * The image and boot config the live image is to install, or empty if none is set;
   * {@code pxeConfig} is the config the device booted with (it carries the server, token and
   * image).
   */
  Optional<InstallOrder> fetchBootConfig(SimulatedDevice device, String pxeConfig);

  /** Reports a live-image event ({@code mobile_init_started}, {@code image_failed}…). */
  void postEvent(SimulatedDevice device, String event, Map<String, Object> args);
}
