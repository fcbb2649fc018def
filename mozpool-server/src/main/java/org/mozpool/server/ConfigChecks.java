package org.mozpool.server;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.mozpool.DeviceSpec;
import org.mozpool.HardwareType;
import org.mozpool.Image;
import org.mozpool.bmm.RelayAddress;
import org.mozpool.lifeguard.LifeguardPolicy;

/**
 * The semantic half of config checking, over the bound records: required fields, names, MAC
 * addresses, host names and power addresses valid by the core's own rules (values are built and
 * their {@link IllegalArgumentException}s reported, so the rules live in one place), duplicates,
 * references between sections, the utility images Lifeguard needs, addresses, ports, auth and
 * the database URL.
 */
final class ConfigChecks {
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final String PLACEHOLDER_MAC = "000000000000";
  /** Stands in for a device's name that is missing or invalid, and is cut out of messages. */
  private static final String UNNAMED = "unnamed-device";

  private final ServerConfig config;
  private final ConfigProblems problems;
  /** The config file's directory, to check that referenced files exist; null to skip that. */
  private final Path base;

  private ConfigChecks(ServerConfig config, ConfigProblems problems, Path base) {
    this.config = config;
    this.problems = problems;
    this.base = base;
  }

  static void check(ServerConfig config, ConfigProblems problems, Path base) {
    ConfigChecks c = new ConfigChecks(config, problems, base);
    c.instance();
    c.database();
    c.api();
    c.tftp();
    c.auth();
    c.probe();
    Set<String> hardware = c.hardwareTypes();
    Set<String> pxeConfigs = c.pxeConfigs();
    c.images(hardware, pxeConfigs);
    c.relayBoards();
    c.devices(hardware);
    c.utilityImages();
    c.cluster();
  }

  private void cluster() {
    ServerConfig.Cluster cluster = config.cluster();
    if (cluster == null) {
      return;
    }
    if (config.database().url().startsWith("h2:")) {
      problem("cluster", "several instances share one database server (PostgreSQL, or MariaDB);"
          + " an embedded h2: database belongs to one process");
    }
    if (cluster.labNetwork().isEmpty()) {
      problem("cluster.lab_network", "required: the lab network whose relay boards and TFTP"
          + " this instance serves (e.g. mtv1-net1)");
    }
    try {
      // a missing lab network is reported above, once: check the rest with a stand-in
      (cluster.labNetwork().isEmpty() ? new ServerConfig.Cluster("lab-network",
          cluster.standbyFor(), cluster.heartbeatMs(), cluster.deadAfterMs(),
          cluster.eventPollMs()) : cluster).policy("");
    } catch (IllegalArgumentException e) {
      problem("cluster", e.getMessage());
    }
  }

  private void problem(String path, String message) {
    problems.add(path, message);
  }

  // ---- reusing the core's rules ----

  /**
   * What the core says is wrong with {@code name} as a name ("must be 1-128 letters, …, got
   * 'x'"), or null when it is a valid name.
   */
  private static String nameProblem(String name) {
    try {
      HardwareType.of(name);
      return null;
    } catch (IllegalArgumentException e) {
      String m = e.getMessage();
      int must = m.indexOf("must ");
      return must < 0 ? m : m.substring(must);
    }
  }

  /** Reports {@code path} when {@code value} is missing or not a valid name; whether it is one. */
  private boolean requireName(String path, String value) {
    if (value == null || value.isBlank()) {
      problem(path, "required");
      return false;
    }
    String p = nameProblem(value);
    if (p != null) {
      problem(path, p);
      return false;
    }
    return true;
  }

  /** Runs {@code check}, reporting its IllegalArgumentException as {@code path}'s problem. */
  private boolean valid(String path, Runnable check) {
    try {
      check.run();
      return true;
    } catch (IllegalArgumentException e) {
      problem(path, e.getMessage().replace(" of device " + UNNAMED, ""));
      return false;
    }
  }

