package org.mozpool.testkit.sim;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;
import org.mozpool.spi.Cancellable;
import org.mozpool.spi.DeviceTarget;
import org.mozpool.testkit.faults.Fault;
import org.mozpool.testkit.faults.FaultLog;
import org.mozpool.testkit.faults.FaultProfile;

/**
 * One simulated board — the behaviour model shared by the virtual and the wire mode. It follows
 * its power: at power-on u-boot runs, then the board network-boots into the live image when its
 * {@linkplain DeviceHost#fetchPxeConfig PXE config} is present, or boots the image on its SD card
 * otherwise. The live image reports {@code mobile_init_started}, then according to its PXE config
 * installs an image ({@code image_downloading}, {@code image_extracting}, {@code
 * image_rebooting}), runs the self-test ({@code self_test_running}, then {@code self_test_ok} or
 * {@code failed_self_test}) or enters maintenance ({@code maint_mode}). Once booted it answers
 * pings, its agent and storage checks — unless a fault says otherwise. In a {@link WireLab}
 * given a {@link LiveImage}, the board runs that instead of simulating the live image.
 *
 * <p>Faults come from the {@link FaultProfile} (per-step probabilities, drawn from the device's
 * own seeded random source) and from its persistent {@linkplain #defects() defects}; every fault
 * that strikes is recorded in the {@link FaultLog}.
 *
 * <p>Temperature: the board has a CPU sensor the live image reads ({@link #temperature()}). A
 * powered board warms towards its running temperature and an unpowered one cools towards the
 * rack's {@value #AMBIENT_C} C, each exponentially, so a power cycle of a few seconds leaves a hot
 * board hot. A healthy board runs at {@value #HEALTHY_MIN_C}–{@value #HEALTHY_MAX_C} C (its own
 * value, drawn once), reaching it within {@link #HEALTHY_WARMING}; an {@link Fault#OVERHEATING}
 * board runs towards {@value #OVERHEATING_C} C with a time constant of a quarter of {@link
 * FaultProfile#overheatAfter()}, so it crosses the live image's {@value #SELF_TEST_LIMIT_C} C
 * after about a third of the time it takes to hang (which stays as the fault profile says:
 * {@code overheatAfter} of continuous power). Readings carry sensor noise (standard deviation
 * {@value #SENSOR_NOISE_C} C), drawn from a random source of their own so that reading the sensor
 * does not change the board's other faults. The simulated live image reports a {@code
 * temperature} reading with every event, as {@code "97.0"} (degrees Celsius with one decimal,
 * like mozpool-bmm's scripts); its self-test fails with {@code failed: temperature} at or over
 * {@value #SELF_TEST_LIMIT_C} C (the real self-test's default {@code MOZPOOL_MAX_TEMP_C}).
 *
 * <p>Thread safe: power changes, scheduled steps
 * and probes may come from different threads; host calls are made without holding the lock.
 */
public final class SimulatedDevice {

  /** What the board is doing. */
  public enum Phase {
    /** Unpowered. */
    OFF,
    /** Powered, in the boot loader (or hung in it). */
    UBOOT,
    /** Running the network-booted live image. */
    LIVE,
    /** Booting the image on its SD card. */
    SD_BOOT,
    /** Running the image on its SD card; answers probes. */
    BOOTED,
    /** Powered, but the SD card holds nothing bootable. */
    NO_OS,
    /** Hung (overheated, or stuck in a step); answers nothing until power-cycled. */
    HUNG,
    /** Powered but dead. */
    DEAD
  }

  /** The rack's air temperature, degrees Celsius: where an unpowered board cools to. */
  public static final double AMBIENT_C = 25;
  /** The coolest running temperature of a healthy board, degrees Celsius. */
  public static final double HEALTHY_MIN_C = 45;
  /** The hottest running temperature of a healthy board, degrees Celsius. */
  public static final double HEALTHY_MAX_C = 60;
  /** Where an overheating board's temperature runs to while powered, degrees Celsius. */
  public static final double OVERHEATING_C = 110;
  /** The simulated self-test's limit, degrees Celsius (the live image's default). */
  public static final double SELF_TEST_LIMIT_C = 85;
  /** Standard deviation of one sensor reading, degrees Celsius. */
  public static final double SENSOR_NOISE_C = 1.0;
  /** Time constant of a healthy board warming up. */
  public static final Duration HEALTHY_WARMING = Duration.ofMinutes(15);
  /** Time constant of an unpowered board cooling down. */
  public static final Duration COOLING = Duration.ofMinutes(30);

