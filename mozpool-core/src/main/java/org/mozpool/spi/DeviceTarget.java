package org.mozpool.spi;

import org.mozpool.DeviceSpec;

/**
 * The facts about a device that hardware drivers need: its name (for logs), where it answers,
 * its MAC (for PXE), hardware type, and power address.
 */
public record DeviceTarget(
    String device, String fqdn, String mac, String hardwareType, String powerAddress) {

  /** The target for a registered device. */
  public static DeviceTarget of(DeviceSpec spec) {
    return new DeviceTarget(spec.name(), spec.fqdn(), spec.mac(), spec.hardwareType(),
        spec.powerAddress());
  }
}