  /** Whether {@code host} is a host name (by the core's fqdn rule) or an IP address literal. */
  private static boolean isHost(String host) {
    if (host.contains(":")) {
      try {
        return new URI("http", null, "[" + host + "]", 1, null, null, null).getHost() != null;
      } catch (URISyntaxException e) {
        return false;
      }
    }
    try {
      DeviceSpec.builder("host").mac(PLACEHOLDER_MAC).hardware("h", "").fqdn(host).build();
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private void port(String path, Integer port, int min) {
    if (port != null && (port < min || port > 65535)) {
      problem(path, "a port is " + min + " to 65535, got " + port);
    }
  }

  private void envName(String path, String name) {
    if (name != null && !name.isEmpty() && !ENV_NAME.matcher(name).matches()) {
      problem(path, "must name an environment variable (letters, digits and '_', not starting"
          + " with a digit), got '" + name + "' (secrets are never written in the config)");
    }
  }

  private void file(String path, String file) {
    if (file == null || file.isEmpty() || base == null) {
      return;
    }
    Path p = base.resolve(file);
    if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
      problem(path, "no readable file " + p);
    }
  }

  private static boolean present(String s) {
    return s != null && !s.isBlank();
  }

  /** Reports every later entry whose key repeats an earlier one's. */
  private <T> void unique(String section, List<T> entries, String field, Function<T, String> key) {
    Map<String, Integer> first = new HashMap<>();
    for (int i = 0; i < entries.size(); i++) {
      String k = key.apply(entries.get(i));
      if (k == null || k.isEmpty()) {
        continue;
      }
      Integer j = first.putIfAbsent(k, i);
      if (j != null) {
        problem(section + "[" + i + "]." + field, "'" + k + "' is also " + section + "[" + j
            + "]'s (line " + problems.line(section + "[" + j + "]") + ")");
      }
    }
  }

  // ---- settings ----

  private void instance() {
    if (config.instance().isEmpty()) {
      problem("instance", "required: this instance's id, stable across restarts and unique"
          + " among the instances sharing the database (e.g. mtv1-imaging-1)");
    } else {
      String p = nameProblem(config.instance());
      if (p != null) {
        problem("instance", p);
      }
    }
  }

  private void database() {
    ServerConfig.Database db = config.database();
    String url = db.url();
    boolean jdbc = url.startsWith("jdbc:");
    if (url.startsWith("h2:")) {
      if (url.length() == "h2:".length()) {
        problem("database.url", "h2: needs the path of the database files, e.g."
            + " h2:./mozpool-data/mozpool");
      }
    } else if (!jdbc || url.length() == "jdbc:".length()) {
      problem("database.url", "expected h2:PATH (an embedded database) or a JDBC URL"
          + " (jdbc:postgresql://…, jdbc:mariadb://…), got '" + url + "'");
    } else if (url.matches("(?i).*[?;&:](password|pwd)=.*")
        || url.matches("jdbc:[^/]*//[^/@]*:[^/@]*@.*")) {
      problem("database.url", "the URL carries a password: secrets are never written in the"
          + " config; name it with password_env or password_file");
    }
    if (!jdbc && (present(db.userEnv()) || present(db.passwordEnv())
        || present(db.passwordFile()))) {
      problem("database", "user_env, password_env and password_file are for JDBC URLs; an h2:"
          + " database has no user or password");
    }
    if (present(db.passwordEnv()) && present(db.passwordFile())) {
      problem("database.password_file", "give password_env or password_file, not both");
    }
    envName("database.user_env", db.userEnv());
    envName("database.password_env", db.passwordEnv());
    file("database.password_file", db.passwordFile());
    if (db.poolSize() != null && db.poolSize() < 1) {
      problem("database.pool_size", "must be at least 1, got " + db.poolSize());
    }
  }

  private void api() {
    String listen = config.api().listen();
    int colon = listen.lastIndexOf(':');
    String host = colon < 0 ? "" : listen.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":")) {
      host = ""; // an IPv6 address must be bracketed before its port
    }
    Integer port = colon < 0 ? null : parsePort(listen.substring(colon + 1));
    if (host.isEmpty() || !isHost(host) || port == null) {
      problem("api.listen", "expected HOST:PORT (e.g. 127.0.0.1:8080, 0.0.0.0:8080,"
          + " [::1]:8080; port 0 picks a free one), got '" + listen + "'");
    }
    String url = config.api().publicUrl();
    if (!url.isEmpty()) {
      try {
        URI u = new URI(url);
        if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme()))
            || u.getHost() == null || u.getRawQuery() != null || u.getRawFragment() != null) {
          throw new URISyntaxException(url, "not a base URL");
        }
      } catch (URISyntaxException e) {
        problem("api.public_url", "expected an http:// or https:// base URL such as"
            + " http://10.12.0.1:8080, got '" + url + "'");
      }
    }
  }

  private static Integer parsePort(String s) {
    try {
      int p = Integer.parseInt(s);
      return p >= 0 && p <= 65535 ? p : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private void tftp() {
    ServerConfig.Tftp t = config.tftp();
    if (t.root().isBlank()) {
      problem("tftp.root", "must name a directory");
    }
    String bind = t.bind().startsWith("[") && t.bind().endsWith("]")
        ? t.bind().substring(1, t.bind().length() - 1) : t.bind();
    if (!isHost(bind)) {
      problem("tftp.bind", "expected an address or host name to serve on (e.g. 10.12.0.1,"
          + " 0.0.0.0), got '" + t.bind() + "'");
    }
    port("tftp.port", t.port(), 0);
  }

  private void auth() {
    ServerConfig.Auth auth = config.auth();
    if (!auth.mode().equals(ServerConfig.Auth.OPEN)
        && !auth.mode().equals(ServerConfig.Auth.TOKENS)) {
      problem("auth.mode", "expected tokens or open, got '" + auth.mode() + "'");
      return;
    }
    if (auth.open()) {
      if (!auth.tokens().isEmpty()) {
        problem("auth.tokens", "auth is open: it takes no tokens (remove them, or the"
            + " `mode: open`)");
      }
      return;
    }
    if (auth.tokens().isEmpty()) {
      problem("auth", "no API tokens: list tokens (name, role, token_env or token_file), or"
          + " write `auth: open` to run the API without authentication");
    }
    List<ServerConfig.TokenEntry> tokens = auth.tokens();
    for (int i = 0; i < tokens.size(); i++) {
      ServerConfig.TokenEntry t = tokens.get(i);
      String path = "auth.tokens[" + i + "]";
      requireName(path + ".name", t.name());
      if (t.role() == null) {
        problem(path + ".role", "required: client or operator");
      } else if (!t.role().equals(ServerConfig.TokenEntry.CLIENT)
          && !t.role().equals(ServerConfig.TokenEntry.OPERATOR)) {
        problem(path + ".role", "expected client or operator, got '" + t.role() + "'");
      }
      if (present(t.tokenEnv()) == present(t.tokenFile())) {
        problem(path, present(t.tokenEnv()) ? "give token_env or token_file, not both"
            : "needs token_env (an environment variable holding the token) or token_file");
      }
      envName(path + ".token_env", t.tokenEnv());
      file(path + ".token_file", t.tokenFile());
    }
    unique("auth.tokens", tokens, "name", ServerConfig.TokenEntry::name);
  }

  private void probe() {
    ServerConfig.Probe p = config.probe();
    String ping = p.ping();
    if (!ping.equals("icmp")) {
      Integer port = ping.startsWith("tcp:") ? parsePort(ping.substring(4)) : null;
      if (port == null || port == 0) {
        problem("probe.ping", "expected icmp or tcp:PORT, got '" + ping + "'");
      }
    }
    port("probe.agent_port", p.agentPort(), 1);
    if (p.timeoutSeconds() < 1) {
      problem("probe.timeout_seconds", "must be at least 1, got " + p.timeoutSeconds());
    }
  }

  // ---- inventory ----

  private Set<String> hardwareTypes() {
    List<ServerConfig.HardwareTypeEntry> types = config.hardwareTypes();
    Set<String> names = new LinkedHashSet<>();
    for (int i = 0; i < types.size(); i++) {
      if (requireName("hardware_types[" + i + "].name", types.get(i).name())) {
        names.add(types.get(i).name());
      }
      String selfTest = types.get(i).selfTest();
      if (!selfTest.equals(ServerConfig.HardwareTypeEntry.PXE)
          && !selfTest.equals(ServerConfig.HardwareTypeEntry.POWER_CYCLE)) {
        problem("hardware_types[" + i + "].self_test", "expected pxe (boot the self-test image)"
            + " or power_cycle (a power cycle and a ping), got '" + selfTest + "'");
      }
      lifeguardSettings("hardware_types[" + i + "].lifeguard", types.get(i).lifeguard());
    }
    unique("hardware_types", types, "name", ServerConfig.HardwareTypeEntry::name);
    return names;
  }

  /**
   * Each timeout and retry limit must name a state that has one, with a value of 0 or more; the
   * temperature limit must be a plausible board temperature ({@value #MIN_TEMPERATURE_LIMIT_C}
   * to {@value #MAX_TEMPERATURE_LIMIT_C} °C): below it a healthy board idling in a warm rack
   * would be taken out of service, above it a board would burn before the limit acted (and a
   * value in millidegrees, as the sensor gives them, is caught).
   */
  private void lifeguardSettings(String path, ServerConfig.LifeguardSettings settings) {
    LifeguardPolicy base = LifeguardPolicy.defaults();
    new TreeMap<>(settings.timeouts()).forEach((state, seconds) -> valid(
        path + ".timeouts." + state, () -> base.withTimeout(state, Duration.ofSeconds(seconds))));
    new TreeMap<>(settings.retryLimits()).forEach((state, limit) -> valid(
        path + ".retry_limits." + state, () -> base.withRetryLimit(state, limit)));
    Integer maxTemperature = settings.maxTemperatureC();
    if (maxTemperature != null && (maxTemperature < MIN_TEMPERATURE_LIMIT_C
        || maxTemperature > MAX_TEMPERATURE_LIMIT_C)) {
      problem(path + ".max_temperature_c", "the board temperature at or over which a device is"
          + " out of service, in whole degrees Celsius from " + MIN_TEMPERATURE_LIMIT_C + " to "
          + MAX_TEMPERATURE_LIMIT_C + " (default "
          + Math.round(LifeguardPolicy.DEFAULT_TEMPERATURE_LIMIT_C) + "), got " + maxTemperature
          + (maxTemperature > 1000 ? " (millidegrees? give degrees)" : ""));
    }
  }

  /** The plausible range of a hardware type's {@code max_temperature_c}, degrees Celsius. */
  private static final int MIN_TEMPERATURE_LIMIT_C = 30;
  private static final int MAX_TEMPERATURE_LIMIT_C = 150;

  private Set<String> pxeConfigs() {
    List<ServerConfig.PxeConfigEntry> configs = config.pxeConfigs();
    Set<String> names = new LinkedHashSet<>();
    for (int i = 0; i < configs.size(); i++) {
      ServerConfig.PxeConfigEntry p = configs.get(i);
      String path = "pxe_configs[" + i + "]";
      if (requireName(path + ".name", p.name())) {
        names.add(p.name());
      }
      if (p.contents().isBlank() == p.file().isBlank()) {
        problem(path, p.file().isBlank() ? "needs contents (the pxelinux config) or file"
            : "give contents or file, not both");
      }
      file(path + ".file", p.file());
    }
    unique("pxe_configs", configs, "name", ServerConfig.PxeConfigEntry::name);
    return names;
  }

  private void images(Set<String> hardware, Set<String> pxeConfigs) {
    List<ServerConfig.ImageEntry> images = config.images();
    for (int i = 0; i < images.size(); i++) {
      ServerConfig.ImageEntry image = images.get(i);
      String path = "images[" + i + "]";
      if (image.name() == null) {
        problem(path + ".name", "required");
      } else {
        valid(path + ".name", () -> Image.builder(image.name()).build());
      }
      for (int k = 0; k < image.bootConfigKeys().size(); k++) {
        if (image.bootConfigKeys().get(k).isBlank()) {
          problem(path + ".boot_config_keys[" + k + "]", "must not be empty");
        }
      }
      for (Map.Entry<String, String> e : new java.util.TreeMap<>(image.pxeConfigs()).entrySet()) {
        String p = path + ".pxe_configs." + e.getKey();
        if (!hardware.contains(e.getKey())) {
          problem(p, "no hardware type '" + e.getKey() + "' is declared in hardware_types");
        }
        if (!pxeConfigs.contains(e.getValue())) {
          problem(p, "no PXE config '" + e.getValue() + "' is declared in pxe_configs");
        }
      }
    }
    unique("images", images, "name", ServerConfig.ImageEntry::name);
  }

  private void relayBoards() {
    List<ServerConfig.RelayBoardEntry> boards = config.relayBoards();
    for (int i = 0; i < boards.size(); i++) {
      ServerConfig.RelayBoardEntry b = boards.get(i);
      String path = "relay_boards[" + i + "]";
      requireName(path + ".name", b.name());
      if (!present(b.host())) {
        problem(path + ".host", "required");
      } else if (!isHost(b.host())) {
        problem(path + ".host", "expected a host name or address, got '" + b.host() + "'");
      }
      port(path + ".port", b.port(), 1);
    }
    unique("relay_boards", boards, "name", ServerConfig.RelayBoardEntry::name);
    unique("relay_boards", boards, "host", b -> b.host() == null ? null
        : b.host().toLowerCase(java.util.Locale.ROOT) + ":" + b.port());
  }

  private void devices(Set<String> hardware) {
    List<ServerConfig.DeviceEntry> devices = config.devices();
    Map<String, Integer> macs = new HashMap<>();
    Map<String, Integer> relays = new HashMap<>();
    for (int i = 0; i < devices.size(); i++) {
      ServerConfig.DeviceEntry d = devices.get(i);
      String path = "devices[" + i + "]";
      boolean named = d.name() != null
          && valid(path + ".name", () -> DeviceSpec.builder(d.name()).mac(PLACEHOLDER_MAC)
              .hardware("h", "").fqdn("host").build());
      if (d.name() == null) {
        problem(path + ".name", "required");
      }
      String name = named ? d.name() : UNNAMED;
      if (!d.fqdn().isEmpty()) {
        valid(path + ".fqdn", () -> spec(name).fqdn(d.fqdn()).build());
      } else if (named) {
        valid(path + ".name", () -> DeviceSpec.builder(name).mac(PLACEHOLDER_MAC)
            .hardware("h", "").build());
      }
      if (d.mac() == null) {
        problem(path + ".mac", "required");
      } else if (valid(path + ".mac", () -> DeviceSpec.normalizeMac(d.mac()))) {
        Integer j = macs.putIfAbsent(DeviceSpec.normalizeMac(d.mac()), i);
        if (j != null) {
          problem(path + ".mac", "'" + d.mac() + "' is also the MAC address of devices[" + j
              + "] (line " + problems.line("devices[" + j + "]") + "): each device needs its"
              + " own (it names its PXE config file)");
        }
      }
      if (d.hardware() == null) {
        problem(path + ".hardware", "required");
      } else if (!hardware.contains(d.hardware())) {
        problem(path + ".hardware", "no hardware type '" + d.hardware() + "' is declared in"
            + " hardware_types");
      }
      valid(path + ".model", () -> spec(name).hardware("h", d.model()).build());
      if (!d.environment().isEmpty()) {
        valid(path + ".environment", () -> spec(name).environment(d.environment()).build());
      }
      if (present(d.power())
          && valid(path + ".power", () -> spec(name).powerAddress(d.power()).build())
          && valid(path + ".power", () -> RelayAddress.parse(d.power()))) {
        RelayAddress relay = RelayAddress.parse(d.power());
        String key = relay.host().toLowerCase(java.util.Locale.ROOT) + ":" + relay.port()
            + "/" + relay.bank() + "/" + relay.relay();
        Integer j = relays.putIfAbsent(key, i);
        if (j != null) {
          problem(path + ".power", "bank " + relay.bank() + " relay " + relay.relay() + " of "
              + relay.board() + " also switches devices[" + j + "] (line "
              + problems.line("devices[" + j + "]") + ")");
        }
      }
    }
    unique("devices", devices, "name", ServerConfig.DeviceEntry::name);
  }

  /** A spec builder whose every field is valid, for checking one field at a time. */
  private static DeviceSpec.Builder spec(String name) {
    return DeviceSpec.builder(name).mac(PLACEHOLDER_MAC).hardware("h", "").fqdn("host");
  }

  /**
   * Lifeguard boots {@code self-test} to test every device (new ones, returned ones, problem
   * children) and {@code maintenance} for humans: both must install on every hardware type that
   * has devices, unless the type says its devices self-test by power cycle (DESIGN §5.4: a
   * self-test on hardware without a self-test PXE config is a power cycle and a ping), which must
   * then be so.
   */
  private void utilityImages() {
    Set<String> powerCycled = new TreeSet<>();
    for (ServerConfig.HardwareTypeEntry h : config.hardwareTypes()) {
      if (ServerConfig.HardwareTypeEntry.POWER_CYCLE.equals(h.selfTest())) {
        powerCycled.add(h.name());
      }
    }
    for (int i = 0; i < config.images().size(); i++) {
      ServerConfig.ImageEntry image = config.images().get(i);
      if (Image.SELF_TEST.equals(image.name())) {
        for (String h : new TreeSet<>(image.pxeConfigs().keySet())) {
          if (powerCycled.contains(h)) {
            problem("images[" + i + "].pxe_configs." + h, "hardware type " + h + " self-tests"
                + " by power cycle (self_test: power_cycle): the self-test image must not"
                + " install on it");
          }
        }
      }
    }
    Set<String> used = new TreeSet<>();
    for (ServerConfig.DeviceEntry d : config.devices()) {
      if (d.hardware() != null && !powerCycled.contains(d.hardware())) {
        used.add(d.hardware());
      }
    }
    if (used.isEmpty()) {
      return;
    }
    for (String utility : List.of(Image.SELF_TEST, Image.MAINTENANCE)) {
      int index = -1;
      for (int i = 0; i < config.images().size(); i++) {
        if (utility.equals(config.images().get(i).name())) {
          index = i;
        }
      }
      String why = utility.equals(Image.SELF_TEST)
          ? "Lifeguard boots it to test devices" : "Lifeguard boots it for operators";
      if (index < 0) {
        problem("images", "no '" + utility + "' image: " + why + "; declare it (hidden: true)"
            + " with a PXE config for " + String.join(", ", used) + ", or declare hardware"
            + " that has no live image with self_test: power_cycle");
        continue;
      }
      ServerConfig.ImageEntry image = config.images().get(index);
      Set<String> missing = new TreeSet<>(used);
      missing.removeAll(image.pxeConfigs().keySet());
      if (!missing.isEmpty()) {
        problem("images[" + index + "].pxe_configs", "no PXE config for hardware type"
            + (missing.size() == 1 ? " " : "s ") + String.join(", ", missing)
            + ", which " + (missing.size() == 1 ? "has" : "have") + " devices: " + why
            + " (hardware without a live image: self_test: power_cycle)");
      }
    }
  }
}
