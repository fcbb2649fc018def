package org.mozpool.lifeguard;

import static org.mozpool.DeviceStates.FAILED_IMAGE_DOWNLOADING;
import static org.mozpool.DeviceStates.FAILED_IMAGE_EXTRACTING;
import static org.mozpool.DeviceStates.FAILED_STORAGE_VERIFYING;
import static org.mozpool.DeviceStates.FAILED_VERIFYING;
import static org.mozpool.DeviceStates.IMAGE_DOWNLOADING;
import static org.mozpool.DeviceStates.IMAGE_EXTRACTING;
import static org.mozpool.DeviceStates.LIVE_INIT_STARTED;
import static org.mozpool.DeviceStates.NEW;
import static org.mozpool.DeviceStates.OPERATION_COMPLETE;
import static org.mozpool.DeviceStates.PC_PINGING;
import static org.mozpool.DeviceStates.PC_POWER_CYCLING;
import static org.mozpool.DeviceStates.PC_REBOOTING;
import static org.mozpool.DeviceStates.PXE_BOOTING;
import static org.mozpool.DeviceStates.PXE_POWER_CYCLING;
import static org.mozpool.DeviceStates.READY;
import static org.mozpool.DeviceStates.SELF_TEST_RUNNING;
import static org.mozpool.DeviceStates.START_MAINTENANCE;
import static org.mozpool.DeviceStates.START_PXE_BOOT;
import static org.mozpool.DeviceStates.START_SELF_TEST;
import static org.mozpool.DeviceStates.STORAGE_VERIFYING;
import static org.mozpool.DeviceStates.VERIFYING;
import static org.mozpool.DeviceStates.VERIFY_POWER_CYCLE;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.TreeMap;

/**
 * Every timeout and retry limit of the device state machine (DESIGN §5), plus quarantine, release
 * and attention settings, in one immutable value. {@link #defaults()} holds the documented values;
 * each {@code with...} method returns a validated copy, so deployments and simulations can compress
 * or relax them:
 *
 * <pre>{@code
 * LifeguardPolicy policy = LifeguardPolicy.defaults()
 *     .withTimeout(DeviceStates.PXE_BOOTING, Duration.ofMinutes(5))
 *     .withRetryLimit(DeviceStates.VERIFYING, 20)
 *     .withQuarantine(3, Duration.ofDays(7))
 *     .withReleasePolicy(ReleasePolicy.POWER_CYCLE);
 * }</pre>
 *
 * <p>Default timeouts (seconds): {@code new} 0, {@code ready} 600 (the idle health-probe interval),
 * {@code pc_power_cycling} 60, {@code pc_rebooting} 120, {@code pc_pinging} 10,
 * {@code start_pxe_boot}/{@code start_self_test}/{@code start_maintenance} 0,
 * {@code pxe_power_cycling} 60, {@code pxe_booting} 180, {@code live_init_started} 10,
 * {@code image_downloading} 180, {@code image_extracting} 600, {@code verifying} 45,
 * {@code verify_power_cycle} 60, {@code storage_verifying} 200, {@code operation_complete} 60,
 * {@code self_test_running} 3600, and 0 for the failed states that self-test automatically.
 *
 * <p>Default retry limits N (a state's counter grows on each timeout or failure; the (N+1)-th is
 * permanent): {@code pc_power_cycling} 200, {@code pc_pinging} 12 (in at most 3 rounds, see
 * {@link #pcPingingRounds()}), {@code pxe_power_cycling} 200, {@code pxe_booting} 30,
 * {@code live_init_started} 10, {@code image_downloading} 3, {@code image_extracting} 10,
 * {@code verifying} 30 (power-cycling on every 10th timeout, see
 * {@link #verifyPowerCycleEvery()}), {@code verify_power_cycle} 3, {@code storage_verifying} 2.
 *
 * <p>{@linkplain #workflowBudget Workflow budgets} (the longest a pool-requested workflow may take
 * before it reports, every retry used up), from these defaults: {@code please_image} 59,190 s
 * (16 h 26 min 30 s), {@code please_power_cycle} 36,930 s (10 h 15 min 30 s) — dominated by the
 * 200 power-cycle retries. The pool waits at least this long before giving up a device for an
 * {@code any} request; lower the retry limits here to have it substitute sooner.
 *
 * <p>Other defaults: quarantine after 3 failures within 7 days; release policy
 * {@link ReleasePolicy#LEAVE_AS_IS}; 50 recent log lines handed to the attention listener; a
 * workflow driven again after at most 5 restarts ({@link #restartRetries()}).
 *
 * <p>Immutable and thread safe. Invalid values throw {@link IllegalArgumentException} saying what
 * was expected.
 */
