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
    } else {
      checkFqdn(fqdn, name);
    }
    mac = normalizeMac(mac);
    Names.requireName(hardwareType, "hardware type of device " + name);
    hardwareModel = checkHardwareModel(hardwareModel, name);
    Names.requireName(environment, "environment of device " + name);
    tags = Entries.copyOf(tags, "tag", "device", name);
    powerAddress = checkPowerAddress(powerAddress, name);
    server = checkServer(server, name);
    comments = Objects.requireNonNullElse(comments, "");
  }

  // The checks below are shared by the canonical constructor and the builder's setters, so that
  // a builder refuses a bad value at once with the same message that build() would give.

  private static String checkFqdn(String fqdn, String name) {
    if (!Names.isHostName(fqdn)) {
      throw new IllegalArgumentException("fqdn of device " + name + " must be a host name ("
          + HOST_NAME_RULES + "), got " + Names.quote(fqdn));
    }
    return fqdn;
  }

  private static String checkHardwareModel(String hardwareModel, String name) {
    String model = Objects.requireNonNullElse(hardwareModel, "");
    if (model.length() > MAX_MODEL_LENGTH) {
      throw new IllegalArgumentException("hardware model of device " + name + " must be at most "
          + MAX_MODEL_LENGTH + " characters, got " + Names.quote(model));
    }
    return model;
  }

  private static String checkPowerAddress(String powerAddress, String name) {
    String address = Objects.requireNonNullElse(powerAddress, "");
    if (!isPowerAddress(address)) {
      throw new IllegalArgumentException("power address of device " + name + " must be empty, a"
          + " URI scheme://authority[/path] (e.g. proxr://relay-3.lab:2101/bank/2/relay/5) or the"
          + " original relay form host[:port]:bankB:relayR, at most " + MAX_POWER_ADDRESS_LENGTH
          + " characters, got " + Names.quote(address));
    }
    return address;
  }

  private static String checkServer(String server, String name) {
    String s = Objects.requireNonNullElse(server, "");
    if (!s.isEmpty()) {
      Names.requireName(s, "server of device " + name);
    }
    return s;
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

  /**
   * Starts describing a device named {@code name}.
   *
   * @throws IllegalArgumentException if {@code name} is not 1-128 letters, digits, '.', '_', ':'
   *     or '-' starting with a letter or digit (the message names the device name and the value)
   */
  public static Builder builder(String name) {
    return new Builder(Names.requireName(name, "device name"));
  }

  /**
   * A builder holding every value of this spec, to change some of them: {@code
   * spec.toBuilder().environment("staging").build()} differs from {@code spec} in its
   * environment only. The name cannot change: a device's name is its identity.
   */
  public Builder toBuilder() {
    Builder b = new Builder(name);
    b.fqdn = fqdn;
    b.mac = mac;
    b.hardwareType = hardwareType;
    b.hardwareModel = hardwareModel;
    b.environment = environment;
    b.tags.putAll(tags);
    b.powerAddress = powerAddress;
    b.server = server;
    b.comments = comments;
    return b;
  }

  /**
   * Fluent construction of a {@link DeviceSpec}. Each setter checks its value at once and throws,
   * naming the field, the device and the value, when it is malformed; {@link #build()} checks
   * what depends on more than one value or on a value never set (the MAC address and hardware
   * type are required; without an fqdn the name must be a host name). Optional string fields
   * given {@code null} return to their defaults, as in the record's constructor. Not thread safe.
   */
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

    /**
     * Sets the {@linkplain DeviceSpec#fqdn() host name} the device answers on once booted
     * (default: its name, which must then be a host name).
     *
     * @param fqdn an RFC 1123 host name: at most 253 characters, dot-separated labels of 1-63
     *     letters, digits or '-' that neither start nor end with '-' (IPv4 addresses qualify);
     *     {@code null} returns to the default
     * @throws IllegalArgumentException if {@code fqdn} is not such a host name
     */
    public Builder fqdn(String fqdn) {
      this.fqdn = fqdn == null ? null : checkFqdn(fqdn, name);
      return this;
    }

    /**
     * Sets the {@linkplain DeviceSpec#mac() MAC address} (required, no default), normalised to 12
     * lower-case hex digits.
     *
     * @param mac 12 hex digits, optionally separated by ':', '-', '.' or spaces
     * @throws IllegalArgumentException if {@code mac} is null or not a MAC address
     */
    public Builder mac(String mac) {
      this.mac = normalizeMac(mac);
      return this;
    }

    /**
     * Sets the {@linkplain DeviceSpec#hardwareType() hardware type} (required, no default): a
     * registered {@link HardwareType} name.
     *
     * @throws IllegalArgumentException if {@code hardwareType} is null or not 1-128 letters,
     *     digits, '.', '_', ':' or '-' starting with a letter or digit
     */
    public Builder hardwareType(String hardwareType) {
      this.hardwareType = Names.requireName(hardwareType, "hardware type of device " + name);
      return this;
    }

    /**
     * Sets the {@linkplain DeviceSpec#hardwareModel() hardware model} within the type (default
     * empty; {@code null} returns to it).
     *
     * @throws IllegalArgumentException if it is longer than {@value DeviceSpec#MAX_MODEL_LENGTH}
     *     characters
     */
    public Builder hardwareModel(String hardwareModel) {
      this.hardwareModel = checkHardwareModel(hardwareModel, name);
      return this;
    }

    /**
     * Sets the hardware type and model at once.
     *
     * @deprecated use {@link #hardwareType(String)} and {@link #hardwareModel(String)}, named
     *     after the fields they set; this forwards to them and throws as they do
     */
    @Deprecated
    public Builder hardware(String type, String model) {
      return hardwareType(type).hardwareModel(model);
    }

    /**
     * Sets the {@linkplain DeviceSpec#environment() environment} (default {@code production}).
     *
     * @throws IllegalArgumentException if {@code environment} is null or not 1-128 letters,
     *     digits, '.', '_', ':' or '-' starting with a letter or digit
     */
    public Builder environment(String environment) {
      this.environment = Names.requireName(environment, "environment of device " + name);
      return this;
    }

    /**
     * Adds the {@linkplain DeviceSpec#tags() tag} {@code key=value}, replacing an earlier value of
     * {@code key} (default: no tags).
     *
     * @throws NullPointerException if either is null
     */
    public Builder tag(String key, String value) {
      tags.put(Entries.requireKey(key, "tag", "device", name),
          Entries.requireValue(key, value, "tag", "device", name));
      return this;
    }

    /**
     * Sets how the device's power is switched (default empty: it has none; {@code null} returns
     * to it).
     *
     * @param powerAddress a URI {@code scheme://authority[/path]} such as {@code
     *     proxr://relay-3.lab:2101/bank/2/relay/5}, or the original Mozpool's relay form {@code
     *     host[:port]:bankB:relayR}; at most {@value DeviceSpec#MAX_POWER_ADDRESS_LENGTH}
     *     characters
     * @throws IllegalArgumentException if it is neither empty nor of those forms
     */
    public Builder powerAddress(String powerAddress) {
      this.powerAddress = checkPowerAddress(powerAddress, name);
      return this;
    }

    /**
     * Sets the {@linkplain DeviceSpec#server() Mozpool instance} that drives the device (default
     * empty, meaning "this one"; {@code null} returns to it).
     *
     * @throws IllegalArgumentException if it is neither empty nor 1-128 letters, digits, '.',
     *     '_', ':' or '-' starting with a letter or digit
     */
    public Builder server(String server) {
      this.server = checkServer(server, name);
      return this;
    }

    /** Sets free text for operators (default empty; {@code null} returns to it). */
    public Builder comments(String comments) {
      this.comments = Objects.requireNonNullElse(comments, "");
      return this;
    }

    /**
     * Makes the spec.
     *
     * @throws IllegalArgumentException if the MAC address or hardware type was never set, or no
     *     fqdn was given and the name is not a host name
     */
    public DeviceSpec build() {
      return new DeviceSpec(name, fqdn, mac, hardwareType, hardwareModel, environment, tags,
          powerAddress, server, comments);
    }
  }
}
