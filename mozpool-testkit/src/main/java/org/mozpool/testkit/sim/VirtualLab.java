package org.mozpool.testkit.sim;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.mozpool.DeviceSpec;
import org.mozpool.DeviceStates;
import org.mozpool.DeviceView;
import org.mozpool.Mozpool;
import org.mozpool.Pool;
import org.mozpool.PoolListener;
import org.mozpool.PoolPolicy;
import org.mozpool.core.DeviceSelectors;
import org.mozpool.core.VirtualTimekeeper;
import org.mozpool.lifeguard.LifeguardPolicy;
import org.mozpool.lifeguard.StandardLifeguard;
import org.mozpool.spi.AttentionListener;
import org.mozpool.spi.BootControl;
import org.mozpool.spi.Cancellable;
import org.mozpool.spi.DeviceChooser;
import org.mozpool.spi.DeviceProbe;
import org.mozpool.spi.DeviceSelector;
import org.mozpool.spi.DeviceTarget;
import org.mozpool.spi.LifeguardFactory;
import org.mozpool.spi.PoolStore;
import org.mozpool.spi.PowerControl;
import org.mozpool.spi.QueuePolicy;
import org.mozpool.testkit.faults.Fault;
import org.mozpool.testkit.faults.FaultLog;
import org.mozpool.testkit.faults.FaultProfile;

/**
 * A simulated lab on virtual time: {@code N} {@linkplain SimulatedDevice simulated pandas} behind
 * in-process relay boards, PXE configs and probes, and a running {@link Pool} over them. Everything
 * runs on the thread that advances the {@linkplain #time() virtual clock}, so a run is
 * reproducible from its seed and a simulated week takes as long as its work.
 *
 * <pre>{@code
 * try (VirtualLab lab = VirtualLab.builder().devices(16).seed(7).build()) {
 *   lab.settle(Duration.ofMinutes(30));          // initial self-tests
 *   Lease lease = lab.pool().request(RequestSpec.any().image("android").build());
 *   lease.awaitReady(Duration.ofMinutes(30));    // runs virtual time until ready
 * }
 * }</pre>
 *
 * <p>Not thread safe: drive it from one thread. {@link #close()} closes the pool, the timekeeper
 * and the store.
 */
public final class VirtualLab implements AutoCloseable {
  /** Boot-config values containing this text name a broken build (see {@link Builder#badBuild}). */
  public static final String BROKEN_BUILD_MARK = "broken";

  private final VirtualTimekeeper time;
  private final Pool pool;
  private final PoolStore store;
  private final Map<String, SimulatedDevice> devices;
  private final FaultLog faultLog;
  private final FaultProfile faults;
  private final long seed;
  private boolean closed;