public final class LifeguardPolicy {
  private static final Map<String, Duration> DEFAULT_TIMEOUTS;
  private static final Map<String, Integer> DEFAULT_LIMITS;

  static {
    Map<String, Duration> t = new TreeMap<>();
    t.put(NEW, Duration.ZERO);
    t.put(READY, Duration.ofSeconds(600));
    t.put(PC_POWER_CYCLING, Duration.ofSeconds(60));
    t.put(PC_REBOOTING, Duration.ofSeconds(120));
    t.put(PC_PINGING, Duration.ofSeconds(10));
    t.put(START_PXE_BOOT, Duration.ZERO);
    t.put(START_SELF_TEST, Duration.ZERO);
    t.put(START_MAINTENANCE, Duration.ZERO);
    t.put(PXE_POWER_CYCLING, Duration.ofSeconds(60));
    t.put(PXE_BOOTING, Duration.ofSeconds(180));
    t.put(LIVE_INIT_STARTED, Duration.ofSeconds(10));
    t.put(IMAGE_DOWNLOADING, Duration.ofSeconds(180));
    t.put(IMAGE_EXTRACTING, Duration.ofSeconds(600));
    t.put(VERIFYING, Duration.ofSeconds(45));
    t.put(VERIFY_POWER_CYCLE, Duration.ofSeconds(60));
    t.put(STORAGE_VERIFYING, Duration.ofSeconds(200));
    t.put(OPERATION_COMPLETE, Duration.ofSeconds(60));
    t.put(SELF_TEST_RUNNING, Duration.ofSeconds(3600));
    t.put(FAILED_IMAGE_DOWNLOADING, Duration.ZERO);
    t.put(FAILED_IMAGE_EXTRACTING, Duration.ZERO);
    t.put(FAILED_VERIFYING, Duration.ZERO);
    t.put(FAILED_STORAGE_VERIFYING, Duration.ZERO);
    DEFAULT_TIMEOUTS = Map.copyOf(t);

    Map<String, Integer> n = new TreeMap<>();
    n.put(PC_POWER_CYCLING, 200);
    n.put(PC_PINGING, 12);
    n.put(PXE_POWER_CYCLING, 200);
    n.put(PXE_BOOTING, 30);
    n.put(LIVE_INIT_STARTED, 10);
    n.put(IMAGE_DOWNLOADING, 3);
    n.put(IMAGE_EXTRACTING, 10);
    n.put(VERIFYING, 30);
    n.put(VERIFY_POWER_CYCLE, 3);
    n.put(STORAGE_VERIFYING, 2);
    DEFAULT_LIMITS = Map.copyOf(n);
  }

  /**
   * The default {@linkplain #temperatureLimit() temperature limit}: the live image's own
   * self-test limit ({@code MOZPOOL_MAX_TEMP_C}, mozpool-bmm's LIVE-IMAGE.md).
   */
  public static final double DEFAULT_TEMPERATURE_LIMIT_C = 85.0;

