package org.mozpool.server.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.mozpool.DeviceSpec;
import org.mozpool.Image;
import org.mozpool.PoolPolicy;
import org.mozpool.bmm.NetworkDeviceProbe;
import org.mozpool.bmm.ProxrPowerControl;
import org.mozpool.lifeguard.LifeguardPolicy;
import org.mozpool.server.ConfigLoader;
import org.mozpool.server.MozpoolServer;
import org.mozpool.server.ServerConfig;
import org.mozpool.testkit.sim.DeviceTimings;
import org.mozpool.testkit.sim.LabInventory;
import org.mozpool.testkit.sim.WireLab;

/**
 * A Mozpool server over a simulated lab, ready to be called with {@code curl}: the testkit's
 * {@link WireLab} (simulated pandas on loopback that follow ProXR relay-board emulators, fetch
 * their PXE configs over TFTP and call the server back as the live image does), a generated config
 * (hardware type {@code panda}; images {@code b2g} with boot config key {@code b2gbase}, {@code
 * android}, {@code self-test} and {@code maintenance} with their PXE configs; the devices with
 * {@code rack} and {@code chassis} tags; the relay boards by name), a client and an operator API
 * token, and every timeout of Lifeguard, the pool and the boards divided by the same compression
 * factor, so that an imaging takes seconds. Everything lives in a temporary directory (config,
 * token files, H2 database, TFTP root) that {@link #close()} deletes.
 *
 * <p>This is what {@code mozpool server --demo} runs, and what tests start in-process:
 *
 * <pre>{@code
 * try (DemoLab demo = DemoLab.start(DemoLab.options().devices(4).compression(20))) {
 *   HttpRequest list = HttpRequest.newBuilder(demo.uri().resolve("/api/device/list/?details"))
 *       .header("Authorization", "Bearer " + demo.operatorToken()).build();
 *   ...
 * }
 * }</pre>
 *
 * <p>Thread safe. The ports of the HTTP server (unless {@link Options#listen fixed}), the TFTP
 * server, the relay boards and the boards' probe and agent ports are picked free on 127.0.0.1, so
 * several demo labs can run on one machine.
 */
public final class DemoLab implements AutoCloseable {

  /** The hardware type of the demo's boards. */
  public static final String HARDWARE_TYPE = LabInventory.PANDA;

  private final Path directory;
  private final WireLab lab;
  private final MozpoolServer server;
  private final String clientToken;
  private final String operatorToken;
  private final Options options;
  private final AtomicBoolean closed = new AtomicBoolean();

  private DemoLab(Path directory, WireLab lab, MozpoolServer server, String clientToken,
      String operatorToken, Options options) {
    this.directory = directory;
    this.lab = lab;
    this.server = server;
    this.clientToken = clientToken;
    this.operatorToken = operatorToken;
    this.options = options;
  }

  /** Default options: 16 devices, compression 20, listening on {@code 127.0.0.1:0}, seed 1. */
  public static Options options() {
    return new Options();
  }