  private VirtualLab(Builder b) {
    this.seed = b.seed;
    this.faults = b.faults;
    this.faultLog = new FaultLog();
    this.time = b.time != null ? b.time : new VirtualTimekeeper(b.start);
    this.store = b.store;
    Random labRandom = new Random(b.seed);
    List<DeviceSpec> specs = b.specs();
    Map<String, SimulatedDevice> sims = new LinkedHashMap<>();
    Set<String> badBuilds = Set.copyOf(b.badBuilds);
    Predicate<Map<String, String>> badBuild = config -> config.values().stream()
        .anyMatch(v -> v.contains(BROKEN_BUILD_MARK) || badBuilds.contains(v));
    Instant start = time.now();
    for (int i = 0; i < specs.size(); i++) {
      DeviceSpec spec = specs.get(i);
      Set<Fault> defects = drawDefects(labRandom, b.faults);
      defects.addAll(b.defects.getOrDefault(spec.name(), Set.of()));
      for (Fault f : defects) {
        faultLog.record(start, spec.name(), f, "persistent defect");
      }
      sims.put(spec.name(), new SimulatedDevice(DeviceTarget.of(spec), defects, b.timings,
          b.faults, faultLog, new Random(b.seed * 1_000_003L + i),
          SimulatedDevice.thermalRandom(b.seed, i), badBuild));
    }
    this.devices = Collections.unmodifiableMap(sims);

    InProcessBootAndProbes boot = new InProcessBootAndProbes(time, devices::get);
    InProcessRelays relays = new InProcessRelays(time, devices::get, b.faults, faultLog,
        new Random(b.seed ^ 0x5DEECE66DL));
    AtomicLong ids = new AtomicLong();
    Supplier<String> requestIds = b.requestIds != null ? b.requestIds
        : () -> "req-" + ids.incrementAndGet();
    Mozpool.Builder pb = Mozpool.builder()
        .lifeguard(b.lifeguard)
        .timekeeper(time)
        .powerControl(b.powerControl != null ? b.powerControl : relays)
        .bootControl(b.bootControl != null ? b.bootControl : boot)
        .deviceProbe(b.deviceProbe != null ? b.deviceProbe : boot)
        .requestIds(requestIds)
        .policy(b.policy);
    if (b.chooser != null) {
      pb.chooser(b.chooser);
    } else {
      pb.selector(b.selector != null ? b.selector : DeviceSelectors.random(b.seed));
    }
    if (b.queuePolicy != null) {
      pb.queuePolicy(b.queuePolicy);
    }
    if (b.store != null) {
      pb.store(b.store);
    }
    if (b.attention != null) {
      pb.attentionListener(b.attention);
    }
    if (b.meterRegistry != null) {
      pb.meterRegistry(b.meterRegistry);
    }
    this.pool = pb.build();
    for (PoolListener l : b.listeners) {
      pool.addListener(l);
    }

    DeviceHost host = new VirtualHost(boot);
    for (SimulatedDevice d : devices.values()) {
      d.attach(host);
      // Boards sit powered on their last image at the start of a run; a fresh lab has an
      // android build on every card so that idle health probes have an agent to talk to.
      d.preload(new InstallOrder("android", Map.of(), true));
      d.setPower(true);
    }
    Set<String> types = new java.util.TreeSet<>();
    specs.forEach(spec -> types.add(spec.hardwareType()));
    LabInventory.registerImages(pool.inventory(), types, b.images);
    for (DeviceSpec spec : specs) {
      pool.inventory().registerDevice(spec);
    }
  }

  private static Set<Fault> drawDefects(Random random, FaultProfile p) {
    Set<Fault> defects = EnumSet.noneOf(Fault.class);
    double[] rates = {p.deadBoards(), p.badSdCards(), p.flakyRelays(), p.overheating(),
        p.looseNetwork(), p.problemChildren()};
    Fault[] kinds = {Fault.DEAD_BOARD, Fault.BAD_SD_CARD, Fault.FLAKY_RELAY, Fault.OVERHEATING,
        Fault.LOOSE_NETWORK, Fault.PROBLEM_CHILD};
    for (int k = 0; k < kinds.length; k++) {
      // Always draw, so that the same seed gives the same boards whatever the rates are.
      double r = random.nextDouble();
      if (r < rates[k]) {
        defects.add(kinds[k]);
      }
    }
    return defects;
  }

  /** The in-process transport: virtual clock, PXE map, and Lifeguard's event entry point. */
  private final class VirtualHost implements DeviceHost {
    private final InProcessBootAndProbes boot;

    VirtualHost(InProcessBootAndProbes boot) {
      this.boot = boot;
    }

    @Override
    public Instant now() {
      return time.now();
    }

    @Override
    public Cancellable after(Duration delay, Runnable step) {
      return time.schedule(time.now().plus(delay), step);
    }

    @Override
    public Optional<String> fetchPxeConfig(SimulatedDevice device) {
      return boot.pxeConfig(device.target().mac());
    }

    @Override
    public Optional<InstallOrder> fetchBootConfig(SimulatedDevice device, String pxeConfig) {
      DeviceView view = pool.inventory().device(device.name());
      if (view.nextImage().isEmpty()) {
        return Optional.empty();
      }
      boolean agent = pool.inventory().image(view.nextImage()).map(i -> i.hasAgent()).orElse(false);
      return Optional.of(new InstallOrder(view.nextImage(), view.nextBootConfig(), agent));
    }