  private static final LifeguardPolicy DEFAULTS = new LifeguardPolicy(DEFAULT_TIMEOUTS,
      DEFAULT_LIMITS, 3, 10, 3, Duration.ofDays(7), ReleasePolicy.LEAVE_AS_IS, "", Map.of(), 50,
      5, DEFAULT_TEMPERATURE_LIMIT_C);

  private final Map<String, Duration> timeouts;
  private final Map<String, Integer> retryLimits;
  private final int pcPingingRounds;
  private final int verifyPowerCycleEvery;
  private final int quarantineFailures;
  private final Duration quarantineWindow;
  private final ReleasePolicy releasePolicy;
  private final String baselineImage;
  private final Map<String, String> baselineBootConfig;
  private final int recentLogLines;
  private final int restartRetries;
  /** Degrees Celsius; NaN: no limit. */
  private final double temperatureLimit;

  private LifeguardPolicy(Map<String, Duration> timeouts, Map<String, Integer> retryLimits,
      int pcPingingRounds, int verifyPowerCycleEvery, int quarantineFailures,
      Duration quarantineWindow, ReleasePolicy releasePolicy, String baselineImage,
      Map<String, String> baselineBootConfig, int recentLogLines, int restartRetries,
      double temperatureLimit) {
    this.timeouts = Map.copyOf(timeouts);
    this.retryLimits = Map.copyOf(retryLimits);
    this.pcPingingRounds = atLeast(1, pcPingingRounds, "pc_pinging rounds");
    this.verifyPowerCycleEvery = atLeast(1, verifyPowerCycleEvery, "verify power-cycle interval");
    this.quarantineFailures = atLeast(1, quarantineFailures, "quarantine failure count");
    this.quarantineWindow = positive(quarantineWindow, "quarantine window");
    this.releasePolicy = Objects.requireNonNull(releasePolicy, "releasePolicy");
    this.baselineImage = baselineImage;
    this.baselineBootConfig = Map.copyOf(baselineBootConfig);
    this.recentLogLines = atLeast(0, recentLogLines, "recent log lines");
    this.restartRetries = atLeast(0, restartRetries, "restart retries");
    this.temperatureLimit = temperatureLimit;
  }

  /** The documented defaults of DESIGN §5. */
  public static LifeguardPolicy defaults() {
    return DEFAULTS;
  }

  // ---- reading ----

  /**
   * How long {@code state} may last before its timeout handler runs; empty for states without a
   * timeout ({@code maintenance_mode}, {@code troubleshooting}, the failed states for humans…).
   */
  public Optional<Duration> timeout(String state) {
    return Optional.ofNullable(timeouts.get(state));
  }

  /** The retry limit N of {@code state}, or 0 for states that do not retry. */
  public int retryLimit(String state) {
    return retryLimits.getOrDefault(state, 0);
  }

  /** Every configurable timeout by state name. */
  public Map<String, Duration> timeouts() {
    return new TreeMap<>(timeouts);
  }

  /** Every configurable retry limit by state name. */
  public Map<String, Integer> retryLimits() {
    return new TreeMap<>(retryLimits);
  }

  /** Full rounds of power cycle plus unanswered pings before {@code failed_pc_pinging} (3). */
  public int pcPingingRounds() {
    return pcPingingRounds;
  }

  /** {@code verifying} power-cycles the device on every this-many-th timeout (10). */
  public int verifyPowerCycleEvery() {
    return verifyPowerCycleEvery;
  }

  /**
   * Failures within {@link #quarantineWindow()} that make a device a problem child (3). What
   * counts: every failed state entered, every relay fault of the device's own relay, every idle
   * health probe the device did not answer at all; only those after its latest quarantine. A
   * problem child is taken out of service (self-test, then {@code failed_quarantined}) at the
   * next moment no request holds it.
   */
  public int quarantineFailures() {
    return quarantineFailures;
  }

  /** The window over which failures count towards quarantine (7 days). */
  public Duration quarantineWindow() {
    return quarantineWindow;
  }

