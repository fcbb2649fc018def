package org.mozpool.spi;

import java.util.Map;
import java.util.Objects;
import org.mozpool.DeviceSpec;

/**
 * A device as stored: its registration, what it carries, its callback token and its Lifeguard
 * machine.
 *
 * @param spec registration
 * @param image current image, empty if unknown or wiped
 * @param bootConfig boot config of the current image
 * @param nextImage image being installed, empty if none
 * @param nextBootConfig boot config of the next image
 * @param callbackToken secret the live image presents to the callback endpoint; empty if none
 * @param machine Lifeguard state machine
 */
public record DeviceRecord(
    DeviceSpec spec, String image, Map<String, String> bootConfig, String nextImage,
    Map<String, String> nextBootConfig, String callbackToken, MachineRecord machine) {

  public DeviceRecord {
    Objects.requireNonNull(spec, "spec");
    image = Objects.requireNonNullElse(image, "");
    bootConfig = Map.copyOf(bootConfig == null ? Map.of() : bootConfig);
    nextImage = Objects.requireNonNullElse(nextImage, "");
    nextBootConfig = Map.copyOf(nextBootConfig == null ? Map.of() : nextBootConfig);
    callbackToken = Objects.requireNonNullElse(callbackToken, "");
    Objects.requireNonNull(machine, "machine");
  }

  /** The device name. */
  public String name() {
    return spec.name();
  }
}