  /** Live-image mode, from the PXE config ({@code mozpool.mode=…}). */
  private enum Mode { INSTALL, SELF_TEST, MAINTENANCE }

  private final DeviceTarget target;
  private volatile Set<Fault> defects;
  private final DeviceTimings timings;
  private final FaultProfile faults;
  private final FaultLog log;
  private final Random random;
  private final Predicate<Map<String, String>> badBuild;
  /** The sensor's noise and the board's running temperature; apart from {@link #random}. */
  private final Random thermalRandom;
  /** A healthy board's running temperature (its own, drawn once). */
  private final double runningC;
  private volatile DeviceHost host;
  /** The real live image to run instead of simulating it (wire mode); null: simulate it. */
  private volatile LiveImage liveImage;

  private Phase phase = Phase.OFF;
  private boolean powered;
  private long epoch;
  private Cancellable pending;
  private Cancellable overheat;
  private InstallOrder sdImage;
  private boolean agentBroken;
  private boolean storageFlaky;
  private int powerCycles;
  private int imagesInstalled;
  /** The modelled temperature at {@link #celsiusAt}; ambient while that is still null. */
  private double celsius = AMBIENT_C;
  private Instant celsiusAt;

  SimulatedDevice(DeviceTarget target, Set<Fault> defects, DeviceTimings timings,
      FaultProfile faults, FaultLog log, Random random, Random thermalRandom,
      Predicate<Map<String, String>> badBuild) {
    this.target = Objects.requireNonNull(target, "target");
    this.defects = Set.copyOf(defects);
    this.timings = Objects.requireNonNull(timings, "timings");
    this.faults = Objects.requireNonNull(faults, "faults");
    this.log = Objects.requireNonNull(log, "log");
    this.random = Objects.requireNonNull(random, "random");
    this.badBuild = Objects.requireNonNull(badBuild, "badBuild");
    this.thermalRandom = Objects.requireNonNull(thermalRandom, "thermalRandom");
    this.runningC = HEALTHY_MIN_C + (HEALTHY_MAX_C - HEALTHY_MIN_C) * thermalRandom.nextDouble();
  }

  /**
   * The random source of the sensor of the {@code index}-th board of a lab run with {@code
   * seed}: apart from the board's other random source, and mixed, so that neighbouring boards do
   * not draw nearly the same running temperature (as {@code new Random(n)} and {@code new
   * Random(n + 1)} would at their first draw).
   */
  static Random thermalRandom(long seed, int index) {
    return new Random(new java.util.SplittableRandom(seed * 1_000_003L + index).nextLong());
  }

  void attach(DeviceHost host) {
    this.host = Objects.requireNonNull(host, "host");
  }

  void liveImage(LiveImage liveImage) {
    this.liveImage = liveImage;
  }

  /** The device name. */
  public String name() {
    return target.device();
  }

  /** How drivers address it. */
  public DeviceTarget target() {
    return target;
  }

  /** Its persistent defects (empty for a healthy board). */
  public Set<Fault> defects() {
    return defects;
  }

  /**
   * Gives the board a persistent defect from now on (a card that wears out, a relay that starts
   * to stick), recorded in the fault log.
   *
   * @throws IllegalArgumentException if {@code defect} is not persistent
   */
  public void develop(Fault defect) {
    if (!defect.persistent()) {
      throw new IllegalArgumentException(defect + " is not a persistent defect");
    }
    synchronized (this) {
      Set<Fault> next = EnumSet.of(defect);
      next.addAll(defects);
      defects = Set.copyOf(next);
    }
    log.record(host.now(), name(), defect, "developed during the run");
  }

  /** What it is doing now. */
  public synchronized Phase phase() {
    return phase;
  }

  /** Whether it is powered. */
  public synchronized boolean powered() {
    return powered;
  }

  /** The image on its SD card, if a complete one is there. */
  public synchronized Optional<InstallOrder> sdImage() {
    return Optional.ofNullable(sdImage);
  }

  /** How many times its power went on. */
  public synchronized int powerOns() {
    return powerCycles;
  }

  /** How many images it finished writing to its SD card. */
  public synchronized int imagesInstalled() {
    return imagesInstalled;
  }

  /** Places an image on the SD card directly, as if installed before the run. */
  public synchronized void preload(InstallOrder image) {
    sdImage = image;
  }

  // ---- power ---------------------------------------------------------------------------------