  /** What happens to a device when its lease ends ({@link ReleasePolicy#LEAVE_AS_IS}). */
  public ReleasePolicy releasePolicy() {
    return releasePolicy;
  }

  /** The image {@link ReleasePolicy#REIMAGE_BASELINE} installs; empty for the other policies. */
  public String baselineImage() {
    return baselineImage;
  }

  /** The boot config of {@link #baselineImage()}. */
  public Map<String, String> baselineBootConfig() {
    return baselineBootConfig;
  }

  /** How many of a device's latest log lines the attention listener receives (50). */
  public int recentLogLines() {
    return recentLogLines;
  }

  /**
   * The longest the workflow that {@code pleaseEvent} starts may take before Lifeguard reports its
   * result to the claiming request: every state's timeout taken in full, every retry limit used up,
   * every loop of the workflow run as often as its counters allow (the counters are cleared only
   * when a workflow starts). It is an upper bound, not an estimate: the pool must not give up
   * before it ({@link org.mozpool.spi.Lifeguard#workflowBudget}).
   *
   * <ul>
   *   <li>{@code please_power_cycle}: {@link #pcPingingRounds()} rounds of {@code pc_power_cycling}
   *       (N+1 attempts), {@code pc_rebooting} and {@code pc_pinging} (N+1 pings).
   *   <li>{@code please_image}: {@code pxe_power_cycling}'s own N retries; for each of
   *       {@code pxe_booting}, {@code live_init_started}, {@code image_downloading} and
   *       {@code image_extracting}, N passes from {@code pxe_power_cycling} up to its timeout; then
   *       a last pass up to the end of {@code image_extracting} followed by the longer of the two
   *       endings: agent verification ({@code verifying} N+1 times, its power cycles, {@code
   *       storage_verifying} N+1 times) or, for images without an agent, the ping path of the
   *       power-cycle workflow.
   * </ul>
   *
   * @throws IllegalArgumentException for any other event name
   */
  public Duration workflowBudget(String pleaseEvent) {
    long pcRound = attempts(PC_POWER_CYCLING) + millis(PC_REBOOTING) + attempts(PC_PINGING);
    if ("please_power_cycle".equals(pleaseEvent)) {
      return Duration.ofMillis(pcPingingRounds * pcRound);
    }
    if (!"please_image".equals(pleaseEvent)) {
      throw new IllegalArgumentException("no workflow budget for '" + pleaseEvent
          + "'; expected please_image or please_power_cycle");
    }
    long total = retryLimit(PXE_POWER_CYCLING) * millis(PXE_POWER_CYCLING);
    long path = millis(PXE_POWER_CYCLING);
    for (String s : new String[] {PXE_BOOTING, LIVE_INIT_STARTED, IMAGE_DOWNLOADING,
        IMAGE_EXTRACTING}) {
      path += millis(s);
      total += retryLimit(s) * path; // each retry goes back to pxe_power_cycling
    }
    int verifyCycles = retryLimit(VERIFYING) / verifyPowerCycleEvery;
    long agent = attempts(VERIFYING)
        + (verifyCycles + retryLimit(VERIFY_POWER_CYCLE) + 1L) * millis(VERIFY_POWER_CYCLE)
        + attempts(STORAGE_VERIFYING);
    long noAgent = millis(PC_REBOOTING) + attempts(PC_PINGING) + (pcPingingRounds - 1L) * pcRound;
    return Duration.ofMillis(total + path + Math.max(agent, noAgent));
  }

  /** A state's timeout in milliseconds (0 when it has none). */
  private long millis(String state) {
    Duration d = timeouts.get(state);
    return d == null ? 0 : d.toMillis();
  }

  /** The longest a retrying state may last in all: N+1 attempts of its timeout. */
  private long attempts(String state) {
    return (retryLimit(state) + 1L) * millis(state);
  }

