package org.mozpool.server;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.mozpool.lifeguard.LifeguardPolicies;
import org.mozpool.lifeguard.LifeguardPolicy;

/**
 * What one Mozpool server runs: its settings and the lab's inventory, as read from a YAML file by
 * {@link ConfigLoader} (the file's keys are the snake_case of these records' components:
 * {@code hardware_types}, {@code boot_config_keys}, …). Immutable; lists and maps are copied.
 * Secrets are never values here: the database password and API tokens are read from the
 * environment variable or file that the config names.
 *
 * @param instance this instance's id (required), stable across restarts (several instances share a
 *     database); the devices listed here are registered for it, and only its devices are retired
 *     when the config stops listing them
 * @param database where the state lives
 * @param api the HTTP server: REST API, device callbacks, dashboard
 * @param tftp the TFTP server the boards fetch their PXE configs from
 * @param auth who may call the API
 * @param probe how devices are pinged and their agents reached
 * @param hardwareTypes the kinds of board in the lab
 * @param pxeConfigs pxelinux config templates
 * @param images the images devices can be given, with their PXE config per hardware type
 * @param relayBoards the relay boards, by name, for the relay test route
 * @param devices the lab's devices
 * @param cluster how this instance shares the database with others (DESIGN §9); absent when it is
 *     alone on it
 */