  /** Switches the board's power; a change of state restarts or stops it. */
  public void setPower(boolean on) {
    long e;
    synchronized (this) {
      if (on == powered) {
        return;
      }
      settleTemperature(); // the time so far at the old power
      powered = on;
      e = restart();
      cancel(overheat);
      overheat = null;
      if (!on) {
        phase = Phase.OFF;
        return;
      }
      powerCycles++;
      if (defects.contains(Fault.DEAD_BOARD)) {
        phase = Phase.DEAD;
        return;
      }
      if (defects.contains(Fault.OVERHEATING)) {
        long powerEpoch = e;
        overheat = host.after(faults.overheatAfter(), () -> overheated(powerEpoch));
      }
    }
    boot(e);
  }

  private void overheated(long powerEpoch) {
    synchronized (this) {
      // Any re-boot after power-on bumps the epoch, so compare with powered only.
      if (!powered || phase == Phase.OFF) {
        return;
      }
      restart();
      phase = Phase.HUNG;
    }
    log.record(host.now(), name(), Fault.OVERHEATED, "hung after " + faults.overheatAfter()
        + " powered");
  }

  /** Starts u-boot after power-on or a reboot, within epoch {@code e}. */
  private void boot(long e) {
    synchronized (this) {
      if (e != epoch) {
        return;
      }
      phase = Phase.UBOOT;
      agentBroken = false;
      storageFlaky = false;
    }
    if (chance(faults.bootHang())) {
      log.record(host.now(), name(), Fault.BOOT_HANG, "u-boot hung");
      return;
    }
    later(e, timings.uboot(), () -> bootDecision(e));
  }

  private void bootDecision(long e) {
    Optional<String> pxe;
    try {
      pxe = host.fetchPxeConfig(this);
    } catch (RuntimeException ex) {
      pxe = Optional.empty(); // u-boot falls back to the SD card when TFTP fails
    }
    if (pxe.isPresent()) {
      String config = pxe.get();
      Mode mode = modeOf(config);
      if (!enter(e, Phase.LIVE)) {
        return;
      }
      LiveImage live = liveImage;
      if (live != null) {
        startLiveImage(e, live, config);
      } else {
        later(e, timings.liveBoot(), () -> liveInit(e, mode, config));
      }
      return;
    }
    InstallOrder image;
    synchronized (this) {
      image = sdImage;
    }
    if (image == null) {
      enter(e, Phase.NO_OS);
      return;
    }
    if (!enter(e, Phase.SD_BOOT)) {
      return;
    }
    later(e, timings.sdBoot(), () -> {
      boolean broken = chance(faults.verifyFailure());
      if (broken) {
        log.record(host.now(), name(), Fault.VERIFY_FAILURE, "agent down after boot");
      }
      synchronized (this) {
        if (e == epoch) {
          phase = Phase.BOOTED;
          agentBroken = broken;
        }
      }
    });
  }

  private static Mode modeOf(String pxeConfig) {
    String c = pxeConfig.toLowerCase(Locale.ROOT);
    if (c.contains("mozpool.mode=self-test")) {
      return Mode.SELF_TEST;
    }
    if (c.contains("mozpool.mode=maintenance")) {
      return Mode.MAINTENANCE;
    }
    return Mode.INSTALL;
  }

  // ---- the live image ------------------------------------------------------------------------

  /** Runs a real live image within epoch {@code e}; losing power or rebooting stops it. */
  private void startLiveImage(long e, LiveImage live, String pxeConfig) {
    Cancellable running = live.boot(LiveBoot.of(this, e, pxeConfig));
    synchronized (this) {
      if (e == epoch) {
        pending = running;
        return;
      }
    }
    cancel(running); // power went while it started
  }

  /** The real live image rebooted the board, having installed {@code installed} (or nothing). */
  void liveImageRebooted(long e, InstallOrder installed) {
    long next;
    synchronized (this) {
      if (e != epoch) {
        return;
      }
      if (installed != null) {
        sdImage = installed;
        imagesInstalled++;
      }
      next = restart();
      phase = Phase.UBOOT;
    }
    boot(next);
  }

  private void liveInit(long e, Mode mode, String pxeConfig) {
    post(e, "mobile_init_started", Map.of());
    later(e, timings.bootConfigFetch(), () -> {
      switch (mode) {
        case SELF_TEST -> selfTest(e);
        case MAINTENANCE -> post(e, "maint_mode", Map.of());
        case INSTALL -> install(e, pxeConfig);
      }
    });
  }

