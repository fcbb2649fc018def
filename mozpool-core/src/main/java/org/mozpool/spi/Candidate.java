package org.mozpool.spi;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.mozpool.DeviceView;

/**
 * A free device that matches a request, with what a {@link DeviceChooser} may weigh. The pool has
 * already checked that it is {@code ready}, unclaimed, matches the request's name, environment,
 * hardware and tags, can install the image (or already carries it), and that the
 * {@link QueuePolicy} admits it for this request.
 *
 * @param device the device as stored now
 * @param carriesImage whether it already carries the requested image with an equal boot config,
 *     and the image is reusable: claimed, it would be power-cycled instead of re-imaged. The pool
 *     states this as information; the default chooser prefers such devices, others may not
 * @param recentFailures its failures within the chooser's
 *     {@linkplain DeviceChooser#failureWindow() failure window}, oldest first (empty if that window
 *     is zero)
 * @param lastClaimed when this pool instance last handed it to a request, if it did since it
 *     started (not stored: empty after a restart, and claims by other instances are not seen)
 */
public record Candidate(
    DeviceView device, boolean carriesImage, List<DeviceFailure> recentFailures,
    Optional<Instant> lastClaimed) {

  /** Checks for nulls and copies the list. */
  public Candidate {
    Objects.requireNonNull(device, "device");
    recentFailures = List.copyOf(recentFailures);
    Objects.requireNonNull(lastClaimed, "lastClaimed");
  }

  /** The device name. */
  public String name() {
    return device.name();
  }
}
