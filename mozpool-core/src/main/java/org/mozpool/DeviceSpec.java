package org.mozpool;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What an operator registers about a board: its identity, hardware, placement and how to switch
 * its power. Immutable; build with {@link #builder(String)}.
 *
 * @param name short unique name ({@code panda-0042})
 * @param fqdn host name the device answers on once booted
 * @param mac MAC address as 12 lower-case hex digits
 * @param hardwareType registered {@link HardwareType} name
 * @param hardwareModel model within the type ({@code ES Rev B2}); may be empty
 * @param environment {@code production}, {@code staging}…
 * @param tags free-form placement tags ({@code rack=3})
 * @param powerAddress how to switch its power, e.g. {@code proxr://relay-3.lab:2101/bank/2/relay/5};
 *     empty when it has none
 * @param server the Mozpool instance that drives it; empty for "this one"
 * @param comments free text for operators
 */
public record DeviceSpec(
    String name, String fqdn, String mac, String hardwareType, String hardwareModel,
    String environment, Map<String, String> tags, String powerAddress, String server,
    String comments) {

  private static final int MAC_DIGITS = 12;

  public DeviceSpec {
    Names.requireName(name, "device name");
    fqdn = Objects.requireNonNullElse(fqdn, name);
    mac = normalizeMac(mac);
    Names.requireName(hardwareType, "hardware type of device " + name);
    hardwareModel = Objects.requireNonNullElse(hardwareModel, "");
    Names.requireName(environment, "environment of device " + name);
    tags = Map.copyOf(tags == null ? Map.of() : tags);
    powerAddress = Objects.requireNonNullElse(powerAddress, "");
    server = Objects.requireNonNullElse(server, "");
    comments = Objects.requireNonNullElse(comments, "");
  }

  /**
   * Normalises {@code aa:BB:cc-dd.ee ff} or {@code aabbccddeeff} to 12 lower-case hex digits.
   *
   * @throws IllegalArgumentException when it is not a MAC address
   */
  public static String normalizeMac(String mac) {
    if (mac == null) {
      throw new IllegalArgumentException("MAC address is required");
    }
    // A character loop, not a regular expression: a SQL store builds a DeviceSpec for every
    // device row it reads, so this is on each step's hot path.
    StringBuilder digits = new StringBuilder(MAC_DIGITS);
    for (int i = 0; i < mac.length(); i++) {
      char c = Character.toLowerCase(mac.charAt(i));
      if (c == ':' || c == '-' || c == '.' || c == ' ') {
        continue;
      }
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) || digits.length() == MAC_DIGITS) {
        throw notAMac(mac);
      }
      digits.append(c);
    }
    if (digits.length() != MAC_DIGITS) {
      throw notAMac(mac);
    }
    return digits.toString();
  }

  private static IllegalArgumentException notAMac(String mac) {
    return new IllegalArgumentException("MAC address must be 12 hex digits, got '" + mac + "'");
  }

  /** Starts describing a device named {@code name}. */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** Fluent construction of a {@link DeviceSpec}; validates in {@link #build()}. */
  public static final class Builder {
    private final String name;
    private String fqdn;
    private String mac;
    private String hardwareType;
    private String hardwareModel = "";
    private String environment = "production";
    private final Map<String, String> tags = new TreeMap<>();
    private String powerAddress = "";
    private String server = "";
    private String comments = "";

    private Builder(String name) {
      this.name = name;
    }

    public Builder fqdn(String fqdn) {
      this.fqdn = fqdn;
      return this;
    }

    public Builder mac(String mac) {
      this.mac = mac;
      return this;
    }

    public Builder hardware(String type, String model) {
      this.hardwareType = type;
      this.hardwareModel = model;
      return this;
    }

    public Builder environment(String environment) {
      this.environment = environment;
      return this;
    }

    public Builder tag(String key, String value) {
      tags.put(key, value);
      return this;
    }

    public Builder powerAddress(String powerAddress) {
      this.powerAddress = powerAddress;
      return this;
    }

    public Builder server(String server) {
      this.server = server;
      return this;
    }

    public Builder comments(String comments) {
      this.comments = comments;
      return this;
    }

    public DeviceSpec build() {
      return new DeviceSpec(name, fqdn, mac, hardwareType, hardwareModel, environment, tags,
          powerAddress, server, comments);
    }
  }
}
