package org.mozpool.testkit.sim;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.commons.net.tftp.TFTP;
import org.apache.commons.net.tftp.TFTPClient;
import org.mozpool.DeviceSpec;
import org.mozpool.Inventory;
import org.mozpool.spi.Cancellable;
import org.mozpool.spi.DeviceTarget;
import org.mozpool.testkit.agent.SutAgentEmulator;
import org.mozpool.testkit.faults.Fault;
import org.mozpool.testkit.faults.FaultLog;
import org.mozpool.testkit.faults.FaultProfile;
import org.mozpool.testkit.relay.RelayBoardEmulator;

/**
 * A simulated lab on the wire, in real time: ProXR relay-board emulators on 127.0.0.1 (one per
 * chassis), and {@linkplain SimulatedDevice simulated pandas} that follow their relays, fetch their
 * PXE config over TFTP from the pool's TFTP server, post their live-image events with their token
 * to the pool's callback endpoint over HTTP, and — once booted — accept TCP probes and speak the SUT
 * agent protocol on their own loopback address ({@code 127.0.x.y}). The pool itself (relay driver,
 * PXE boot control, TFTP server, callback server, probes) is the caller's: typically
 * {@code mozpool-bmm}'s, so that the real drivers meet the simulated boards.
 *
 * <pre>{@code
 * try (WireLab lab = WireLab.builder().devices(4).tftp(tftp.address(), tftp.port()).build()) {
 *   lab.registerInventory(pool.inventory());
 *   ...
 * }
 * }</pre>
 *
 * <p>The fault profile's device faults apply as in the virtual mode; relay-board faults are
 * injected explicitly through {@link #relayBoard(int)}. Thread safe. {@link #close()} stops every
 * emulator, socket and thread.
 */