public record ServerConfig(
    String instance, Database database, Api api, Tftp tftp, Auth auth, Probe probe,
    List<HardwareTypeEntry> hardwareTypes, List<PxeConfigEntry> pxeConfigs,
    List<ImageEntry> images, List<RelayBoardEntry> relayBoards, List<DeviceEntry> devices,
    Cluster cluster) {

  /** An instance alone on its database. */
  public ServerConfig(
      String instance, Database database, Api api, Tftp tftp, Auth auth, Probe probe,
      List<HardwareTypeEntry> hardwareTypes, List<PxeConfigEntry> pxeConfigs,
      List<ImageEntry> images, List<RelayBoardEntry> relayBoards, List<DeviceEntry> devices) {
    this(instance, database, api, tftp, auth, probe, hardwareTypes, pxeConfigs, images,
        relayBoards, devices, null);
  }

  /**
   * Several instances on one database (DESIGN §9): each drives the devices of its lab network
   * (those listed in its config) and the requests filed with it; when one dies, a live instance
   * adopts its requests and the instance standing by for its lab network adopts its devices.
   *
   * @param labNetwork the lab network this instance serves (its relay boards and TFTP)
   * @param standbyFor lab networks whose devices it adopts when their instance dies; it must reach
   *     their relay boards and write to the TFTP root their boards boot from
   * @param heartbeatMs how often the heartbeat is renewed (default 2000)
   * @param deadAfterMs database-clock silence after which an instance is dead (default 15000; at
   *     least three heartbeats)
   * @param eventPollMs how often the outbox is read without a notification (default 1000)
   */
  public record Cluster(String labNetwork, List<String> standbyFor, Long heartbeatMs,
      Long deadAfterMs, Long eventPollMs) {
    public Cluster {
      labNetwork = Objects.requireNonNullElse(labNetwork, "");
      standbyFor = copy(standbyFor);
      heartbeatMs = Objects.requireNonNullElse(heartbeatMs, 2000L);
      deadAfterMs = Objects.requireNonNullElse(deadAfterMs, 15000L);
      eventPollMs = Objects.requireNonNullElse(eventPollMs, 1000L);
    }

    /** The core's instance policy, answering at {@code url}. */
    public org.mozpool.InstancePolicy policy(String url) {
      return org.mozpool.InstancePolicy.on(labNetwork)
          .withStandbyFor(java.util.Set.copyOf(standbyFor)).withUrl(url)
          .withLiveness(Duration.ofMillis(heartbeatMs), Duration.ofMillis(deadAfterMs))
          .withEventPoll(Duration.ofMillis(eventPollMs));
    }
  }

  public ServerConfig {
    instance = Objects.requireNonNullElse(instance, "");
    database = Objects.requireNonNullElse(database, new Database(null, null, null, null, null));
    api = Objects.requireNonNullElse(api, new Api(null, null));
    tftp = Objects.requireNonNullElse(tftp, new Tftp(null, null, null));
    auth = Objects.requireNonNullElse(auth, new Auth(null, null));
    probe = Objects.requireNonNullElse(probe, new Probe(null, null, null));
    hardwareTypes = copy(hardwareTypes);
    pxeConfigs = copy(pxeConfigs);
    images = copy(images);
    relayBoards = copy(relayBoards);
    devices = copy(devices);
  }

  private static <T> List<T> copy(List<T> list) {
    return list == null ? List.of() : List.copyOf(list);
  }

  /**
   * The database.
   *
   * @param url {@code h2:PATH} (the embedded default, a file database at {@code PATH}) or a JDBC
   *     URL ({@code jdbc:postgresql://…}, {@code jdbc:mariadb://…})
   * @param userEnv the environment variable holding the user name (JDBC URLs only)
   * @param passwordEnv the environment variable holding the password
   * @param passwordFile a file whose first line is the password (instead of {@code passwordEnv})
   * @param poolSize connections to keep; empty for the store's default
   */
  public record Database(String url, String userEnv, String passwordEnv, String passwordFile,
      Integer poolSize) {
    public Database {
      url = Objects.requireNonNullElse(url, "h2:./mozpool-data/mozpool");
    }
  }

  /**
   * The HTTP server.
   *
   * @param listen {@code host:port} to listen on ({@code 127.0.0.1:8080} by default; port 0 picks
   *     a free one)
   * @param publicUrl the base URL the live image and the CLI reach this server at (e.g. {@code
   *     http://10.12.0.1:8080}); empty for {@code http://} + the listen address
   */
  public record Api(String listen, String publicUrl) {
    public Api {
      listen = Objects.requireNonNullElse(listen, "127.0.0.1:8080");
      publicUrl = Objects.requireNonNullElse(publicUrl, "");
    }
  }

  /**
   * The TFTP server.
   *
   * @param root the directory served (pxelinux configs are written under {@code
   *     pxelinux.cfg/}); empty for {@code ./mozpool-data/tftp}
   * @param bind the address to serve on ({@code 127.0.0.1} by default)
   * @param port the UDP port (69 by default; 0 picks a free one)
   */
  public record Tftp(String root, String bind, Integer port) {
    public Tftp {
      root = Objects.requireNonNullElse(root, "./mozpool-data/tftp");
      bind = Objects.requireNonNullElse(bind, "127.0.0.1");
      port = Objects.requireNonNullElse(port, 69);
    }
  }

  /**
   * Who may call the API: written {@code auth: open} (short for {@code auth: {mode: open}}), or
   * tokens. A config that says neither is refused: running without authentication is never a
   * default.
   *
   * @param mode {@code tokens} (the default: every call needs a bearer token of the list) or
   *     {@code open} (no authentication at all; the server logs a warning)
   * @param tokens the API tokens
   */
  public record Auth(String mode, List<TokenEntry> tokens) {
    /** The {@code mode} that turns authentication off. */
    public static final String OPEN = "open";
    /** The default {@code mode}. */
    public static final String TOKENS = "tokens";

    public Auth {
      mode = Objects.requireNonNullElse(mode, TOKENS);
      tokens = copy(tokens);
    }

    /** Whether the API runs without authentication. */
    public boolean open() {
      return OPEN.equals(mode);
    }
  }

  /**
   * One API token.
   *
   * @param name who holds it, for the audit trail ({@code ci}, {@code alice})
   * @param role {@code client} (request, renew, return, read) or {@code operator} (everything)
   * @param tokenEnv the environment variable holding the token
   * @param tokenFile a file whose first line is the token (instead of {@code tokenEnv})
   */
  public record TokenEntry(String name, String role, String tokenEnv, String tokenFile) {
    /** The role of CI clients. */
    public static final String CLIENT = "client";
    /** The role of operators. */
    public static final String OPERATOR = "operator";
  }

  /**
   * How devices are probed.
   *
   * @param ping {@code icmp} (the default) or {@code tcp:PORT} (a TCP connect to the port)
   * @param agentPort the SUT agent's port (20701 by default)
   * @param timeoutSeconds a ping's timeout (5 by default)
   */
  public record Probe(String ping, Integer agentPort, Integer timeoutSeconds) {
    public Probe {
      ping = Objects.requireNonNullElse(ping, "icmp");
      agentPort = Objects.requireNonNullElse(agentPort, 20701);
      timeoutSeconds = Objects.requireNonNullElse(timeoutSeconds, 5);
    }
  }

  /**
   * A kind of board ({@code panda}, {@code tegra}).
   *
   * @param name its name
   * @param description for people
   * @param selfTest how Lifeguard self-tests its devices: {@code pxe} (the default: it boots the
   *     {@code self-test} image, so that image and {@code maintenance} must install on this
   *     hardware) or {@code power_cycle} (no live image: a power cycle and a ping, DESIGN §5.4;
   *     the {@code self-test} image must then not install on it)
   * @param lifeguard this hardware type's own Lifeguard timeouts and retry limits, over the
   *     server's Lifeguard policy (none by default)
   */
  public record HardwareTypeEntry(String name, String description, String selfTest,
      LifeguardSettings lifeguard) {
    /** Self-tests boot the {@code self-test} image. */
    public static final String PXE = "pxe";
    /** Self-tests are a power cycle and a ping. */
    public static final String POWER_CYCLE = "power_cycle";

    public HardwareTypeEntry {
      description = Objects.requireNonNullElse(description, "");
      selfTest = Objects.requireNonNullElse(selfTest, PXE);
      lifeguard = Objects.requireNonNullElse(lifeguard, new LifeguardSettings(null, null));
    }

    /** A hardware type whose devices self-test as {@code selfTest} says, on the server's policy. */
    public HardwareTypeEntry(String name, String description, String selfTest) {
      this(name, description, selfTest, null);
    }

    /** A hardware type whose devices self-test with the {@code self-test} image. */
    public HardwareTypeEntry(String name, String description) {
      this(name, description, PXE);
    }
  }

  /**
   * A hardware type's own Lifeguard settings, over the server's Lifeguard policy:
   *
   * <pre>{@code
   * hardware_types:
   *   - name: tegra
   *     lifeguard:
   *       timeouts: {pxe_booting: 300, image_extracting: 900}
   *       retry_limits: {pxe_booting: 10}
   *       max_temperature_c: 95
   * }</pre>
   *
   * @param timeouts seconds by device state ({@code pxe_booting}…; see {@code LifeguardPolicy})
   * @param retryLimits retry limits by device state
   * @param maxTemperatureC the board temperature, whole degrees Celsius, at or over which a
   *     reading the live image reports takes a device of this type out of service ({@code
   *     LifeguardPolicy.temperatureLimit()}); null: the server's policy's limit
   */
  public record LifeguardSettings(Map<String, Integer> timeouts, Map<String, Integer> retryLimits,
      Integer maxTemperatureC) {
    public LifeguardSettings {
      timeouts = timeouts == null ? Map.of() : Map.copyOf(timeouts);
      retryLimits = retryLimits == null ? Map.of() : Map.copyOf(retryLimits);
    }

    /** Timeouts and retry limits only; the temperature limit is the server's. */
    public LifeguardSettings(Map<String, Integer> timeouts, Map<String, Integer> retryLimits) {
      this(timeouts, retryLimits, null);
    }

    /** Whether it changes nothing. */
    public boolean isEmpty() {
      return timeouts.isEmpty() && retryLimits.isEmpty() && maxTemperatureC == null;
    }

    /**
     * {@code base} with these timeouts, retry limits and temperature limit.
     *
     * @throws IllegalArgumentException naming the state, if one has no configurable timeout or
     *     retry limit or its value is negative
     */
    public LifeguardPolicy applyTo(LifeguardPolicy base) {
      LifeguardPolicy p = base;
      for (Map.Entry<String, Integer> e : new TreeMap<>(timeouts).entrySet()) {
        p = p.withTimeout(e.getKey(), Duration.ofSeconds(e.getValue()));
      }
      for (Map.Entry<String, Integer> e : new TreeMap<>(retryLimits).entrySet()) {
        p = p.withRetryLimit(e.getKey(), e.getValue());
      }
      return maxTemperatureC == null ? p : p.withTemperatureLimit(maxTemperatureC);
    }
  }

  /**
   * The Lifeguard policies of this lab: {@code base} for every hardware type, with the
   * {@linkplain HardwareTypeEntry#lifeguard() own settings} of those that have some applied over
   * it.
   *
   * @throws IllegalArgumentException if a hardware type's settings are invalid (the config
   *     loader reports those first)
   */
  public LifeguardPolicies lifeguardPolicies(LifeguardPolicy base) {
    LifeguardPolicies policies = LifeguardPolicies.of(base);
    for (HardwareTypeEntry h : hardwareTypes) {
      if (h.name() != null && !h.lifeguard().isEmpty()) {
        policies = policies.withHardwareType(h.name(), h.lifeguard().applyTo(base));
      }
    }
    return policies;
  }

  /**
   * A pxelinux config template. {@code %IPADDRESS%}, {@code %DEVICE%}, {@code %TOKEN%}, {@code
   * %MAC%} and {@code %CALLBACK%} are filled in when it is written for a device.
   *
   * @param name its name
   * @param description for people
   * @param contents the template itself, or empty when {@code file} names it
   * @param file a file holding the template, relative to the config file's directory
   */
  public record PxeConfigEntry(String name, String description, String contents, String file) {
    public PxeConfigEntry {
      description = Objects.requireNonNullElse(description, "");
      contents = Objects.requireNonNullElse(contents, "");
      file = Objects.requireNonNullElse(file, "");
    }
  }

  /**
   * An image.
   *
   * @param name its name ({@code b2g}, {@code android}; {@code self-test} and {@code maintenance}
   *     are the utility images Lifeguard boots)
   * @param bootConfigKeys keys a request's boot config must carry ({@code b2gbase})
   * @param reusable a device carrying it with the same boot config may be handed out again after
   *     a power cycle
   * @param hidden clients cannot request it
   * @param hasAgent the image runs the SUT agent
   * @param pxeConfigs the PXE config installing it, per hardware type
   */
  public record ImageEntry(String name, List<String> bootConfigKeys, Boolean reusable,
      Boolean hidden, Boolean hasAgent, Map<String, String> pxeConfigs) {
    public ImageEntry {
      bootConfigKeys = copy(bootConfigKeys);
      reusable = Objects.requireNonNullElse(reusable, false);
      hidden = Objects.requireNonNullElse(hidden, false);
      hasAgent = Objects.requireNonNullElse(hasAgent, false);
      pxeConfigs = pxeConfigs == null ? Map.of() : Map.copyOf(pxeConfigs);
    }
  }

  /**
   * A relay board.
   *
   * @param name its name, as in {@code relay/{name}/test/}
   * @param host its address
   * @param port its TCP port (2101 by default)
   */
  public record RelayBoardEntry(String name, String host, Integer port) {
    public RelayBoardEntry {
      port = Objects.requireNonNullElse(port, 2101);
    }
  }

  /**
   * A device.
   *
   * @param name its unique name ({@code panda-0042})
   * @param mac its MAC address, any common notation
   * @param fqdn its host name; empty for the name
   * @param hardware its hardware type
   * @param model its hardware model, free text
   * @param environment {@code production}, {@code staging}, …
   * @param power its relay, {@code proxr://host:port/bank/B/relay/R} (or the original's {@code
   *     host:port:bankB:relayR})
   * @param tags free key/values a request can filter on ({@code rack}, {@code chassis})
   * @param comments for operators
   */
  public record DeviceEntry(String name, String mac, String fqdn, String hardware, String model,
      String environment, String power, Map<String, String> tags, String comments) {
    public DeviceEntry {
      fqdn = Objects.requireNonNullElse(fqdn, "");
      model = Objects.requireNonNullElse(model, "");
      environment = Objects.requireNonNullElse(environment, "");
      tags = tags == null ? Map.of() : Map.copyOf(tags);
      comments = Objects.requireNonNullElse(comments, "");
    }
  }
}
