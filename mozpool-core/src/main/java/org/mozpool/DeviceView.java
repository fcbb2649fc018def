package org.mozpool;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * A read-only snapshot of a device: what was registered, what it carries, and its Lifeguard
 * state. Snapshots do not change; read again for fresh state.
 *
 * @param spec the registration
 * @param state Lifeguard state (see {@link DeviceStates})
 * @param stateDeadline when the state times out, or {@code null}
 * @param image image currently on the device, or empty
 * @param bootConfig boot config of {@link #image()}
 * @param nextImage image being installed, or empty
 * @param nextBootConfig boot config of {@link #nextImage()}
 * @param claimedBy id of the request holding the device, or empty
 */
public record DeviceView(
    DeviceSpec spec, String state, Instant stateDeadline, String image,
    Map<String, String> bootConfig, String nextImage, Map<String, String> nextBootConfig,
    Optional<String> claimedBy) {

  public DeviceView {
    bootConfig = Map.copyOf(bootConfig);
    nextBootConfig = Map.copyOf(nextBootConfig);
  }

  /** The device name. */
  public String name() {
    return spec.name();
  }
}
