package org.mozpool.spi;

import java.util.Map;
import java.util.Objects;
import org.mozpool.DeviceSpec;

/**
 * The facts about a device that hardware drivers need: its name (for logs), where it answers,
 * its MAC (for PXE), hardware type, power address, and its placement tags (e.g. {@code rack=3},
 * {@code pdu=east}), so that a driver can choose by them (a PDU per rack, a probe per network).
 *
 * <p>Immutable: {@code tags} is copied; {@code null} tags mean none.
 *
 * @param device the device's name
 * @param fqdn where it answers
 * @param mac its MAC (for PXE)
 * @param hardwareType its hardware type
 * @param powerAddress where its power is switched (e.g. {@code proxr://host:2101/bank/1/relay/1});
 *     empty when it has none
 * @param tags its {@linkplain DeviceSpec#tags() placement tags}
 */
public record DeviceTarget(String device, String fqdn, String mac, String hardwareType,
    String powerAddress, Map<String, String> tags) {

  /** Copies {@code tags}. */
  public DeviceTarget {
    tags = tags == null ? Map.of() : Map.copyOf(tags);
  }

  /** A target without tags: the constructor this record had before it carried them. */
  public DeviceTarget(String device, String fqdn, String mac, String hardwareType,
      String powerAddress) {
    this(device, fqdn, mac, hardwareType, powerAddress, Map.of());
  }

  /** The target for a registered device, with its tags. */
  public static DeviceTarget of(DeviceSpec spec) {
    Objects.requireNonNull(spec, "spec");
    return new DeviceTarget(spec.name(), spec.fqdn(), spec.mac(), spec.hardwareType(),
        spec.powerAddress(), spec.tags());
  }
}