  /**
   * How many times one workflow of a device may be driven again because the instance restarted
   * while the device waited on a callback or an operation (5): a timeout of such a state entered
   * before the restart starts the step over instead of counting against the state's retry limit
   * or failing the device (see the {@linkplain org.mozpool.lifeguard package documentation}).
   * Past this many in one workflow, timeouts apply as usual.
   */
  public int restartRetries() {
    return restartRetries;
  }

  /**
   * The board temperature, in degrees Celsius, at or over which a device is out of service: a
   * live-image event that reports a {@code temperature} reading at or over it (the self-test's
   * result, or a reading the live image took at an earlier step) sends the device to {@code
   * failed_self_test}, with the reading and the limit in its log. Empty: readings are logged but
   * never acted on. Default {@value #DEFAULT_TEMPERATURE_LIMIT_C}.
   */
  public OptionalDouble temperatureLimit() {
    return Double.isNaN(temperatureLimit) ? OptionalDouble.empty()
        : OptionalDouble.of(temperatureLimit);
  }

  // ---- copies ----

  /**
   * A copy in which {@code state} times out after {@code timeout} (zero = as soon as possible).
   *
   * @throws IllegalArgumentException if the state has no configurable timeout or it is negative
   */
  public LifeguardPolicy withTimeout(String state, Duration timeout) {
    if (!DEFAULT_TIMEOUTS.containsKey(state)) {
      throw new IllegalArgumentException("state '" + state + "' has no configurable timeout;"
          + " expected one of " + DEFAULT_TIMEOUTS.keySet());
    }
    if (timeout == null || timeout.isNegative()) {
      throw new IllegalArgumentException("timeout of " + state + " must be zero or positive, got "
          + timeout);
    }
    Map<String, Duration> t = new TreeMap<>(timeouts);
    t.put(state, timeout);
    return new LifeguardPolicy(t, retryLimits, pcPingingRounds, verifyPowerCycleEvery,
        quarantineFailures, quarantineWindow, releasePolicy, baselineImage, baselineBootConfig,
        recentLogLines, restartRetries, temperatureLimit);
  }

  /**
   * A copy in which every timeout is divided by {@code factor} (rounded to the millisecond; a
   * positive timeout stays at least 1 ms), for simulations and demos in which the boards' steps
   * are compressed by the same factor. Retry limits and the quarantine window are unchanged.
   *
   * @throws IllegalArgumentException if {@code factor} is not a finite number of at least 1
   */
  public LifeguardPolicy compressed(double factor) {
    requireCompression(factor);
    Map<String, Duration> t = new TreeMap<>();
    timeouts.forEach((state, timeout) -> t.put(state, divide(timeout, factor)));
    return new LifeguardPolicy(t, retryLimits, pcPingingRounds, verifyPowerCycleEvery,
        quarantineFailures, quarantineWindow, releasePolicy, baselineImage, baselineBootConfig,
        recentLogLines, restartRetries, temperatureLimit);
  }

  private static void requireCompression(double factor) {
    if (!(factor >= 1) || Double.isInfinite(factor)) {
      throw new IllegalArgumentException("compression factor must be a finite number of at least"
          + " 1, got " + factor);
    }
  }

  private static Duration divide(Duration d, double factor) {
    if (d.isZero()) {
      return d;
    }
    return Duration.ofMillis(Math.max(1, Math.round(d.toMillis() / factor)));
  }

  /**
   * A copy in which {@code state} retries {@code limit} times before failing for good.
   *
   * @throws IllegalArgumentException if the state does not retry or the limit is negative
   */
  public LifeguardPolicy withRetryLimit(String state, int limit) {
    if (!DEFAULT_LIMITS.containsKey(state)) {
      throw new IllegalArgumentException("state '" + state + "' has no retry limit; expected one"
          + " of " + DEFAULT_LIMITS.keySet());
    }
    atLeast(0, limit, "retry limit of " + state);
    Map<String, Integer> n = new TreeMap<>(retryLimits);
    n.put(state, limit);
    return new LifeguardPolicy(timeouts, n, pcPingingRounds, verifyPowerCycleEvery,
        quarantineFailures, quarantineWindow, releasePolicy, baselineImage, baselineBootConfig,
        recentLogLines, restartRetries, temperatureLimit);
  }