  private void selfTest(long e) {
    post(e, "self_test_running", Map.of());
    later(e, timings.selfTest(), () -> {
      // The live image's order: temperature first, then the card (LIVE-IMAGE.md, self-test).
      double t = temperature();
      java.util.List<String> failed = new java.util.ArrayList<>();
      java.util.List<String> reasons = new java.util.ArrayList<>();
      if (t >= SELF_TEST_LIMIT_C) {
        failed.add("temperature");
        reasons.add("temperature " + celsiusText(t) + " C is at or over the limit of "
            + Math.round(SELF_TEST_LIMIT_C) + " C (overheating)");
      }
      if (defects.contains(Fault.BAD_SD_CARD)) {
        failed.add("sdcard");
        reasons.add("SD card read-back mismatch");
      }
      if (failed.isEmpty()) {
        post(e, "self_test_ok", Map.of("temperature", celsiusText(t)));
      } else {
        post(e, "failed_self_test", Map.of("failed", String.join(",", failed),
            "temperature", celsiusText(t), "reason", String.join("; ", reasons)));
      }
    });
  }

  private void install(long e, String pxeConfig) {
    Optional<InstallOrder> fetched;
    try {
      fetched = host.fetchBootConfig(this, pxeConfig);
    } catch (RuntimeException ex) {
      fetched = Optional.empty();
    }
    if (fetched.isEmpty()) {
      return; // nothing to install: the live image idles until Lifeguard gives up on it
    }
    InstallOrder order = fetched.get();
    if (badBuild.test(order.bootConfig())) {
      log.record(host.now(), name(), Fault.BAD_IMAGE, order.image() + " " + order.bootConfig());
      post(e, "image_failed", Map.of("reason", "checksum mismatch for " + order.image()));
      return;
    }
    // A problem child fails one imaging in a few, at a step of its choosing.
    int childFails = -1;
    if (defects.contains(Fault.PROBLEM_CHILD) && chance(faults.problemChildFailure())) {
      childFails = random.nextInt(4);
    }
    int doomed = childFails;
    post(e, "image_downloading", Map.of());
    if (stalls(doomed == 0, faults.downloadStall(), Fault.DOWNLOAD_STALL, order)) {
      return;
    }
    later(e, timings.download(), () -> {
      post(e, "image_extracting", Map.of());
      synchronized (this) {
        if (e == epoch) {
          sdImage = null; // the card is being overwritten
        }
      }
      if (stalls(doomed == 1, faults.extractStall(), Fault.EXTRACT_STALL, order)) {
        return;
      }
      later(e, timings.extract(), () -> {
        synchronized (this) {
          if (e != epoch) {
            return;
          }
          sdImage = order;
          imagesInstalled++;
        }
        post(e, "image_rebooting", Map.of());
        long next;
        synchronized (this) {
          if (e != epoch) {
            return;
          }
          next = restart();
          phase = Phase.UBOOT;
        }
        if (stalls(false, faults.rebootHang(), Fault.REBOOT_HANG, order)) {
          hang(next);
          return;
        }
        boot(next);
        if (doomed >= 2) {
          // The intermittent board's favourite trick: its card drops writes until the next boot.
          log.record(host.now(), name(), Fault.STORAGE_DROPPED_WRITES, "problem child");
          synchronized (this) {
            storageFlaky = true;
          }
        }
      });
    });
  }

  private boolean stalls(boolean doomed, double p, Fault fault, InstallOrder order) {
    if (doomed) {
      log.record(host.now(), name(), fault, "problem child, installing " + order.image());
      return true;
    }
    if (chance(p)) {
      log.record(host.now(), name(), fault, "installing " + order.image());
      return true;
    }
    return false;
  }

  private synchronized void hang(long e) {
    if (e == epoch) {
      phase = Phase.HUNG;
    }
  }

  private void post(long e, String event, Map<String, Object> args) {
    synchronized (this) {
      if (e != epoch) {
        return;
      }
    }
    if (defects.contains(Fault.LOOSE_NETWORK) && chance(faults.packetLoss())) {
      log.record(host.now(), name(), Fault.PACKET_LOST, "callback " + event);
      return;
    }
    if (!args.containsKey("temperature")) {
      // Like a live image that reads the sensor at every step it reports.
      Map<String, Object> withReading = new java.util.HashMap<>(args);
      withReading.put("temperature", celsiusText(temperature()));
      args = Map.copyOf(withReading);
    }
    try {
      host.postEvent(this, event, args);
    } catch (RuntimeException ex) {
      // a callback that does not get through is what a real board experiences too
    }
  }

