package org.mozpool;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What an operator registers about a board: its identity, hardware, placement and how to switch
 * its power. Immutable; build with {@link #builder(String)}.
 *
 * <p>Every field is checked when a spec is made, so that a spec every store accepts is also one
 * every store can hold: a value that one database would refuse or cut short is refused here, on
 * every store alike.
 *
 * @param name short unique name ({@code panda-0042}): 1-128 letters, digits, '.', '_', ':' or
 *     '-', starting with a letter or digit
 * @param fqdn host name the device answers on once booted: an RFC 1123 host name (at most 253
 *     characters; dot-separated labels of 1-63 letters, digits or '-', not starting or ending with
 *     '-'; IPv4 addresses qualify); defaults to {@code name}
 * @param mac MAC address as 12 lower-case hex digits; unique among the devices of a pool (it
 *     names the device's PXE config file)
 * @param hardwareType registered {@link HardwareType} name
 * @param hardwareModel model within the type ({@code ES Rev B2}); may be empty; at most
 *     {@value #MAX_MODEL_LENGTH} characters
 * @param environment {@code production}, {@code staging}…
 * @param tags free-form placement tags ({@code rack=3}); no null keys or values
 * @param powerAddress how to switch its power: empty when it has none, else a URI
 *     {@code scheme://authority[/path]} such as {@code proxr://relay-3.lab:2101/bank/2/relay/5}
 *     (the driver for the scheme reads the rest), or the original Mozpool's relay form
 *     {@code host[:port]:bankB:relayR}; at most {@value #MAX_POWER_ADDRESS_LENGTH} characters
 * @param server the Mozpool instance that drives it (an instance id, a name like {@code name});
 *     empty for "this one"
 * @param comments free text for operators
 */
public record DeviceSpec(
    String name, String fqdn, String mac, String hardwareType, String hardwareModel,
    String environment, Map<String, String> tags, String powerAddress, String server,
    String comments) {

  /** The longest hardware model: {@value} characters. */
  public static final int MAX_MODEL_LENGTH = 255;
  /** The longest power address: {@value} characters. */
  public static final int MAX_POWER_ADDRESS_LENGTH = 1024;

  private static final int MAC_DIGITS = 12;
  /** The original Mozpool's relay address, {@code relay-3.lab:2101:bank2:relay5}. */
  private static final Pattern ORIGINAL_RELAY_ADDRESS =
      Pattern.compile("[A-Za-z0-9.-]+(:[0-9]{1,5})?:bank[0-9]{1,3}:relay[0-9]{1,3}");

  private static final String HOST_NAME_RULES = "RFC 1123: at most " + Names.MAX_HOST_NAME
      + " characters, dot-separated labels of 1-63 letters, digits or '-' that neither start nor"
      + " end with '-'";

  /**
   * Validates and normalises: null optional fields become their defaults, the MAC address is
   * normalised.
   *
   * @throws IllegalArgumentException naming the field and saying what was expected when a value
   *     is missing or malformed
   * @throws NullPointerException if a tag key or value is null
   */
  public DeviceSpec {
    // Messages are built only on failure: a SQL store makes a spec for every device row it reads.
    Names.requireName(name, "device name");
    if (fqdn == null) {
      fqdn = name;
      if (!Names.isHostName(fqdn)) {
        throw new IllegalArgumentException("fqdn of device " + name + " defaults to its name, "
            + Names.quote(name) + ", which is not a host name: give one with .fqdn(...) ("
            + HOST_NAME_RULES + ")");
      }
    } else if (!Names.isHostName(fqdn)) {
      throw new IllegalArgumentException("fqdn of device " + name + " must be a host name ("
          + HOST_NAME_RULES + "), got " + Names.quote(fqdn));
    }
    mac = normalizeMac(mac);
    Names.requireName(hardwareType, "hardware type of device " + name);
    hardwareModel = Objects.requireNonNullElse(hardwareModel, "");
    if (hardwareModel.length() > MAX_MODEL_LENGTH) {
      throw new IllegalArgumentException("hardware model of device " + name + " must be at most "
          + MAX_MODEL_LENGTH + " characters, got " + Names.quote(hardwareModel));
    }
    Names.requireName(environment, "environment of device " + name);
    tags = Entries.copyOf(tags, "tag", "device", name);
    powerAddress = Objects.requireNonNullElse(powerAddress, "");
    if (!isPowerAddress(powerAddress)) {
      throw new IllegalArgumentException("power address of device " + name + " must be empty, a"
          + " URI scheme://authority[/path] (e.g. proxr://relay-3.lab:2101/bank/2/relay/5) or the"
          + " original relay form host[:port]:bankB:relayR, at most " + MAX_POWER_ADDRESS_LENGTH
          + " characters, got " + Names.quote(powerAddress));
    }
    server = Objects.requireNonNullElse(server, "");
    if (!server.isEmpty()) {
      Names.requireName(server, "server of device " + name);
    }
    comments = Objects.requireNonNullElse(comments, "");
  }

  /**
   * Whether {@code address} is empty, a {@code scheme://authority…} URI (every character one that
   * a URI may hold, '%' only in escapes) or the original relay form.
   */
  static boolean isPowerAddress(String address) {
    if (address.isEmpty()) {
      return true;
    }
    if (address.length() > MAX_POWER_ADDRESS_LENGTH) {
      return false;
    }
    int separator = address.indexOf("://");
    if (separator > 0 && isScheme(address, separator)) {
      int authority = separator + 3;
      if (authority == address.length() || "/?#".indexOf(address.charAt(authority)) >= 0) {
        return false;
      }
      for (int i = authority; i < address.length(); i++) {
        char c = address.charAt(i);
        if (c == '%') {
          if (i + 2 >= address.length() || !isHex(address.charAt(i + 1))
              || !isHex(address.charAt(i + 2))) {
            return false;
          }
        } else if (!Names.isLetterOrDigit(c) && "-._~:/?#[]@!$&'()*+,;=".indexOf(c) < 0) {
          return false;
        }
      }
      return true;
    }
    return ORIGINAL_RELAY_ADDRESS.matcher(address).matches();
  }

  /** RFC 3986: a letter, then letters, digits, '+', '-' or '.'. */
  private static boolean isScheme(String s, int end) {
    char first = s.charAt(0);
    if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z'))) {
      return false;
    }
    for (int i = 1; i < end; i++) {
      char c = s.charAt(i);
      if (!Names.isLetterOrDigit(c) && c != '+' && c != '-' && c != '.') {
        return false;
      }
    }
    return true;
  }

  private static boolean isHex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
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

    /** Adds the tag {@code key=value}. @throws NullPointerException if either is null */
    public Builder tag(String key, String value) {
      tags.put(Entries.requireKey(key, "tag", "device", name),
          Entries.requireValue(key, value, "tag", "device", name));
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
