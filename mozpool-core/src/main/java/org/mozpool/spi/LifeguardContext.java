package org.mozpool.spi;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.Optional;
import org.mozpool.ImagingResult;

/**
 * What a pool hands to the {@link Lifeguard} it creates: storage, time, hardware drivers, and the
 * way back to the pool. Implemented by core.
 */
public interface LifeguardContext {

  /** The store shared with the pool. */
  PoolStore store();

  /** Time and threads shared with the pool. */
  Timekeeper timekeeper();

  /** Power driver. */
  PowerControl powerControl();

  /** PXE driver. */
  BootControl bootControl();

  /** Probes. */
  DeviceProbe deviceProbe();

  /** Where to report devices that need a human. */
  AttentionListener attentionListener();

  /** This instance's id (for ownership of devices). */
  String serverId();

  /**
   * The devices this instance drives, read in {@code tx}: a Lifeguard resumes these at start and
   * leaves the others to their instances (DESIGN §9). The default: those registered for {@link
   * #serverId()} or for no server in particular; a pool sharing its store with other instances
   * answers with what it drives now, adopted devices included.
   */
  default java.util.Set<String> devicesDriven(StoreTransaction tx) {
    String me = serverId();
    return tx.devices().stream()
        .filter(d -> d.spec().server().isEmpty() || d.spec().server().equals(me))
        .map(DeviceRecord::name).collect(java.util.stream.Collectors.toSet());
  }

  /**
   * Tells the pool the outcome of the work it asked for on {@code device}, claimed by
   * {@code requestId}. Call after the result is committed to the claim in the store.
   */
  void imagingResult(String requestId, String device, ImagingResult result);

  /**
   * Like {@link #imagingResult(String, String, ImagingResult)}, with a reason the request logs and,
   * if it fails because of it, reports (e.g. who ended its lease and why). The default drops the
   * reason.
   */
  default void imagingResult(String requestId, String device, ImagingResult result,
      String reason) {
    imagingResult(requestId, device, result);
  }

  /** Tells the pool a device's state changed (after commit). */
  void deviceStateChanged(String device, String from, String to);

  /**
   * Where the Lifeguard publishes its metrics: the registry the pool was built with, empty when
   * metrics are off (the default), in which case the Lifeguard should record nothing. Meter names
   * follow {@code METRICS.md}.
   */
  default Optional<MeterRegistry> meterRegistry() {
    return Optional.empty();
  }
}