public final class WireLab implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<RelayBoardEmulator> boards = new ArrayList<>();
  private final Map<String, SimulatedDevice> devices = new LinkedHashMap<>();
  private final Map<String, DeviceSpec> specs = new LinkedHashMap<>();
  private final Map<String, InetAddress> addresses = new HashMap<>();
  private final Map<String, SutAgentEmulator> agents = new ConcurrentHashMap<>();
  private final Map<String, PingResponder> pings = new ConcurrentHashMap<>();
  private final Map<String, String> kernelLines = new ConcurrentHashMap<>();
  private final FaultLog faultLog = new FaultLog();
  private final ScheduledExecutorService scheduler;
  private final HttpClient http;
  private final InetSocketAddress tftp;
  private final int agentPort;
  private final int pingPort;
  private final Duration tftpTimeout;
  private volatile boolean closed;

  private WireLab(Builder b) {
    this.tftp = Objects.requireNonNull(b.tftp, "the TFTP server's address is required: tftp(...)");
    this.agentPort = b.agentPort;
    this.pingPort = b.pingPort;
    this.tftpTimeout = b.tftpTimeout;
    ScheduledThreadPoolExecutor ex = new ScheduledThreadPoolExecutor(b.threads, r -> {
      Thread t = new Thread(r, "wire-lab");
      t.setDaemon(true);
      return t;
    });
    ex.setRemoveOnCancelPolicy(true);
    this.scheduler = ex;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    try {
      int chassisCount = (b.devices + b.chassisSize - 1) / b.chassisSize;
      for (int c = 0; c < chassisCount; c++) {
        boards.add(RelayBoardEmulator.start((b.chassisSize + 7) / 8));
      }
      List<DeviceSpec> base = LabInventory.pandas(b.devices, b.chassisSize);
      Random labRandom = new Random(b.seed);
      DeviceHost host = new WireHost();
      for (int i = 0; i < base.size(); i++) {
        int chassis = i / b.chassisSize;
        int slot = i % b.chassisSize;
        int bank = slot / 8 + 1;
        int relay = slot % 8 + 1;
        InetAddress ip = InetAddress.getByName("127.0." + (1 + i / 250) + "." + (1 + i % 250));
        DeviceSpec spec = DeviceSpec.builder(base.get(i).name()).fqdn(ip.getHostAddress())
            .mac(base.get(i).mac()).hardwareType(LabInventory.PANDA).hardwareModel("ES Rev B2")
            .tag("chassis", Integer.toString(chassis + 1))
            .powerAddress(boards.get(chassis).powerAddress(bank, relay)).build();
        Set<Fault> defects = EnumSet.noneOf(Fault.class);
        drawDefects(labRandom, b.faults, defects);
        defects.addAll(b.defects.getOrDefault(spec.name(), Set.of()));
        for (Fault f : defects) {
          faultLog.record(Instant.now(), spec.name(), f, "persistent defect");
        }
        SimulatedDevice d = new SimulatedDevice(DeviceTarget.of(spec), defects, b.timings,
            b.faults, faultLog, new Random(b.seed * 1_000_003L + i),
            SimulatedDevice.thermalRandom(b.seed, i), config -> config.values()
            .stream().anyMatch(v -> v.contains(VirtualLab.BROKEN_BUILD_MARK)));
        d.attach(host);
        d.liveImage(b.liveImage);
        d.preload(new InstallOrder("android", Map.of(), true));
        devices.put(spec.name(), d);
        specs.put(spec.name(), spec);
        addresses.put(spec.name(), ip);
        if (defects.contains(Fault.FLAKY_RELAY) && b.faults.relayMiss() > 0) {
          // The profile's miss chance is per power cycle, which switches the relay twice.
          double perSwitch = 1 - Math.sqrt(1 - b.faults.relayMiss());
          boards.get(chassis).flakyRelay(bank, relay, perSwitch, b.seed * 1_000_003L + i);
        }
        boards.get(chassis).addListener((bk, rl, relayOn) -> {
          if (bk == bank && rl == relay) {
            d.setPower(!relayOn);
          }
        });
      }
      for (SimulatedDevice d : devices.values()) {
        d.setPower(true); // relays start off: normally closed wiring powers every board
      }
      scheduler.scheduleWithFixedDelay(this::reconcile, 0, 50, TimeUnit.MILLISECONDS);
    } catch (IOException | RuntimeException e) {
      close();
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
  }

  static void drawDefects(Random random, FaultProfile p, Set<Fault> into) {
    double[] rates = {p.deadBoards(), p.badSdCards(), p.flakyRelays(), p.overheating(),
        p.looseNetwork(), p.problemChildren()};
    Fault[] kinds = {Fault.DEAD_BOARD, Fault.BAD_SD_CARD, Fault.FLAKY_RELAY, Fault.OVERHEATING,
        Fault.LOOSE_NETWORK, Fault.PROBLEM_CHILD};
    for (int k = 0; k < kinds.length; k++) {
      if (random.nextDouble() < rates[k]) {
        into.add(kinds[k]);
      }
    }
  }

  /** Opens and closes each device's probe port and agent to match what the device is doing. */
  private void reconcile() {
    if (closed) {
      return;
    }
    for (SimulatedDevice d : devices.values()) {
      try {
        InetAddress ip = addresses.get(d.name());
        if (d.networkUp()) {
          pings.computeIfAbsent(d.name(),
              n -> new PingResponder(new InetSocketAddress(ip, pingPort)));
        } else {
          closeQuietly(pings.remove(d.name()));
        }
        if (d.agentUp()) {
          SutAgentEmulator agent = agents.computeIfAbsent(d.name(),
              n -> SutAgentEmulator.start(new InetSocketAddress(ip, agentPort)));
          agent.fault(d.storageGood() ? SutAgentEmulator.Fault.NONE
              : SutAgentEmulator.Fault.BAD_MD5);
        } else {
          closeQuietly(agents.remove(d.name()));
        }
      } catch (RuntimeException e) {
        // a port still in TIME_WAIT or the like: try again on the next round
      }
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c != null) {
      try {
        c.close();
      } catch (Exception e) {
        // best effort
      }
    }
  }

  /** The wire transport: TFTP for PXE configs, HTTP for the boot config and events. */
  private final class WireHost implements DeviceHost {
    @Override
    public Instant now() {
      return Instant.now();
    }

    @Override
    public Cancellable after(Duration delay, Runnable step) {
      if (closed) {
        return () -> { };
      }
      ScheduledFuture<?> f = scheduler.schedule(() -> {
        try {
          step.run();
        } catch (RuntimeException e) {
          // a simulated board that trips over its own feet just stops, like a real one
        }
      }, delay.toNanos(), TimeUnit.NANOSECONDS);
      return () -> f.cancel(false);
    }

    @Override
    public Optional<String> fetchPxeConfig(SimulatedDevice device) {
      String mac = device.target().mac();
      StringBuilder file = new StringBuilder("pxelinux.cfg/01");
      for (int i = 0; i < 12; i += 2) {
        file.append('-').append(mac, i, i + 2);
      }
      TFTPClient client = new TFTPClient();
      client.setDefaultTimeout(tftpTimeout);
      client.setMaxTimeouts(3);
      try {
        client.open();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        client.receiveFile(file.toString(), TFTP.BINARY_MODE, out, tftp.getAddress(),
            tftp.getPort());
        String text = out.toString(StandardCharsets.UTF_8);
        kernelLines.put(device.name(), text);
        return Optional.of(text);
      } catch (IOException e) {
        return Optional.empty(); // not found (or no answer): u-boot boots the SD card
      } finally {
        client.close();
      }
    }

    @Override
    public Optional<InstallOrder> fetchBootConfig(SimulatedDevice device, String pxeConfig) {
      String image = LabInventory.kernelArg(pxeConfig, "image").orElse("");
      if (image.isEmpty()) {
        return Optional.empty();
      }
      try {
        HttpResponse<String> r = http.send(call(device, pxeConfig, "bootconfig/").GET().build(),
            HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
          return Optional.empty();
        }
        Map<String, Object> raw = JSON.readValue(r.body(), new TypeReference<>() { });
        Map<String, String> config = new TreeMap<>();
        raw.forEach((k, v) -> config.put(k, String.valueOf(v)));
        return Optional.of(new InstallOrder(image, config, true));
      } catch (IOException e) {
        return Optional.empty();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Optional.empty();
      }
    }

    @Override
    public void postEvent(SimulatedDevice device, String event, Map<String, Object> args) {
      String line = kernelLines.get(device.name());
      if (line == null) {
        return;
      }
      try {
        http.send(call(device, line, "event/" + event + "/")
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(args))).build(),
            HttpResponse.BodyHandlers.discarding());
      } catch (IOException e) {
        // the callback was lost: Lifeguard's timeouts deal with it
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    private HttpRequest.Builder call(SimulatedDevice device, String kernelLine, String path) {
      String server = LabInventory.kernelArg(kernelLine, "server").orElse("http://127.0.0.1/");
      String token = LabInventory.kernelArg(kernelLine, "token").orElse("");
      return HttpRequest.newBuilder(URI.create(server.endsWith("/") ? server : server + "/")
              .resolve("api/device/" + device.name() + "/" + path))
          .timeout(Duration.ofSeconds(15))
          .header("Authorization", "Bearer " + token);
    }
  }

  /** A new builder: 4 pandas, chassis of 16, seed 1, no faults, panda timings compressed 20×. */
  public static Builder builder() {
    return new Builder();
  }

  /** The devices as registered with a pool: power addresses at the emulated relay boards. */
  public List<DeviceSpec> deviceSpecs() {
    return List.copyOf(specs.values());
  }

  /** Registers the standard images and PXE configs, and every device. */
  public void registerInventory(Inventory inventory) {
    LabInventory.registerImages(inventory);
    specs.values().forEach(inventory::registerDevice);
  }

  /** The relay board of chassis {@code chassis} (from 1), e.g. to make it hang. */
  public RelayBoardEmulator relayBoard(int chassis) {
    if (chassis < 1 || chassis > boards.size()) {
      throw new IllegalArgumentException("chassis must be 1.." + boards.size() + ", got " + chassis);
    }
    return boards.get(chassis - 1);
  }

  /** The simulated board named {@code name}. @throws IllegalArgumentException if unknown */
  public SimulatedDevice device(String name) {
    SimulatedDevice d = devices.get(name);
    if (d == null) {
      throw new IllegalArgumentException("no simulated device named '" + name + "'");
    }
    return d;
  }

  /** Every simulated board, by name. */
  public Collection<SimulatedDevice> devices() {
    return Collections.unmodifiableCollection(devices.values());
  }

  /** The loopback address a device answers on once booted. */
  public InetAddress address(String device) {
    device(device);
    return addresses.get(device);
  }

  /** The port booted devices accept TCP probes on. */
  public int pingPort() {
    return pingPort;
  }

  /** The port booted devices run their SUT agent on. */
  public int agentPort() {
    return agentPort;
  }

  /** Every fault injected so far. */
  public FaultLog faultLog() {
    return faultLog;
  }

  /** Stops every emulator, socket and thread. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    agents.values().forEach(WireLab::closeQuietly);
    pings.values().forEach(WireLab::closeQuietly);
    boards.forEach(WireLab::closeQuietly);
  }

  /**
   * Fluent configuration of a {@link WireLab}. Each setter checks its value at once and throws
   * naming the setting and the value; {@link #build()} checks that the TFTP server's address was
   * given. Not thread safe.
   */
  public static final class Builder {
    private int devices = 4;
    private int chassisSize = 16;
    private long seed = 1;
    private FaultProfile faults = FaultProfile.none();
    private final Map<String, Set<Fault>> defects = new TreeMap<>();
    private DeviceTimings timings = DeviceTimings.pandas().compressed(20);
    private InetSocketAddress tftp;
    private int agentPort = SutAgentEmulator.DEFAULT_PORT;
    private int pingPort = 20722;
    private Duration tftpTimeout = Duration.ofSeconds(1);
    private int threads = 8;
    private LiveImage liveImage;

    private Builder() {}

    /**
     * How many pandas (default 4; at most 1,000).
     *
     * @throws IllegalArgumentException if {@code count} is not 1 to 1000
     */
    public Builder devices(int count) {
      if (count < 1 || count > 1000) {
        throw new IllegalArgumentException("a wire lab has 1 to 1000 devices, got " + count);
      }
      this.devices = count;
      return this;
    }

    /**
     * Boards per chassis and relay board (default 16, at most 32).
     *
     * @throws IllegalArgumentException if {@code size} is not 1 to 32
     */
    public Builder chassisSize(int size) {
      if (size < 1 || size > 32) {
        throw new IllegalArgumentException("a chassis holds 1 to 32 boards, got " + size);
      }
      this.chassisSize = size;
      return this;
    }

    /** The seed of the devices' random faults and step times (default 1; any value). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * How often devices misbehave (default {@link FaultProfile#none()}).
     *
     * @throws NullPointerException if {@code faults} is null
     */
    public Builder faults(FaultProfile faults) {
      this.faults = Objects.requireNonNull(faults, "faults");
      return this;
    }

    /**
     * Gives the device named {@code device} a persistent defect, beside any drawn at random
     * (default: none).
     *
     * @throws NullPointerException if either is null
     * @throws IllegalArgumentException if {@code defect} is not a {@linkplain Fault#persistent()
     *     persistent} one
     */
    public Builder defect(String device, Fault defect) {
      Objects.requireNonNull(device, "device");
      Objects.requireNonNull(defect, "defect");
      if (!defect.persistent()) {
        throw new IllegalArgumentException(defect + " is not a persistent defect");
      }
      defects.computeIfAbsent(Objects.requireNonNull(device, "device"),
          d -> EnumSet.noneOf(Fault.class)).add(defect);
      return this;
    }

    /**
     * Step durations (default the pandas' compressed 20×, so an imaging takes ~10 s).
     *
     * @throws NullPointerException if {@code timings} is null
     */
    public Builder timings(DeviceTimings timings) {
      this.timings = Objects.requireNonNull(timings, "timings");
      return this;
    }

    /**
     * Where the pool's TFTP server listens (required, no default).
     *
     * @throws NullPointerException if {@code address} is null
     * @throws IllegalArgumentException if {@code port} is not 1 to 65535
     */
    public Builder tftp(InetAddress address, int port) {
      checkPort(port, "TFTP port");
      this.tftp = new InetSocketAddress(Objects.requireNonNull(address, "address"), port);
      return this;
    }

    /**
     * The SUT agent port of booted devices (default 20701).
     *
     * @throws IllegalArgumentException if {@code port} is not 1 to 65535
     */
    public Builder agentPort(int port) {
      checkPort(port, "agent port");
      this.agentPort = port;
      return this;
    }

    /**
     * The port booted devices accept TCP probes on (default 20722).
     *
     * @throws IllegalArgumentException if {@code port} is not 1 to 65535
     */
    public Builder pingPort(int port) {
      checkPort(port, "ping port");
      this.pingPort = port;
      return this;
    }

    /**
     * How long a device's TFTP client waits for each packet (default 1 s).
     *
     * @throws NullPointerException if {@code timeout} is null
     * @throws IllegalArgumentException if it is zero or negative
     */
    public Builder tftpTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "tftpTimeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("tftpTimeout must be positive, got " + timeout);
      }
      this.tftpTimeout = timeout;
      return this;
    }

    /**
     * Threads that run the devices' steps (default 8; steps block on TFTP and HTTP).
     *
     * @throws IllegalArgumentException if {@code threads} is less than 1
     */
    public Builder threads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be positive, got " + threads);
      }
      this.threads = threads;
      return this;
    }

    /**
     * Runs {@code liveImage} whenever a board network-boots, instead of simulating the live image
     * (default: simulated). The real thing then reports the events, fetches the boot config and
     * reboots the board through {@link LiveBoot#reboot}.
     */
    public Builder liveImage(LiveImage liveImage) {
      this.liveImage = Objects.requireNonNull(liveImage, "liveImage");
      return this;
    }

    /**
     * Starts the relay boards and powers every device.
     *
     * @throws NullPointerException if {@link #tftp} was never called
     */
    public WireLab build() {
      return new WireLab(this);
    }

    private static void checkPort(int port, String what) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException(what + " must be 1 to 65535, got " + port);
      }
    }
  }
}