  /**
   * Starts the simulated lab and the server over it. The devices are registered when this
   * returns; they then reach {@code ready} on their own within seconds.
   *
   * @throws UncheckedIOException when the temporary directory or a port cannot be had
   * @throws org.mozpool.server.ConfigException when the server cannot listen where asked
   */
  public static DemoLab start(Options options) {
    Objects.requireNonNull(options, "options");
    Path directory;
    try {
      directory = Files.createTempDirectory("mozpool-demo-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the demo lab's directory", e);
    }
    WireLab lab = null;
    try {
      InetAddress loopback = InetAddress.getLoopbackAddress();
      int tftpPort = freeUdpPort(loopback);
      int pingPort = freeTcpPort(loopback);
      int agentPort = freeTcpPort(loopback);
      lab = WireLab.builder().devices(options.devices).seed(options.seed)
          .timings(DeviceTimings.pandas().compressed(options.compression))
          .tftp(loopback, tftpPort).pingPort(pingPort).agentPort(agentPort).build();
      String clientToken = newToken();
      String operatorToken = newToken();
      writeSecret(directory.resolve("client.token"), clientToken);
      writeSecret(directory.resolve("operator.token"), operatorToken);
      Path configFile = directory.resolve("lab.yaml");
      Files.writeString(configFile,
          configYaml(lab, options.listen, tftpPort, pingPort, agentPort));
      ServerConfig config = ConfigLoader.load(configFile);
      double c = options.compression;
      MozpoolServer server = MozpoolServer.builder(config)
          .configDirectory(directory)
          .environment(Map.of())
          .lifeguardPolicy(LifeguardPolicy.defaults().compressed(c))
          .poolPolicy(PoolPolicy.defaults().compressed(c))
          .powerControl(ProxrPowerControl.builder().cycleDelay(Duration.ofMillis(200))
              .coolDown(Duration.ofMillis(100)).connectTimeout(Duration.ofSeconds(1))
              .ioTimeout(Duration.ofSeconds(1)).build())
          .deviceProbe(NetworkDeviceProbe.builder().tcpConnectPing(pingPort)
              .agentPort(agentPort).pingTimeout(Duration.ofSeconds(1))
              .commandTimeout(Duration.ofSeconds(2)).build())
          // every simulated board fetches from 127.0.0.1: lift the per-address transfer bound
          .tftpSettings(b -> b.timeout(Duration.ofMillis(500)).maxTransfersPerClient(64))
          .start();
      return new DemoLab(directory, lab, server, clientToken, operatorToken, options);
    } catch (IOException e) {
      closeQuietly(lab);
      delete(directory);
      throw new UncheckedIOException("cannot start the demo lab", e);
    } catch (RuntimeException e) {
      closeQuietly(lab);
      delete(directory);
      throw e;
    }
  }

  /** The running server. */
  public MozpoolServer server() {
    return server;
  }

  /** The server's base URL, e.g. {@code http://127.0.0.1:8080}. */
  public URI uri() {
    return server.uri();
  }

  /** The bearer token of the {@code client} role (request, renew, return, read). */
  public String clientToken() {
    return clientToken;
  }

  /** The bearer token of the {@code operator} role (everything). */
  public String operatorToken() {
    return operatorToken;
  }

  /** The simulated boards and relay boards. */
  public WireLab lab() {
    return lab;
  }

  /** The temporary directory holding the config, token files, database and TFTP root. */
  public Path directory() {
    return directory;
  }

  /** The generated config file ({@code lab.yaml} in {@link #directory()}). */
  public Path configFile() {
    return directory.resolve("lab.yaml");
  }

  /** The options the lab was started with. */
  public Options startOptions() {
    return options;
  }

  /**
   * What {@code mozpool server --demo} prints at start-up: the URL, the tokens, and lines to paste
   * ({@code curl} and {@code mozpool}) that list the devices and request one.
   */
  public String banner() {
    String url = uri().toString();
    String op = "-H 'Authorization: Bearer " + operatorToken + "'";
    String cl = "-H 'Authorization: Bearer " + clientToken + "'";
    String n = System.lineSeparator();
    return "Mozpool demo lab: " + lab.devices().size() + " simulated pandas on loopback, timeouts"
        + " compressed " + format(options.compression) + "x" + n
        + "  server:         " + url + n
        + "  client token:   " + clientToken + n
        + "  operator token: " + operatorToken + n
        + "  config:         " + configFile() + " (deleted on exit)" + n
        + n
        + "Try (devices reach 'ready' within a few seconds):" + n
        + "  curl -s " + op + " '" + url + "/api/device/list/?details'" + n
        + "  curl -s " + cl + " -H 'Content-Type: application/json' -d '{\"assignee\": \"me\", \"duration\": 3600, \"image\": \"b2g\","
        + " \"b2gbase\": \"http://builds.example/b2g/\"}' '" + url + "/api/device/any/request/'" + n
        + "  curl -s " + cl + " '" + url + "/api/request/list/'" + n
        + n
        + "or with the CLI:" + n
        + "  export MOZPOOL_SERVER=" + url + " MOZPOOL_TOKEN=" + operatorToken + n
        + "  mozpool device list" + n
        + "  mozpool request new --image b2g --b2gbase http://builds.example/b2g/ --duration 3600"
        + n
        + n
        + "Ctrl-C stops the lab and deletes " + directory + n;
  }