    @Override
    public void postEvent(SimulatedDevice device, String event, Map<String, Object> args) {
      pool.lifeguard().deviceEvent(device.name(), event, args);
    }
  }

  /** A new builder: 16 pandas, seed 1, no faults, panda timings, in-memory store. */
  public static Builder builder() {
    return new Builder();
  }

  /** The running pool over this lab. */
  public Pool pool() {
    return pool;
  }

  /** The virtual clock and task queue that drive everything. */
  public VirtualTimekeeper time() {
    return time;
  }

  /** The seed this lab was built from. */
  public long seed() {
    return seed;
  }

  /** The fault profile in force. */
  public FaultProfile faults() {
    return faults;
  }

  /** Every fault injected so far, including the persistent defects drawn at the start. */
  public FaultLog faultLog() {
    return faultLog;
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
    return devices.values();
  }

  /** The devices carrying {@code defect}, sorted by name. */
  public List<String> devicesWith(Fault defect) {
    List<String> names = new ArrayList<>();
    for (SimulatedDevice d : devices.values()) {
      if (d.defects().contains(defect)) {
        names.add(d.name());
      }
    }
    return names;
  }

  /** Moves virtual time forward by {@code d}, running everything that falls due. */
  public void advance(Duration d) {
    time.advance(d);
  }

  /**
   * Runs virtual time until no device is in a transient (working) state — every one is
   * {@code ready}, failed or parked — or {@code max} passes.
   *
   * @return whether the lab settled within {@code max}
   */
  public boolean settle(Duration max) {
    Instant limit = time.now().plus(max);
    while (true) {
      if (isSettled()) {
        return true;
      }
      if (!time.now().isBefore(limit)) {
        return false;
      }
      Instant step = time.now().plus(Duration.ofSeconds(30));
      time.advanceTo(step.isAfter(limit) ? limit : step);
    }
  }

  private boolean isSettled() {
    for (Map.Entry<String, Integer> e : pool.inventory().deviceStateCounts().entrySet()) {
      String s = e.getKey();
      boolean steady = s.equals(DeviceStates.READY) || DeviceStates.isFailed(s)
          || s.equals(DeviceStates.MAINTENANCE_MODE) || s.equals(DeviceStates.TROUBLESHOOTING)
          || s.equals(DeviceStates.LOCKED_OUT);
      if (!steady && e.getValue() > 0) {
        return false;
      }
    }
    return true;
  }

  /** Device counts per Lifeguard state, sorted by state. */
  public Map<String, Integer> stateCounts() {
    return new TreeMap<>(pool.inventory().deviceStateCounts());
  }

  /** Closes the pool, the timekeeper and the store. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    pool.close();
    time.close();
    if (store != null) {
      store.close();
    }
  }

  /**
   * Fluent configuration of a {@link VirtualLab}. Each setter checks its value at once and throws
   * naming the setting and the value; {@link #build()} checks what depends on more than one
   * setting (a defect's device must be one of the lab's). Not thread safe.
   */
  public static final class Builder {
    private int devices = 16;
    private int chassisSize = 16;
    private long seed = 1;
    private FaultProfile faults = FaultProfile.none();
    private final Map<String, Set<Fault>> defects = new TreeMap<>();
    private final Set<String> badBuilds = new HashSet<>();
    private DeviceTimings timings = DeviceTimings.pandas();
    private PoolStore store;
    private LifeguardFactory lifeguard = StandardLifeguard.factory();
    private PowerControl powerControl;
    private BootControl bootControl;
    private DeviceProbe deviceProbe;
    private PoolPolicy policy = PoolPolicy.defaults();
    private DeviceSelector selector;
    private DeviceChooser chooser;
    private QueuePolicy queuePolicy;
    private AttentionListener attention;
    private Instant start = VirtualTimekeeper.DEFAULT_START;
    private final List<PoolListener> listeners = new ArrayList<>();
    private VirtualTimekeeper time;
    private Supplier<String> requestIds;
    private io.micrometer.core.instrument.MeterRegistry meterRegistry;
    private List<String> names;
    private String hardwareType = LabInventory.PANDA;
    private final Map<String, String> tags = new TreeMap<>();
    private final Set<String> images = new java.util.LinkedHashSet<>();