  /** A copy with another number of {@code pc_pinging} rounds (at least 1). */
  public LifeguardPolicy withPcPingingRounds(int rounds) {
    return new LifeguardPolicy(timeouts, retryLimits, rounds, verifyPowerCycleEvery,
        quarantineFailures, quarantineWindow, releasePolicy, baselineImage, baselineBootConfig,
        recentLogLines, restartRetries, temperatureLimit);
  }

  /** A copy in which {@code verifying} power-cycles on every {@code every}-th timeout (at least 1). */
  public LifeguardPolicy withVerifyPowerCycleEvery(int every) {
    return new LifeguardPolicy(timeouts, retryLimits, pcPingingRounds, every,
        quarantineFailures, quarantineWindow, releasePolicy, baselineImage, baselineBootConfig,
        recentLogLines, restartRetries, temperatureLimit);
  }

  /**
   * A copy that quarantines a device with {@code failures} failures within {@code window}.
   *
   * @throws IllegalArgumentException if {@code failures} is below 1 or {@code window} not positive
   */
  public LifeguardPolicy withQuarantine(int failures, Duration window) {
    return new LifeguardPolicy(timeouts, retryLimits, pcPingingRounds, verifyPowerCycleEvery,
        failures, window, releasePolicy, baselineImage, baselineBootConfig, recentLogLines,
        restartRetries, temperatureLimit);
  }

  /**
   * A copy with release policy {@link ReleasePolicy#LEAVE_AS_IS} or
   * {@link ReleasePolicy#POWER_CYCLE}.
   *
   * @throws IllegalArgumentException for {@link ReleasePolicy#REIMAGE_BASELINE}, which needs a
   *     baseline: use {@link #withReleaseReimage(String, Map)}
   */
  public LifeguardPolicy withReleasePolicy(ReleasePolicy policy) {
    Objects.requireNonNull(policy, "policy");
    if (policy == ReleasePolicy.REIMAGE_BASELINE) {
      throw new IllegalArgumentException("REIMAGE_BASELINE needs a baseline image: use"
          + " withReleaseReimage(image, bootConfig)");
    }
    return new LifeguardPolicy(timeouts, retryLimits, pcPingingRounds, verifyPowerCycleEvery,
        quarantineFailures, quarantineWindow, policy, "", Map.of(), recentLogLines, restartRetries,
        temperatureLimit);
  }

  /**
   * A copy with release policy {@link ReleasePolicy#REIMAGE_BASELINE}: a returned device is
   * re-imaged with {@code image} and {@code bootConfig}.
   *
   * @throws IllegalArgumentException if {@code image} is blank
   */
  public LifeguardPolicy withReleaseReimage(String image, Map<String, String> bootConfig) {
    if (image == null || image.isBlank()) {
      throw new IllegalArgumentException("baseline image must be a non-blank image name, got '"
          + image + "'");
    }
    return new LifeguardPolicy(timeouts, retryLimits, pcPingingRounds, verifyPowerCycleEvery,
        quarantineFailures, quarantineWindow, ReleasePolicy.REIMAGE_BASELINE, image,
        bootConfig == null ? Map.of() : bootConfig, recentLogLines, restartRetries,
        temperatureLimit);
  }

  /** A copy that hands {@code lines} recent log lines to the attention listener (at least 0). */
  public LifeguardPolicy withRecentLogLines(int lines) {
    return new LifeguardPolicy(timeouts, retryLimits, pcPingingRounds, verifyPowerCycleEvery,
        quarantineFailures, quarantineWindow, releasePolicy, baselineImage, baselineBootConfig,
        lines, restartRetries, temperatureLimit);
  }