  // ---- temperature -------------------------------------------------------------------------

  /**
   * What the board's CPU sensor reads now, in degrees Celsius: the modelled temperature (see the
   * class description) plus sensor noise. Readable powered or not.
   */
  public double temperature() {
    double t;
    synchronized (this) {
      t = settleTemperature();
    }
    synchronized (thermalRandom) {
      return t + SENSOR_NOISE_C * thermalRandom.nextGaussian();
    }
  }

  /** Brings the modelled temperature up to now at the current power. Caller holds the lock. */
  private double settleTemperature() {
    Instant now = host.now();
    if (celsiusAt != null) {
      double target;
      Duration tau;
      if (!powered) {
        target = AMBIENT_C;
        tau = COOLING;
      } else if (defects.contains(Fault.OVERHEATING)) {
        target = OVERHEATING_C;
        tau = faults.overheatAfter().dividedBy(4);
      } else {
        target = runningC;
        tau = HEALTHY_WARMING;
      }
      double elapsed = Math.max(0, Duration.between(celsiusAt, now).toMillis());
      celsius = target + (celsius - target) * Math.exp(-elapsed / Math.max(1, tau.toMillis()));
    }
    celsiusAt = now;
    return celsius;
  }

  private static String celsiusText(double c) {
    return String.format(Locale.ROOT, "%.1f", c);
  }

  // ---- probes --------------------------------------------------------------------------------

  /** Whether it answers a ping now (the live image and a booted SD image do). */
  public boolean answersPing() {
    synchronized (this) {
      if (phase != Phase.BOOTED && phase != Phase.LIVE) {
        return false;
      }
    }
    return !lost("ping");
  }

  /** Whether its agent answers and its test root is usable now. */
  public boolean agentAnswers() {
    synchronized (this) {
      if (phase != Phase.BOOTED || agentBroken || sdImage == null || !sdImage.hasAgent()) {
        return false;
      }
    }
    return !lost("agent");
  }

  /** Whether a file written to its storage reads back intact now. */
  public boolean storageHolds() {
    synchronized (this) {
      if (phase != Phase.BOOTED && phase != Phase.LIVE) {
        return false;
      }
    }
    synchronized (this) {
      if (storageFlaky) {
        return false;
      }
    }
    return !defects.contains(Fault.BAD_SD_CARD) && !lost("storage check");
  }

  /** Whether it is up on the network (live image or booted SD image), faults aside. */
  synchronized boolean networkUp() {
    return phase == Phase.BOOTED || phase == Phase.LIVE;
  }

  /** Whether its agent would answer, faults aside. */
  synchronized boolean agentUp() {
    return phase == Phase.BOOTED && !agentBroken && sdImage != null && sdImage.hasAgent();
  }

  /** Whether its storage holds data, network faults aside. */
  synchronized boolean storageGood() {
    return !storageFlaky && !defects.contains(Fault.BAD_SD_CARD);
  }

  private boolean lost(String what) {
    if (defects.contains(Fault.LOOSE_NETWORK) && chance(faults.packetLoss())) {
      log.record(host.now(), name(), Fault.PACKET_LOST, what);
      return true;
    }
    return false;
  }

  // ---- plumbing ------------------------------------------------------------------------------

  boolean chance(double p) {
    synchronized (random) {
      return p > 0 && random.nextDouble() < p;
    }
  }

  /** Starts a new epoch: steps scheduled in earlier epochs are stale. Caller holds the lock. */
  private long restart() {
    cancel(pending);
    pending = null;
    return ++epoch;
  }

  private boolean enter(long e, Phase p) {
    synchronized (this) {
      if (e != epoch) {
        return false;
      }
      phase = p;
      return true;
    }
  }

  private void later(long e, Duration d, Runnable step) {
    Duration delay;
    synchronized (random) {
      delay = timings.vary(d, random);
    }
    synchronized (this) {
      if (e != epoch) {
        return;
      }
      pending = host.after(delay, () -> {
        synchronized (this) {
          if (e != epoch) {
            return;
          }
        }
        step.run();
      });
    }
  }

  private static void cancel(Cancellable c) {
    if (c != null) {
      c.cancel();
    }
  }

  Instant now() {
    return host.now();
  }

  @Override
  public synchronized String toString() {
    return name() + "[" + phase + (defects.isEmpty() ? "" : " " + defects) + "]";
  }
}