    private Builder() {}

    /**
     * Where the pool publishes its metrics (default none), as {@code
     * Mozpool.builder().meterRegistry}: lets a test check the meters against the faults it
     * injected.
     *
     * @throws NullPointerException if {@code registry} is null
     */
    public Builder meterRegistry(io.micrometer.core.instrument.MeterRegistry registry) {
      this.meterRegistry = Objects.requireNonNull(registry, "meterRegistry");
      return this;
    }

    /**
     * Names the lab's devices (default {@code panda-0001} on), one device per name, in chassis in
     * this order; replaces the count of {@link #devices(int)}.
     *
     * @throws IllegalArgumentException if there is no name, a name repeats, or a name is not a
     *     valid device name
     */
    public Builder deviceNames(List<String> names) {
      if (names.isEmpty()) {
        throw new IllegalArgumentException("a lab needs at least one device, got no names");
      }
      Set<String> seen = new HashSet<>();
      for (String name : names) {
        requireName(name, "device name");
        if (!seen.add(name)) {
          throw new IllegalArgumentException("device name '" + name + "' is given twice");
        }
      }
      this.names = List.copyOf(names);
      this.devices = names.size();
      return this;
    }

    /**
     * The hardware type of every device (default {@value LabInventory#PANDA}); the lab registers
     * it with the PXE configs of the simulated live image.
     *
     * @throws IllegalArgumentException if it is not a valid name
     */
    public Builder hardwareType(String type) {
      this.hardwareType = requireName(type, "hardware type");
      return this;
    }

    /**
     * Gives every device the tag {@code key=value}, beside its {@code chassis} tag (default:
     * none).
     *
     * @throws NullPointerException if either is null
     */
    public Builder tag(String key, String value) {
      tags.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /**
     * Registers an installable image {@code name} beside {@code b2g} and {@code android}, which
     * the simulated boards install as they install {@code android} (default: none).
     *
     * @throws IllegalArgumentException if it is not a valid image name
     */
    public Builder image(String name) {
      images.add(requireName(name, "image name"));
      return this;
    }

    /** Names as the pool's: checked here so that a bad one is refused when configured. */
    private static String requireName(String name, String what) {
      if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")) {
        throw new IllegalArgumentException(what + " must be 1-128 letters, digits, '.', '_', ':'"
            + " or '-' starting with a letter or digit, got "
            + (name == null ? "null" : "'" + name + "'"));
      }
      return name;
    }

    /** The devices this configuration makes, in order. */
    private List<DeviceSpec> specs() {
      List<DeviceSpec> pandas = LabInventory.pandas(devices, chassisSize);
      List<DeviceSpec> specs = new ArrayList<>(pandas.size());
      for (int i = 0; i < pandas.size(); i++) {
        DeviceSpec panda = pandas.get(i);
        DeviceSpec.Builder spec = names == null ? panda.toBuilder()
            : DeviceSpec.builder(names.get(i)).fqdn(names.get(i) + ".lab").mac(panda.mac())
                .hardwareModel(panda.hardwareModel()).powerAddress(panda.powerAddress())
                .tag("chassis", panda.tags().get("chassis"));
        spec.hardwareType(hardwareType);
        tags.forEach(spec::tag);
        specs.add(spec.build());
      }
      return specs;
    }