  /** Stops the server and the simulated lab and deletes the temporary directory; idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      server.close();
    } finally {
      lab.close();
      delete(directory);
    }
  }

  // ---- the generated config ----

  static String configYaml(WireLab lab, String listen, int tftpPort, int pingPort,
      int agentPort) {
    StringBuilder y = new StringBuilder();
    y.append("# generated by mozpool server --demo: a simulated lab on loopback\n")
        .append("instance: demo\n")
        .append("database: {url: \"h2:db/mozpool\"}\n")
        .append("api: {listen: \"").append(listen).append("\"}\n")
        .append("tftp: {root: tftp, bind: 127.0.0.1, port: ").append(tftpPort).append("}\n")
        .append("probe: {ping: \"tcp:").append(pingPort).append("\", agent_port: ")
        .append(agentPort).append(", timeout_seconds: 1}\n")
        .append("auth:\n  mode: tokens\n  tokens:\n")
        .append("    - {name: demo-client, role: client, token_file: client.token}\n")
        .append("    - {name: demo-operator, role: operator, token_file: operator.token}\n")
        .append("hardware_types:\n  - {name: ").append(HARDWARE_TYPE)
        .append(", description: \"PandaBoard ES (simulated)\"}\n");
    y.append("pxe_configs:\n");
    pxeConfig(y, "panda-b2g", "B2G live installer", LabInventory.pxeConfigText("install", "b2g"));
    pxeConfig(y, "panda-android", "Android live installer",
        LabInventory.pxeConfigText("install", "android"));
    pxeConfig(y, "panda-self-test", "self-test", LabInventory.pxeConfigText("self-test", ""));
    pxeConfig(y, "panda-maintenance", "maintenance",
        LabInventory.pxeConfigText("maintenance", ""));
    y.append("images:\n")
        .append("  - {name: b2g, boot_config_keys: [b2gbase], reusable: true, has_agent: true,")
        .append(" pxe_configs: {panda: panda-b2g}}\n")
        .append("  - {name: android, has_agent: true, pxe_configs: {panda: panda-android}}\n")
        .append("  - {name: ").append(Image.SELF_TEST)
        .append(", hidden: true, pxe_configs: {panda: panda-self-test}}\n")
        .append("  - {name: ").append(Image.MAINTENANCE)
        .append(", hidden: true, pxe_configs: {panda: panda-maintenance}}\n");
    Map<String, String> boards = new LinkedHashMap<>();
    for (DeviceSpec d : lab.deviceSpecs()) {
      String board = LabInventory.relayBoard(d.powerAddress());
      boards.putIfAbsent(board, "relay-" + d.tags().getOrDefault("chassis", "1"));
    }
    y.append("relay_boards:\n");
    boards.forEach((board, name) -> {
      int colon = board.lastIndexOf(':');
      y.append("  - {name: ").append(name).append(", host: \"").append(board, 0, colon)
          .append("\", port: ").append(board.substring(colon + 1)).append("}\n");
    });
    y.append("devices:\n");
    for (DeviceSpec d : lab.deviceSpecs()) {
      String chassis = d.tags().getOrDefault("chassis", "1");
      int rack = (Integer.parseInt(chassis) + 1) / 2;
      y.append("  - {name: ").append(d.name()).append(", mac: \"").append(d.mac())
          .append("\", fqdn: \"").append(d.fqdn()).append("\", hardware: ")
          .append(HARDWARE_TYPE).append(", model: \"").append(d.hardwareModel())
          .append("\", power: \"").append(d.powerAddress()).append("\", tags: {rack: \"rack-")
          .append(rack).append("\", chassis: \"").append(chassis).append("\"}}\n");
    }
    return y.toString();
  }

  private static void pxeConfig(StringBuilder y, String name, String description,
      String contents) {
    y.append("  - name: ").append(name).append('\n')
        .append("    description: \"").append(description).append("\"\n")
        .append("    contents: |\n");
    for (String line : contents.split("\n")) {
      y.append("      ").append(line).append('\n');
    }
  }

  // ---- helpers ----

  private static String newToken() {
    byte[] bytes = new byte[20];
    new SecureRandom().nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  private static void writeSecret(Path file, String secret) throws IOException {
    Files.writeString(file, secret + "\n");
    try {
      Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions
          .fromString("rw-------"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: the temporary directory is private enough
    }
  }

  private static int freeUdpPort(InetAddress address) throws IOException {
    try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(address, 0))) {
      return socket.getLocalPort();
    }
  }

  private static int freeTcpPort(InetAddress address) throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, address)) {
      return socket.getLocalPort();
    }
  }

  private static String format(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : String.format(Locale.ROOT, "%.1f", d);
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c != null) {
      try {
        c.close();
      } catch (Exception e) {
        // best effort on a failed start
      }
    }
  }

  /**
   * Deletes {@code directory} and everything in it. The database may still be letting go of its
   * lock and trace files for a moment after it is closed, so a directory that is not empty yet is
   * tried again a few times.
   */
  private static void delete(Path directory) {
    for (int attempt = 0; attempt < 20 && Files.exists(directory); attempt++) {
      if (attempt > 0) {
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
      List<Path> all;
      try (Stream<Path> files = Files.walk(directory)) {
        all = new ArrayList<>(files.sorted(Comparator.reverseOrder()).toList());
      } catch (IOException | UncheckedIOException e) {
        continue; // a file vanished during the walk: walk again
      }
      for (Path p : all) {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          // not empty yet, or held: the next attempt takes it
        }
      }
    }
  }