  /**
   * A copy in which one workflow may be driven again after at most {@code retries} restarts
   * (0 = never: a restart's lost callback runs into the state's ordinary timeout).
   *
   * @throws IllegalArgumentException if {@code retries} is negative
   */
  public LifeguardPolicy withRestartRetries(int retries) {
    return new LifeguardPolicy(timeouts, retryLimits, pcPingingRounds, verifyPowerCycleEvery,
        quarantineFailures, quarantineWindow, releasePolicy, baselineImage, baselineBootConfig,
        recentLogLines, retries, temperatureLimit);
  }

  /**
   * A copy that takes a device out of service when the live image reports a temperature of
   * {@code celsius} or more (see {@link #temperatureLimit()}); a hardware type with hotter or
   * cooler silicon gets its own limit through {@link LifeguardPolicies#withHardwareType}.
   *
   * @throws IllegalArgumentException if {@code celsius} is not a finite number
   */
  public LifeguardPolicy withTemperatureLimit(double celsius) {
    if (!Double.isFinite(celsius)) {
      throw new IllegalArgumentException("temperature limit must be a finite number of degrees"
          + " Celsius, got " + celsius);
    }
    return new LifeguardPolicy(timeouts, retryLimits, pcPingingRounds, verifyPowerCycleEvery,
        quarantineFailures, quarantineWindow, releasePolicy, baselineImage, baselineBootConfig,
        recentLogLines, restartRetries, celsius);
  }

  /** A copy that logs the live image's temperature readings but never acts on them. */
  public LifeguardPolicy withoutTemperatureLimit() {
    return new LifeguardPolicy(timeouts, retryLimits, pcPingingRounds, verifyPowerCycleEvery,
        quarantineFailures, quarantineWindow, releasePolicy, baselineImage, baselineBootConfig,
        recentLogLines, restartRetries, Double.NaN);
  }

  private static int atLeast(int min, int value, String what) {
    if (value < min) {
      throw new IllegalArgumentException(what + " must be at least " + min + ", got " + value);
    }
    return value;
  }

  private static Duration positive(Duration d, String what) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, got " + d);
    }
    return d;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LifeguardPolicy p && timeouts.equals(p.timeouts)
        && retryLimits.equals(p.retryLimits) && pcPingingRounds == p.pcPingingRounds
        && verifyPowerCycleEvery == p.verifyPowerCycleEvery
        && quarantineFailures == p.quarantineFailures
        && quarantineWindow.equals(p.quarantineWindow) && releasePolicy == p.releasePolicy
        && baselineImage.equals(p.baselineImage)
        && baselineBootConfig.equals(p.baselineBootConfig) && recentLogLines == p.recentLogLines
        && restartRetries == p.restartRetries
        && Double.compare(temperatureLimit, p.temperatureLimit) == 0;
  }

  @Override
  public int hashCode() {
    return Objects.hash(timeouts, retryLimits, pcPingingRounds, verifyPowerCycleEvery,
        quarantineFailures, quarantineWindow, releasePolicy, baselineImage, baselineBootConfig,
        recentLogLines, restartRetries, temperatureLimit);
  }

  @Override
  public String toString() {
    return "LifeguardPolicy{timeouts=" + new TreeMap<>(timeouts) + ", retryLimits="
        + new TreeMap<>(retryLimits) + ", pcPingingRounds=" + pcPingingRounds
        + ", verifyPowerCycleEvery=" + verifyPowerCycleEvery + ", quarantine="
        + quarantineFailures + " in " + quarantineWindow + ", release=" + releasePolicy
        + (baselineImage.isEmpty() ? "" : " " + baselineImage) + ", recentLogLines="
        + recentLogLines + ", restartRetries=" + restartRetries + ", temperatureLimit="
        + (Double.isNaN(temperatureLimit) ? "none" : temperatureLimit + " C") + "}";
  }
}