    /**
     * How many pandas (default 16), named {@code panda-0001} on.
     *
     * @throws IllegalArgumentException if {@code count} is less than 1
     */
    public Builder devices(int count) {
      if (count < 1) {
        throw new IllegalArgumentException("a lab needs at least one device, got " + count);
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

    /** The seed of every random choice (default 1; any value). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * How often things go wrong (default {@link FaultProfile#none()}).
     *
     * @throws NullPointerException if {@code faults} is null
     */
    public Builder faults(FaultProfile faults) {
      this.faults = Objects.requireNonNull(faults, "faults");
      return this;
    }

    /**
     * Gives the device named {@code device} a persistent defect, beside any drawn at random
     * (default: none). {@link #build()} checks that the lab has that device.
     *
     * @throws NullPointerException if either is null
     * @throws IllegalArgumentException if {@code defect} is not a {@linkplain Fault#persistent()
     *     persistent} one
     */
    public Builder defect(String device, Fault defect) {
      Objects.requireNonNull(device, "device");
      Objects.requireNonNull(defect, "defect");
      if (!defect.persistent()) {
        throw new IllegalArgumentException(defect + " is not a persistent defect; expected one of"
            + " DEAD_BOARD, BAD_SD_CARD, FLAKY_RELAY, OVERHEATING, LOOSE_NETWORK, PROBLEM_CHILD");
      }
      defects.computeIfAbsent(device, d -> EnumSet.noneOf(Fault.class)).add(defect);
      return this;
    }

    /**
     * Declares a boot-config value (e.g. a {@code b2gbase} URL) to be a broken build: devices
     * asked to install it report {@code image_failed}. Values containing
     * {@value VirtualLab#BROKEN_BUILD_MARK} are always broken (default: no other value).
     *
     * @throws NullPointerException if {@code value} is null
     */
    public Builder badBuild(String value) {
      badBuilds.add(Objects.requireNonNull(value, "value"));
      return this;
    }

    /**
     * Step durations (default {@link DeviceTimings#pandas()}).
     *
     * @throws NullPointerException if {@code timings} is null
     */
    public Builder timings(DeviceTimings timings) {
      this.timings = Objects.requireNonNull(timings, "timings");
      return this;
    }

    /**
     * The pool's store (default in memory). The lab closes it.
     *
     * @throws NullPointerException if {@code store} is null
     */
    public Builder store(PoolStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /**
     * The device layer (default {@code StandardLifeguard.factory()}); replaces an earlier
     * {@link #lifeguardPolicy}.
     *
     * @throws NullPointerException if {@code lifeguard} is null
     */
    public Builder lifeguard(LifeguardFactory lifeguard) {
      this.lifeguard = Objects.requireNonNull(lifeguard, "lifeguard");
      return this;
    }

    /**
     * The pool's power control, in place of the lab's in-process relays (default: those, which
     * switch the simulated boards). With a power control of your own, such as a {@link
     * org.mozpool.testkit.doubles.ScriptedHardware}, the simulated boards no longer see power
     * events: they stay as they are, powered on their last image, never reboot into a live image
     * and so post no device events; Lifeguard sees only what your driver answers. To keep the
     * boards in the loop, script the Lifeguard instead ({@link #lifeguard}) or leave this unset.
     *
     * @throws NullPointerException if {@code powerControl} is null
     */
    public Builder powerControl(PowerControl powerControl) {
      this.powerControl = Objects.requireNonNull(powerControl, "powerControl");
      return this;
    }

    /**
     * The pool's boot control, in place of the lab's in-process PXE configs (default: those). With
     * a boot control of your own the simulated boards see no PXE config: a power-cycled board boots
     * from its own storage, as a board does whose PXE server has nothing for it.
     *
     * @throws NullPointerException if {@code bootControl} is null
     */
    public Builder bootControl(BootControl bootControl) {
      this.bootControl = Objects.requireNonNull(bootControl, "bootControl");
      return this;
    }

    /**
     * The pool's device probe, in place of the lab's in-process pings, agent and storage checks
     * (default: those, which ask the simulated boards). With a probe of your own the boards are no
     * longer asked: whether a device answers is whatever your probe says.
     *
     * @throws NullPointerException if {@code deviceProbe} is null
     */
    public Builder deviceProbe(DeviceProbe deviceProbe) {
      this.deviceProbe = Objects.requireNonNull(deviceProbe, "deviceProbe");
      return this;
    }

    /**
     * Request timeouts and limits (default {@link PoolPolicy#defaults()}).
     *
     * @throws NullPointerException if {@code policy} is null
     */
    public Builder policy(PoolPolicy policy) {
      this.policy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Device selection (default: random, seeded from the lab's seed).
     *
     * @throws NullPointerException if {@code selector} is null
     */
    public Builder selector(DeviceSelector selector) {
      this.selector = Objects.requireNonNull(selector, "selector");
      return this;
    }

    /**
     * Device selection seeing the whole context (the pool's {@code chooser}); replaces
     * {@link #selector} when given.
     *
     * @throws NullPointerException if {@code chooser} is null
     */
    public Builder chooser(DeviceChooser chooser) {
      this.chooser = Objects.requireNonNull(chooser, "chooser");
      return this;
    }

    /**
     * Who may have which device, and who is offered a freed device first (default: priority,
     * then age).
     *
     * @throws NullPointerException if {@code queuePolicy} is null
     */
    public Builder queuePolicy(QueuePolicy queuePolicy) {
      this.queuePolicy = Objects.requireNonNull(queuePolicy, "queuePolicy");
      return this;
    }

    /**
     * Who hears about devices that need a human (default: the pool's warning in the log).
     *
     * @throws NullPointerException if {@code listener} is null
     */
    public Builder attentionListener(AttentionListener listener) {
      this.attention = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * The virtual time to run on (default: a new one starting at {@link #start}); pass one to
     * share its clock with parts built before the lab, such as an {@code OutageStore}. The lab
     * closes it.
     *
     * @throws NullPointerException if {@code time} is null
     */
    public Builder time(VirtualTimekeeper time) {
      this.time = Objects.requireNonNull(time, "time");
      return this;
    }

    /**
     * Adds a listener before any device registers, so that it hears every state change (default:
     * none).
     *
     * @throws NullPointerException if {@code listener} is null
     */
    public Builder listener(PoolListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Where request ids come from (default {@code req-1}, {@code req-2}, … counted from 1 by each
     * lab). A lab that reopens a persistent store filled by an earlier lab needs ids that do not
     * repeat the earlier ones.
     *
     * @throws NullPointerException if {@code requestIds} is null
     */
    public Builder requestIds(Supplier<String> requestIds) {
      this.requestIds = Objects.requireNonNull(requestIds, "requestIds");
      return this;
    }

    /**
     * Where virtual time starts (default {@link VirtualTimekeeper#DEFAULT_START}); not used when
     * a {@link #time} is given.
     *
     * @throws NullPointerException if {@code start} is null
     */
    public Builder start(Instant start) {
      this.start = Objects.requireNonNull(start, "start");
      return this;
    }

    /**
     * The standard Lifeguard with {@code policy} (default {@code LifeguardPolicy.defaults()});
     * replaces an earlier {@link #lifeguard}.
     *
     * @throws NullPointerException if {@code policy} is null
     */
    public Builder lifeguardPolicy(LifeguardPolicy policy) {
      this.lifeguard = StandardLifeguard.factory(Objects.requireNonNull(policy, "policy"));
      return this;
    }

    /**
     * Builds the lab and starts its pool; every device registers as {@code new} and starts its
     * self-test when virtual time next runs.
     *
     * @throws IllegalArgumentException if a {@linkplain #defect defect} names a device the lab
     *     does not have
     */
    public VirtualLab build() {
      List<String> known = specs().stream().map(DeviceSpec::name).toList();
      for (String name : defects.keySet()) {
        if (!known.contains(name)) {
          throw new IllegalArgumentException("defect for unknown device '" + name + "': this lab"
              + (names == null ? " has panda-0001 to " + String.format("panda-%04d", devices)
                  : "'s devices are " + known));
        }
      }
      return new VirtualLab(this);
    }
  }
}