  /** How a {@link DemoLab} is made; validates eagerly. Not thread safe. */
  public static final class Options {
    private int devices = 16;
    private double compression = 20;
    private String listen = "127.0.0.1:0";
    private long seed = 1;

    private Options() {
    }

    /** How many simulated pandas (default 16; 1 to 1000). */
    public Options devices(int count) {
      if (count < 1 || count > 1000) {
        throw new IllegalArgumentException("a demo lab has 1 to 1000 devices, got " + count);
      }
      this.devices = count;
      return this;
    }

    /** The factor every timeout and board step is divided by (default 20; at least 1). */
    public Options compression(double factor) {
      if (!(factor >= 1) || Double.isInfinite(factor)) {
        throw new IllegalArgumentException("compression must be a finite number of at least 1,"
            + " got " + factor);
      }
      this.compression = factor;
      return this;
    }

    /** Where the HTTP server listens, {@code host:port} (default {@code 127.0.0.1:0}, a free port). */
    public Options listen(String hostAndPort) {
      Objects.requireNonNull(hostAndPort, "hostAndPort");
      int colon = hostAndPort.lastIndexOf(':');
      if (colon < 1 || !hostAndPort.substring(colon + 1).matches("\\d{1,5}")
          || Integer.parseInt(hostAndPort.substring(colon + 1)) > 65535) {
        throw new IllegalArgumentException("listen address must be host:port (port 0 for a free"
            + " one), got '" + hostAndPort + "'");
      }
      this.listen = hostAndPort;
      return this;
    }

    /** The seed of the boards' step times (default 1). */
    public Options seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** The number of devices. */
    public int devices() {
      return devices;
    }

    /** The compression factor. */
    public double compression() {
      return compression;
    }

    /** The listen address. */
    public String listen() {
      return listen;
    }
  }
}
