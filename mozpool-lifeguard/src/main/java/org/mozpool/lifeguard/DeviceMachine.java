package org.mozpool.lifeguard;

import static org.mozpool.DeviceStates.FAILED_IMAGE_DOWNLOADING;
import static org.mozpool.DeviceStates.FAILED_IMAGE_EXTRACTING;
import static org.mozpool.DeviceStates.FAILED_LIVE_INIT;
import static org.mozpool.DeviceStates.FAILED_PC_PINGING;
import static org.mozpool.DeviceStates.FAILED_POWER_CYCLING;
import static org.mozpool.DeviceStates.FAILED_PXE_BOOTING;
import static org.mozpool.DeviceStates.FAILED_QUARANTINED;
import static org.mozpool.DeviceStates.FAILED_SELF_TEST;
import static org.mozpool.DeviceStates.FAILED_STORAGE_VERIFYING;
import static org.mozpool.DeviceStates.FAILED_VERIFYING;
import static org.mozpool.DeviceStates.IMAGE_DOWNLOADING;
import static org.mozpool.DeviceStates.IMAGE_EXTRACTING;
import static org.mozpool.DeviceStates.LIVE_INIT_STARTED;
import static org.mozpool.DeviceStates.LOCKED_OUT;
import static org.mozpool.DeviceStates.MAINTENANCE_MODE;
import static org.mozpool.DeviceStates.NEW;
import static org.mozpool.DeviceStates.OPERATION_COMPLETE;
import static org.mozpool.DeviceStates.PC_PINGING;
import static org.mozpool.DeviceStates.PC_POWER_CYCLING;
import static org.mozpool.DeviceStates.PC_REBOOTING;
import static org.mozpool.DeviceStates.PXE_BOOTING;
import static org.mozpool.DeviceStates.PXE_POWER_CYCLING;
import static org.mozpool.DeviceStates.READY;
import static org.mozpool.DeviceStates.RETIRED;
import static org.mozpool.DeviceStates.SELF_TEST_RUNNING;
import static org.mozpool.DeviceStates.START_MAINTENANCE;
import static org.mozpool.DeviceStates.START_PXE_BOOT;
import static org.mozpool.DeviceStates.START_SELF_TEST;
import static org.mozpool.DeviceStates.STORAGE_VERIFYING;
import static org.mozpool.DeviceStates.TROUBLESHOOTING;
import static org.mozpool.DeviceStates.UNKNOWN;
import static org.mozpool.DeviceStates.VERIFYING;
import static org.mozpool.DeviceStates.VERIFY_POWER_CYCLE;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import java.util.function.Function;
import org.mozpool.DeviceView;
import org.mozpool.Image;
import org.mozpool.ImagingResult;
import org.mozpool.LogEntry;
import org.mozpool.PxeConfig;
import org.mozpool.core.internal.DeviceTally;
import org.mozpool.core.internal.MachineEngine;
import org.mozpool.core.internal.MachineState;
import org.mozpool.core.internal.Stages;
import org.mozpool.core.internal.Step;
import org.mozpool.spi.Claim;
import org.mozpool.spi.DeviceFailure;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.DeviceTarget;
import org.mozpool.spi.LifeguardContext;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.RelayFaultException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The device state machine of DESIGN §5: every state with its timeout, retry counter and limit,
 * the workflows they form, failure history, quarantine and the imaging results reported to the
 * claiming request. Owns the {@link MachineEngine} that runs it.
 *
 * <p>Problem children (§5.6): besides the failed states, a relay fault of the device's own relay
 * and an idle health probe it does not answer at all are recorded in the failure history; a device
 * with K such failures within the window (after its latest quarantine) is self-tested, and so
 * quarantined, at the next moment no request holds it: its idle-probe timeout, {@code
 * operation_complete} without a claim, or its release. A live lease is never interrupted.
 *
 * <p>Overheating: an overheating board runs hot long before it hangs, and the live image reports
 * the board's {@value #TEMPERATURE} with its events. A reading at or over the policy's {@linkplain
 * LifeguardPolicy#temperatureLimit() limit} in any of them (not only the self-test's) sends the
 * device to {@code failed_self_test} at once, with the reading in its log: a hang a power cycle
 * revives is indistinguishable from a healthy board's one-off blip, a measured temperature is not.
 *
 * <p>Counters: each retrying state counts its failures under its own name; the counters are
 * cleared when a workflow starts ({@code start_*}, {@code please_power_cycle}), so limits hold
 * across the loops of one workflow (e.g. {@code pxe_booting} → {@code pxe_power_cycling} →
 * {@code pxe_booting}) but never leak into the next one.
 *
 * <p>Restarts (issue 11): a state that waits for a device callback ({@code pxe_booting}, {@code
 * live_init_started}, {@code image_downloading}, {@code image_extracting}, {@code
 * self_test_running}) or for an operation its entry started ({@code pc_power_cycling}, {@code
 * pc_pinging}, {@code pxe_power_cycling}, {@code verifying}, {@code verify_power_cycle}, {@code
 * storage_verifying}) may have lost it when the instance stopped: operations run in memory, and a
 * device's callbacks go unanswered while the instance is down. When such a state was entered
 * before this Lifeguard {@linkplain #started started} and its timeout fires, the timeout is not
 * counted against the state's retry limit and does not fail the device; the workflow is driven
 * again instead — the PXE workflow from {@code pxe_power_cycling} for the callback states of an
 * install, the self-test from its start for {@code self_test_running}, a fresh attempt of the
 * state itself for the operation states — and logged as "resumed after restart". The claiming
 * request is told nothing and keeps waiting. Each workflow gets at most {@link
 * LifeguardPolicy#restartRetries()} of these (counted in the device's {@value #RESTART_RETRIES}
 * counter, which is persisted and cleared when a new workflow starts), so that repeated crashes
 * cannot loop for ever: past the bound, the state's timeout applies as usual.
 *
 * <p>Why at the timeout rather than at start-up: a restart often loses nothing — a device that is
 * still self-testing or installing reports to the restarted instance, and its progress is kept.
 * Only when the state's ordinary timeout shows that nothing came is the workflow driven again.
 * Timeouts and retry limits without a restart are unchanged. (Entry is judged from the stored
 * deadline less the state's timeout; a policy whose timeout for the state changed across the
 * restart can misjudge a state entered just before it, which then times out as usual.)
 */
final class DeviceMachine {
  private static final Logger LOG = LoggerFactory.getLogger(DeviceMachine.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  /** Counter: 0 = not a self-test; {@link #AUTOMATIC} or {@link #REQUESTED} otherwise. */
  static final String SELF_TEST = "self_test";
  /** Counter set by {@code please_self_test} for {@code start_self_test} to read. */
  static final String SELF_TEST_REQUESTED = "self_test_requested";
  /** Counter: full {@code pc_pinging} rounds so far. */
  static final String PING_ROUNDS = "pc_pinging_rounds";
  /** Counter: times this workflow was driven again because a restart may have lost its callback. */
  static final String RESTART_RETRIES = "restart_retries";
  /**
   * Device-event argument: the board's temperature in degrees Celsius when the live image sent the
   * event (the self-test's reading in {@code self_test_ok} and {@code failed_self_test}; a
   * reading taken at that step in the others).
   */
  static final String TEMPERATURE = "temperature";
  static final int AUTOMATIC = 1;
  static final int REQUESTED = 2;

  /** The please-events of DESIGN §5.2 and which states accept them. */
  enum Please {
    IMAGE("please_image"),
    POWER_CYCLE("please_power_cycle"),
    SELF_TEST("please_self_test"),
    MAINTENANCE("please_start_maintenance");

    final String eventName;

    Please(String eventName) {
      this.eventName = eventName;
    }
  }

  private static final Set<Please> ALL = Collections.unmodifiableSet(EnumSet.allOf(Please.class));
  private static final Set<Please> SELF_TEST_OR_MAINTENANCE = Collections.unmodifiableSet(
      EnumSet.of(Please.SELF_TEST, Please.MAINTENANCE));

  private final LifeguardContext context;
  private final LifeguardPolicies policies;
  /** Whether every hardware type has the default policy (no look-up of the device needed). */
  private final boolean uniform;
  private final Map<String, DeviceState> states = new HashMap<>();
  private final DeviceState unknown;
  private final MachineEngine engine;
  private volatile Instant startedAt;

  DeviceMachine(LifeguardContext context, LifeguardPolicies policies) {
    this.context = context;
    this.policies = policies;
    this.uniform = policies.byHardwareType().isEmpty();
    List<DeviceState> all = new ArrayList<>(List.of(
        new New(), new Ready(), new Parked(MAINTENANCE_MODE, SELF_TEST_OR_MAINTENANCE),
        new Parked(TROUBLESHOOTING, ALL), new Parked(LOCKED_OUT, Set.of()),
        new Parked(UNKNOWN, ALL), new Parked(RETIRED, Set.of()),
        new PcPowerCycling(), new PcRebooting(), new PcPinging(),
        new StartPxeBoot(), new StartSelfTest(), new StartMaintenance(), new PxePowerCycling(),
        new PxeBooting(), new LiveInitStarted(), new ImageDownloading(), new ImageExtracting(),
        new Verifying(), new VerifyPowerCycle(), new StorageVerifying(), new OperationComplete(),
        new SelfTestRunning()));
    for (String s : List.of(FAILED_POWER_CYCLING, FAILED_PXE_BOOTING, FAILED_LIVE_INIT,
        FAILED_PC_PINGING, FAILED_SELF_TEST, FAILED_QUARANTINED)) {
      all.add(new FailedForHumans(s));
    }
    for (String s : List.of(FAILED_IMAGE_DOWNLOADING, FAILED_IMAGE_EXTRACTING, FAILED_VERIFYING,
        FAILED_STORAGE_VERIFYING)) {
      all.add(new FailedThenSelfTest(s));
    }
    for (DeviceState s : all) {
      states.put(s.name(), s);
    }
    this.unknown = states.get(UNKNOWN);
    this.engine = new MachineEngine(MachineKind.DEVICE, context.store(), context.timekeeper(),
        Map.copyOf(states), unknown, "lifeguard", context::deviceStateChanged,
        DeviceMachine::keepStatistics,
        org.mozpool.core.internal.PoolMeters.engineObserver(context.meterRegistry(),
            MachineKind.DEVICE));
    if (context instanceof org.mozpool.core.internal.StandardPool pool) {
      engine.fence(pool.fence()); // several instances on one store: fenced by this one's epoch
    }
  }

  MachineEngine engine() {
    return engine;
  }

  LifeguardPolicies policies() {
    return policies;
  }

  /**
   * The policy of the device of {@code step}: its hardware type's. Looked up once per step, so
   * every decision of the step follows the same policy.
   */
  LifeguardPolicy policy(Step step) {
    if (uniform) {
      return policies.defaultPolicy();
    }
    return step.scratch(DevicePolicy.class, () -> new DevicePolicy(policies.forHardwareType(
        step.tx().device(step.id()).map(d -> d.spec().hardwareType()).orElse(null)))).policy();
  }

  /** A step's scratch: the policy of its device. */
  private record DevicePolicy(LifeguardPolicy policy) {}

  /** Whether {@code name} is a state this machine knows (forced changes may only go there). */
  boolean isKnownState(String name) {
    return states.containsKey(name);
  }

  /** Whether the state named {@code state} accepts {@code please}. */
  boolean accepts(String state, Please please) {
    return states.getOrDefault(state, unknown).accepts.contains(please);
  }

  /** The states that accept {@code please}, for refusal messages. */
  List<String> statesAccepting(Please please) {
    return states.values().stream().filter(s -> s.accepts.contains(please)).map(s -> s.name)
        .sorted().toList();
  }

  /** Hands an event to the current state, as the engine would. */
  void deliver(Step step, String event, Map<String, Object> args) {
    states.getOrDefault(step.state(), unknown).onEvent(step, event, args);
  }

  // ---- statistics ----

  /**
   * The device's statistics for this step: read once per step, counted into by the handlers, and
   * written by {@link #keepStatistics} in the step's transaction.
   */
  static DeviceTally tally(Step step) {
    return step.scratch(DeviceTally.class,
        () -> DeviceTally.read(step.tx(), step.id(), step.now(), family(step)));
  }

  private static String family(Step step) {
    return DeviceTally.familyOf(step.state(), device(step).nextImage(), selfTesting(step));
  }

  /**
   * The engine's commit hook: accounts the time in the family a state change left and writes the
   * statistics once, if the step changed them. The machine is then written too, so that its
   * version check keeps two instances from counting over each other.
   */
  private static void keepStatistics(Step step) {
    DeviceTally tally = step.scratch(DeviceTally.class);
    if (step.hasTransitions()) {
      String family = family(step);
      // Most steps of a workflow stay in its family (pxe_power_cycling → pxe_booting): judged
      // with what the device installs now, such a step reads no statistics at all.
      String before = DeviceTally.familyOf(step.stateAtStart(), device(step).nextImage(),
          selfTesting(step));
      if (tally != null || !before.equals(family)) {
        tally = tally(step);
        tally.enterFamily(family, step.now());
      }
    }
    if (tally != null && tally.changed()) {
      tally.writeTo(step.tx());
      step.markChanged();
    }
  }

  /** Records a failure in {@code state} in the device's failure history and statistics. */
  static void recordFailure(Step step, String state) {
    step.tx().recordFailure(new DeviceFailure(step.id(), state, step.now()));
    tally(step).failed(state);
  }

  // ---- actions shared by please-events, release and states ----

  /** {@code please_image}: the caller has checked acceptance and the PXE config. */
  void startImaging(Step step, String image, Map<String, String> bootConfig) {
    DeviceRecord d = device(step);
    step.tx().updateDeviceImages(d.name(), d.image(), d.bootConfig(), image, bootConfig);
    step.goTo(START_PXE_BOOT);
  }

  /** {@code please_power_cycle}: clears the next image and counters, then cycles power. */
  void startPowerCycle(Step step) {
    DeviceRecord d = device(step);
    step.tx().updateDeviceImages(d.name(), d.image(), d.bootConfig(), "", Map.of());
    step.clearCounters();
    step.goTo(PC_POWER_CYCLING);
  }

  /** {@code please_self_test} from outside (a human or a tool, not Lifeguard itself). */
  void startRequestedSelfTest(Step step) {
    step.setCounter(SELF_TEST_REQUESTED, 1);
    step.goTo(START_SELF_TEST);
  }

  /**
   * A request has just let go of the device: if it is {@code ready} and a problem child, takes it
   * out of service (automatic self-test) before anyone else is handed it.
   *
   * @return whether the self-test was started (the release policy then does not apply)
   */
  boolean takeOutIfProblemChild(Step step) {
    return READY.equals(step.state()) && selfTestIfProblemChild(step);
  }

  static DeviceRecord device(Step step) {
    return step.tx().device(step.id()).orElseThrow();
  }

  private static DeviceTarget target(Step step) {
    return DeviceTarget.of(device(step).spec());
  }

  private Duration timeoutOf(Step step, String state) {
    return policy(step).timeout(state).orElseThrow(() -> new IllegalStateException(
        "no timeout configured for " + state));
  }

  /**
   * Marks the moment this machine's Lifeguard started (resumed its devices from the store): states
   * entered before it were entered by an earlier run of the instance.
   */
  void started(Instant at) {
    startedAt = at;
  }

  /**
   * The restart rule, for a timeout of a state that waits on a device callback or an operation:
   * whether the state was entered before this Lifeguard started (so what it waited for may have
   * been lost with the previous run) and the device still has restart retries left in this
   * workflow, in which case one is counted and logged and the caller drives the workflow again.
   * The state's entry is its deadline less its timeout (the engine sets the deadline so on entry;
   * only {@code ready}, which this rule does not cover, moves its deadline later).
   */
  private boolean mayDriveAgainAfterRestart(Step step) {
    Instant started = startedAt;
    Instant deadline = step.deadline();
    Optional<Duration> timeout = policy(step).timeout(step.state());
    if (started == null || deadline == null || timeout.isEmpty()
        || !deadline.minus(timeout.get()).isBefore(started)) {
      return false;
    }
    int n = step.increment(RESTART_RETRIES);
    int limit = policy(step).restartRetries();
    if (n > limit) {
      step.log("resumed after restart: " + step.state() + " was entered before this instance"
          + " started, but this workflow has been driven again after " + limit + " restarts"
          + " already (limit " + limit + "); its timeout applies as usual");
      return false;
    }
    step.log("resumed after restart: " + step.state() + " was entered before this instance"
        + " started, so what it waited for may have been lost; driving the workflow again ("
        + n + " of " + limit + " restart retries)");
    return true;
  }

  /**
   * Counts one failure of {@code state}; past its limit goes to {@code failed}, otherwise to
   * {@code retry}.
   */
  private void retry(Step step, String state, String failed, String retry) {
    int n = step.increment(state);
    int limit = policy(step).retryLimit(state);
    if (n > limit) {
      step.log(state + " failed " + n + " times (limit " + limit + "); giving up");
      step.goTo(failed);
    } else {
      step.log(state + " timed out or failed (" + n + " of " + limit + " retries); retrying");
      step.goTo(retry);
    }
  }

  /** Moves the next image to the current one (no-op without a next image). */
  private static void makeNextImageCurrent(Step step) {
    DeviceRecord d = device(step);
    if (!d.nextImage().isEmpty()) {
      step.tx().updateDeviceImages(d.name(), d.nextImage(), d.nextBootConfig(), "", Map.of());
      step.log("now carries image " + d.nextImage());
      tally(step).imaged(d.nextImage());
    }
  }

  /** Forgets what the device carries and what it was about to carry. */
  private static void clearImages(Step step) {
    step.tx().updateDeviceImages(step.id(), "", Map.of(), "", Map.of());
  }

  /**
   * Records {@code result} on the device's claim (if a request holds it) and tells the pool after
   * commit.
   */
  private void report(Step step, ImagingResult result) {
    Optional<Claim> claim = step.tx().claimOfDevice(step.id());
    if (claim.isEmpty()) {
      return;
    }
    String request = claim.get().requestId();
    String device = step.id();
    step.tx().setImagingResult(device, result);
    step.log("reported " + result.wireName() + " to request " + request);
    step.afterCommit(() -> context.imagingResult(request, device, result));
  }

  private static boolean claimed(Step step) {
    return step.tx().claimOfDevice(step.id()).isPresent();
  }

  private static boolean selfTesting(Step step) {
    return step.counter(SELF_TEST) != 0;
  }

  /**
   * The failures that count towards a quarantine: those within the window and after the latest
   * quarantine verdict. Leaving {@code failed_quarantined} takes a human, who has judged the
   * failures that led there; only new ones may quarantine the device again.
   */
  private int countedFailures(Step step) {
    int n = 0;
    for (DeviceFailure f : step.tx().failures(step.id(),
        step.now().minus(policy(step).quarantineWindow()))) {
      n = FAILED_QUARANTINED.equals(f.state()) ? 0 : n + 1;
    }
    return n;
  }

  /**
   * At a moment no request holds the device: a problem child (K counted failures within the
   * window) is taken out of service through an automatic self-test, which ends in {@code
   * failed_quarantined} by {@link #selfTestPassed}'s rule (or in {@code failed_self_test}).
   *
   * @return whether the self-test was started
   */
  private boolean selfTestIfProblemChild(Step step) {
    int failures = countedFailures(step);
    if (failures < policy(step).quarantineFailures()) {
      return false;
    }
    step.log(failures + " failures within " + policy(step).quarantineWindow()
        + " make this device a problem child; self-testing before it serves again");
    step.goTo(START_SELF_TEST);
    return true;
  }

  /**
   * Records a failure that Lifeguard retries past rather than a failed state (a relay fault, a
   * failed idle probe), so that the problem-child rule sees it.
   */
  private static void recordFailureIn(Step step, String state, String what) {
    recordFailure(step, state);
    step.log("recorded " + what + " in the failure history");
  }

  /** The end of a passed self-test: ready, unless the device is a problem child. */
  private void selfTestPassed(Step step) {
    boolean automatic = step.counter(SELF_TEST) == AUTOMATIC;
    tally(step).selfTestPassed();
    tally(step).seenHealthy(step.now());
    int failures = countedFailures(step);
    if (automatic && failures >= policy(step).quarantineFailures()) {
      step.log("self-test passed, but " + failures + " failures within "
          + policy(step).quarantineWindow() + " make this device a problem child; quarantined");
      step.goTo(FAILED_QUARANTINED);
    } else {
      step.log("self-test passed");
      step.goTo(READY);
    }
  }

  /**
   * The live image's temperature reading in a device event against the device's {@linkplain
   * LifeguardPolicy#temperatureLimit() limit}. At or over it the board is overheating and out of
   * service: the reading, the event and the limit go into the device's log, and the device to
   * {@code failed_self_test} — the state the live image's own self-test ends in for a hot board —
   * which records the failure in its history, tells a claiming request {@code failed-bad-device}
   * and calls a human. Maintenance is the exception: a human asked for the board (to look at it,
   * say) and gets it, with the reading in the log. Under the limit, without a limit or without a
   * readable reading ({@code "unknown"}: no sensor), nothing happens.
   *
   * @return whether the device was taken out of service (the event is then not handled further)
   */
  private boolean overheated(Step step, String event, Map<String, Object> args) {
    OptionalDouble limit = policy(step).temperatureLimit();
    OptionalDouble reading = celsius(args == null ? null : args.get(TEMPERATURE));
    if (limit.isEmpty() || reading.isEmpty() || reading.getAsDouble() < limit.getAsDouble()) {
      return false;
    }
    String what = String.format(Locale.ROOT, "temperature %.1f C reported with %s is at or over"
        + " the limit of %.1f C (overheating)", reading.getAsDouble(), event, limit.getAsDouble());
    if (DeviceEvents.MAINT_MODE.equals(event)
        || Image.MAINTENANCE.equals(device(step).nextImage())) {
      step.log("device", what + "; maintenance goes ahead");
      return false;
    }
    step.log("device", what + "; out of service");
    if (PXE_BOOTING.equals(step.state()) || LIVE_INIT_STARTED.equals(step.state())) {
      clearPxeConfigQuietly(step); // the next power-on must not start the live image again
    }
    step.goTo(FAILED_SELF_TEST);
    return true;
  }

  /** A temperature argument in degrees Celsius: a number, or a string holding one. */
  private static OptionalDouble celsius(Object value) {
    if (value instanceof Number n) {
      double d = n.doubleValue();
      return Double.isFinite(d) ? OptionalDouble.of(d) : OptionalDouble.empty();
    }
    if (value instanceof String s) {
      try {
        double d = Double.parseDouble(s.strip());
        return Double.isFinite(d) ? OptionalDouble.of(d) : OptionalDouble.empty();
      } catch (NumberFormatException e) {
        return OptionalDouble.empty(); // "unknown": the board has no sensor
      }
    }
    return OptionalDouble.empty();
  }

  /** {@code image_failed}: the image is to blame, not the device. */
  private void imageFailed(Step step, Map<String, Object> args) {
    Object reason = args == null ? null : args.get(DeviceEvents.REASON);
    step.log("device", "image failed: " + (reason == null ? "no reason given" : reason));
    String image = device(step).nextImage();
    clearImages(step);
    clearPxeConfigQuietly(step);
    step.log("image " + image + " is bad; the device is not blamed");
    report(step, ImagingResult.FAILED_BAD_IMAGE);
    step.goTo(READY);
  }

  /**
   * Starts a power cycle as an operation of the current attempt; with {@code pxeConfig} the
   * config is written first (and the device is not cycled if that fails), otherwise any PXE config
   * is cleared first so that the device boots from its storage.
   *
   * @return false when the device has no power address (the caller fails the device)
   */
  private boolean startPowerCycleOperation(Step step, String state, PxeConfig pxeConfig) {
    DeviceRecord d = device(step);
    if (d.spec().powerAddress().isEmpty()) {
      step.log("device has no power address; cannot power-cycle");
      return false;
    }
    DeviceTarget t = DeviceTarget.of(d.spec());
    Duration deadline = timeoutOf(step, state);
    Supplier<CompletionStage<Void>> cycle = () -> countingRelayFaults(d.name(), state,
        context.powerControl().powerCycle(t, deadline));
    Supplier<CompletionStage<?>> op;
    String name;
    if (pxeConfig == null) {
      name = "power cycle";
      // Stages passes the engine's cancellation on to the driver's stage (DESIGN §4).
      op = () -> Stages.thenCompose(context.bootControl().clearPxeConfig(t), v -> cycle.get());
    } else {
      String token = newToken();
      step.tx().updateCallbackToken(d.name(), token);
      Map<String, String> values = Map.of("DEVICE", d.name(), "TOKEN", token, "MAC",
          d.spec().mac());
      name = "PXE config " + pxeConfig.name() + " and power cycle";
      op = () -> Stages.thenCompose(context.bootControl().setPxeConfig(t, pxeConfig, values),
          v -> cycle.get());
    }
    step.log("starting " + name);
    step.startOperation(name, op, deadline, DeviceEvents.POWER_CYCLE_OK,
        DeviceEvents.POWER_CYCLE_FAILED);
    return true;
  }

  /**
   * Passes {@code cycle} through; when it fails with a {@link RelayFaultException} (the device's
   * own relay read back the wrong state), records a failure in {@code state} for the device in a
   * step of its own. The workflow itself still just retries, as for any failed power cycle; a
   * fault of the whole relay board (hung, unreachable, garbage) is not the device's and is not
   * recorded.
   */
  private CompletionStage<Void> countingRelayFaults(String device, String state,
      CompletionStage<Void> cycle) {
    return Stages.whenComplete(cycle, (v, e) -> {
      if (e != null && RelayFaultException.isRelayFault(e)) {
        engine.submit(device, s -> recordFailureIn(s, state, "a relay fault in " + state))
            .exceptionally(x -> {
              LOG.warn("could not record the relay fault of {}", device, x);
              return null;
            });
      }
    });
  }

  /**
   * Passes {@code ping}, an idle health probe's ping, through; when it fails, the idle board did
   * not answer at all, and a failure in {@code ready} is recorded for it in a step of its own.
   */
  private CompletionStage<Void> countingSilence(String device, CompletionStage<Void> ping) {
    return ping.whenComplete((v, e) -> {
      if (e != null) {
        engine.submit(device, s -> recordFailureIn(s, READY,
            "an idle health probe the device did not answer at all")).exceptionally(x -> {
              LOG.warn("could not record the failed health probe of {}", device, x);
              return null;
            });
      }
    });
  }

  /**
   * Clears the PXE config after commit without waiting for it: nothing in the workflow depends on
   * when it lands, only that it does; a failure is written to the device's log.
   */
  private void clearPxeConfigQuietly(Step step) {
    DeviceTarget t = target(step);
    String id = step.id();
    step.afterCommit(() -> context.timekeeper().io().execute(() -> {
      CompletionStage<Void> stage;
      try {
        stage = context.bootControl().clearPxeConfig(t);
      } catch (RuntimeException e) {
        stage = CompletableFuture.failedFuture(e);
      }
      stage.whenComplete((v, e) -> {
        if (e != null) {
          engine.submit(id, s -> s.log("clearing the PXE config failed: " + e.getMessage()))
              .exceptionally(x -> {
                LOG.warn("could not log PXE clear failure of {}", id, x);
                return null;
              });
        }
      });
    }));
  }

  /** Tells the attention listener, after commit, with the device's recent log. */
  private void callForHelp(Step step) {
    String id = step.id();
    step.afterCommit(() -> {
      try {
        record Snapshot(DeviceView view, List<LogEntry> log) {}
        Snapshot s = context.store().inTransaction(tx -> {
          DeviceRecord d = tx.device(id).orElseThrow();
          DeviceView view = new DeviceView(d.spec(), d.machine().state(), d.machine().deadline(),
              d.image(), d.bootConfig(), d.nextImage(), d.nextBootConfig(),
              tx.claimOfDevice(id).map(Claim::requestId));
          return new Snapshot(view, tx.log(MachineKind.DEVICE, id,
              policies.forHardwareType(d.spec().hardwareType()).recentLogLines()));
        });
        context.attentionListener().deviceNeedsAttention(s.view(), s.log());
      } catch (RuntimeException e) {
        LOG.warn("attention listener failed for device {}", id, e);
      }
    });
  }

  private static String newToken() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  // ---- states ----

  /**
   * A device state: its name, timeout from the policy, the please-events it accepts, and whether it
   * waits on something a restart can lose (see {@link DeviceMachine}'s restart rule).
   */
  private abstract class DeviceState implements MachineState {
    final String name;
    final Set<Please> accepts;
    private final boolean waitsOnDevice;

    DeviceState(String name, Set<Please> accepts) {
      this(name, accepts, false);
    }

    /**
     * @param waitsOnDevice the state waits for a device callback or for the completion of an
     *     operation started by its entry action, either of which a restart of the instance loses
     */
    DeviceState(String name, Set<Please> accepts, boolean waitsOnDevice) {
      this.name = name;
      this.accepts = accepts;
      this.waitsOnDevice = waitsOnDevice;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public Duration timeout() {
      return policies.defaultPolicy().timeout(name).orElse(null);
    }

    /** The timeout of this state in the policy of the step's device (its hardware type). */
    @Override
    public Duration timeout(Step step) {
      return policy(step).timeout(name).orElse(null);
    }

    @Override
    public final void onTimeout(Step step) {
      if (waitsOnDevice && mayDriveAgainAfterRestart(step)) {
        driveAgain(step);
      } else {
        timedOut(step);
      }
    }

    /** The state's own timeout handling. */
    void timedOut(Step step) {}

    /**
     * Drives the workflow again after a restart may have lost what this state waited for;
     * by default enters the state again, which re-runs its entry action (a new attempt).
     */
    void driveAgain(Step step) {
      step.goTo(name);
    }

    @Override
    public void onEvent(Step step, String event, Map<String, Object> args) {
      step.log("ignored event " + event + " in state " + step.state());
    }
  }

  // ---- steady states (§5.1) ----

  private final class New extends DeviceState {
    New() {
      super(NEW, ALL);
    }

    @Override
    void timedOut(Step step) {
      step.goTo(START_SELF_TEST);
    }
  }

  private final class Ready extends DeviceState {
    Ready() {
      super(READY, ALL);
    }

    @Override
    void timedOut(Step step) {
      Duration interval = timeoutOf(step, READY);
      // The next probe does no harm early: a probe step writes nothing for re-arming it (a
      // restart probes at once, as it would an overdue probe).
      step.recheckAt(step.now().plus(interval));
      if (claimed(step)) {
        return; // the holder is using it: no probing
      }
      if (selfTestIfProblemChild(step)) {
        return;
      }
      DeviceRecord d = device(step);
      DeviceTarget t = DeviceTarget.of(d.spec());
      // The first probe after this instance started may find a board still booting (the lab
      // lost power with the instance, or its probe was overdue): it self-tests as usual, but its
      // silence is not held against the board.
      Instant started = startedAt;
      boolean countSilence = started == null || !step.now().isBefore(started.plus(interval));
      Function<CompletionStage<Void>, CompletionStage<Void>> silence = ping -> countSilence
          ? countingSilence(d.name(), ping) : ping;
      boolean agent = !d.image().isEmpty()
          && step.tx().image(d.image()).map(Image::hasAgent).orElse(false);
      Duration pingDeadline = timeoutOf(step, PC_PINGING);
      if (agent) {
        // An agent that does not answer on a board that still answers pings is a software
        // hiccup the self-test's reboot cures, not the board's fault: only a board that answers
        // neither is counted (hung, overheated, lost its network).
        Duration deadline = timeoutOf(step, VERIFYING);
        step.startOperation("health probe (agent verify)",
            () -> context.deviceProbe().verifyAgent(t, deadline).exceptionallyCompose(e ->
                silence.apply(context.deviceProbe().ping(t, pingDeadline))
                    .handle((v, x) -> {
                      throw e instanceof CompletionException c ? c : new CompletionException(e);
                    })), deadline,
            DeviceEvents.PROBE_OK, DeviceEvents.PROBE_FAILED);
      } else {
        step.startOperation("health probe (ping)",
            () -> silence.apply(context.deviceProbe().ping(t, pingDeadline)),
            pingDeadline, DeviceEvents.PROBE_OK, DeviceEvents.PROBE_FAILED);
      }
    }

    @Override
    public void onEvent(Step step, String event, Map<String, Object> args) {
      switch (event) {
        case DeviceEvents.PROBE_OK -> tally(step).seenHealthy(step.now());
        case DeviceEvents.PROBE_FAILED -> {
          if (claimed(step)) {
            step.log("health probe failed, but the device is claimed; leaving it to its holder");
          } else {
            step.log("health probe failed; self-testing");
            step.goTo(START_SELF_TEST);
          }
        }
        default -> super.onEvent(step, event, args);
      }
    }
  }

  /** A state without timeout that waits for a human or a please-event. */
  private final class Parked extends DeviceState {
    Parked(String name, Set<Please> accepts) {
      super(name, accepts);
    }
  }

  // ---- power-cycle workflow (§5.3) ----

  private final class PcPowerCycling extends DeviceState {
    PcPowerCycling() {
      super(PC_POWER_CYCLING, Set.of(), true);
    }

    @Override
    public void onEntry(Step step) {
      if (!startPowerCycleOperation(step, PC_POWER_CYCLING, null)) {
        step.goTo(FAILED_POWER_CYCLING);
      }
    }

    @Override
    public void onEvent(Step step, String event, Map<String, Object> args) {
      switch (event) {
        case DeviceEvents.POWER_CYCLE_OK -> {
          tally(step).powerCycled();
          step.goTo(PC_REBOOTING);
        }
        case DeviceEvents.POWER_CYCLE_FAILED -> { } // logged; the timeout retries
        default -> super.onEvent(step, event, args);
      }
    }

    @Override
    void timedOut(Step step) {
      retry(step, PC_POWER_CYCLING, FAILED_POWER_CYCLING, PC_POWER_CYCLING);
    }
  }

  private final class PcRebooting extends DeviceState {
    PcRebooting() {
      super(PC_REBOOTING, Set.of());
    }

    @Override
    void timedOut(Step step) {
      // u-boot answers pings too: only ping once the device has had time to boot.
      step.goTo(PC_PINGING);
    }
  }

  private final class PcPinging extends DeviceState {
    PcPinging() {
      super(PC_PINGING, Set.of(), true);
    }

    @Override
    public void onEntry(Step step) {
      DeviceTarget t = target(step);
      Duration deadline = timeoutOf(step, PC_PINGING);
      step.startOperation("ping", () -> context.deviceProbe().ping(t, deadline), deadline,
          DeviceEvents.PING_OK, DeviceEvents.PING_FAILED);
    }

    @Override
    public void onEvent(Step step, String event, Map<String, Object> args) {
      switch (event) {
        case DeviceEvents.PING_OK -> step.goTo(OPERATION_COMPLETE);
        case DeviceEvents.PING_FAILED -> { } // a miss; the timeout counts it
        default -> super.onEvent(step, event, args);
      }
    }

    @Override
    void timedOut(Step step) {
      int misses = step.increment(PC_PINGING);
      int limit = policy(step).retryLimit(PC_PINGING);
      if (misses <= limit) {
        step.goTo(PC_PINGING);
        return;
      }
      int rounds = step.increment(PING_ROUNDS);
      if (rounds >= policy(step).pcPingingRounds()) {
        step.log("no answer to " + misses + " pings after " + rounds + " power cycles; giving up");
        step.goTo(FAILED_PC_PINGING);
      } else {
        step.log("no answer to " + misses + " pings; power-cycling again (round " + (rounds + 1)
            + " of " + policy(step).pcPingingRounds() + ")");
        step.setCounter(PC_PINGING, 0);
        step.setCounter(PC_POWER_CYCLING, 0);
        step.goTo(PC_POWER_CYCLING);
      }
    }
  }

  // ---- PXE workflow (§5.4) ----

  private final class StartPxeBoot extends DeviceState {
    StartPxeBoot() {
      super(START_PXE_BOOT, Set.of());
    }

    @Override
    public void onEntry(Step step) {
      step.clearCounters();
      DeviceRecord d = device(step);
      step.log("installing image " + d.nextImage());
      step.goTo(PXE_POWER_CYCLING);
    }
  }

  private final class StartSelfTest extends DeviceState {
    StartSelfTest() {
      super(START_SELF_TEST, Set.of());
    }

    @Override
    public void onEntry(Step step) {
      boolean requested = step.counter(SELF_TEST_REQUESTED) != 0;
      step.clearCounters();
      step.setCounter(SELF_TEST, requested ? REQUESTED : AUTOMATIC);
      beginSelfTest(step);
    }
  }

  /**
   * Boots the self-test image ({@code pxe_power_cycling}), or power-cycles ({@code
   * pc_power_cycling}) on hardware without a self-test PXE config. Leaves the counters alone.
   */
  private static void beginSelfTest(Step step) {
    DeviceRecord d = device(step);
    String hardware = d.spec().hardwareType();
    if (step.tx().pxeConfigFor(Image.SELF_TEST, hardware).isPresent()) {
      step.tx().updateDeviceImages(d.name(), d.image(), d.bootConfig(), Image.SELF_TEST, Map.of());
      step.log("self-testing with the " + Image.SELF_TEST + " image");
      step.goTo(PXE_POWER_CYCLING);
    } else {
      step.tx().updateDeviceImages(d.name(), d.image(), d.bootConfig(), "", Map.of());
      step.log("no " + Image.SELF_TEST + " PXE config for hardware " + hardware
          + "; self-test is a power cycle");
      step.goTo(PC_POWER_CYCLING);
    }
  }

  private final class StartMaintenance extends DeviceState {
    StartMaintenance() {
      super(START_MAINTENANCE, Set.of());
    }

    @Override
    public void onEntry(Step step) {
      step.clearCounters();
      DeviceRecord d = device(step);
      step.tx().updateDeviceImages(d.name(), d.image(), d.bootConfig(), Image.MAINTENANCE, Map.of());
      step.log("booting the " + Image.MAINTENANCE + " image");
      step.goTo(PXE_POWER_CYCLING);
    }
  }

  private final class PxePowerCycling extends DeviceState {
    PxePowerCycling() {
      super(PXE_POWER_CYCLING, Set.of(), true);
    }

    @Override
    public void onEntry(Step step) {
      DeviceRecord d = device(step);
      Optional<PxeConfig> config = step.tx().pxeConfigFor(d.nextImage(), d.spec().hardwareType());
      if (config.isEmpty()) {
        step.log("no PXE config installs image '" + d.nextImage() + "' on hardware "
            + d.spec().hardwareType() + "; not power-cycling");
        step.goTo(FAILED_PXE_BOOTING);
        return;
      }
      if (!startPowerCycleOperation(step, PXE_POWER_CYCLING, config.get())) {
        step.goTo(FAILED_POWER_CYCLING);
      }
    }

    @Override
    public void onEvent(Step step, String event, Map<String, Object> args) {
      switch (event) {
        case DeviceEvents.POWER_CYCLE_OK -> {
          tally(step).powerCycled();
          step.goTo(PXE_BOOTING);
        }
        case DeviceEvents.POWER_CYCLE_FAILED -> { } // logged; the timeout retries
        default -> super.onEvent(step, event, args);
      }
    }

    @Override
    void timedOut(Step step) {
      retry(step, PXE_POWER_CYCLING, FAILED_POWER_CYCLING, PXE_POWER_CYCLING);
    }
  }

  private final class PxeBooting extends DeviceState {
    PxeBooting() {
      super(PXE_BOOTING, Set.of(), true);
    }

    @Override
    public void onEvent(Step step, String event, Map<String, Object> args) {
      if (overheated(step, event, args)) {
        return;
      }
      if (DeviceEvents.MOBILE_INIT_STARTED.equals(event)) {
        step.goTo(LIVE_INIT_STARTED);
      } else {
        super.onEvent(step, event, args);
      }
    }

    @Override
    void timedOut(Step step) {
      retry(step, PXE_BOOTING, FAILED_PXE_BOOTING, PXE_POWER_CYCLING);
    }

    @Override
    void driveAgain(Step step) {
      step.goTo(PXE_POWER_CYCLING); // the PXE workflow again: config, power cycle, boot
    }
  }

  private final class LiveInitStarted extends DeviceState {
    LiveInitStarted() {
      super(LIVE_INIT_STARTED, Set.of(), true);
    }

    @Override
    public void onEntry(Step step) {
      // The live image is up: the next reboot must boot from storage. Maintenance keeps its
      // config until the device reports maint_mode (its init may reboot into it again).
      if (!Image.MAINTENANCE.equals(device(step).nextImage())) {
        clearPxeConfigQuietly(step);
      }
    }

    @Override
    public void onEvent(Step step, String event, Map<String, Object> args) {
      if (overheated(step, event, args)) {
        return;
      }
      switch (event) {
        case DeviceEvents.IMAGE_DOWNLOADING -> step.goTo(IMAGE_DOWNLOADING);
        case DeviceEvents.MAINT_MODE -> {
          clearPxeConfigQuietly(step);
          clearImages(step);
          step.goTo(MAINTENANCE_MODE);
        }
        case DeviceEvents.SELF_TEST_RUNNING -> {
          DeviceRecord d = device(step);
          if (d.nextImage().equals(Image.MAINTENANCE)) {
            clearPxeConfigQuietly(step);
          }
          clearImages(step);
          step.goTo(SELF_TEST_RUNNING);
        }
        case DeviceEvents.IMAGE_FAILED -> imageFailed(step, args);
        default -> super.onEvent(step, event, args);
      }
    }

    @Override
    void timedOut(Step step) {
      retry(step, LIVE_INIT_STARTED, FAILED_LIVE_INIT, PXE_POWER_CYCLING);
    }

    @Override
    void driveAgain(Step step) {
      step.goTo(PXE_POWER_CYCLING); // the PXE workflow again: config, power cycle, boot
    }
  }

  private final class ImageDownloading extends DeviceState {
    ImageDownloading() {
      super(IMAGE_DOWNLOADING, Set.of(), true);
    }

    @Override
    public void onEvent(Step step, String event, Map<String, Object> args) {
      if (overheated(step, event, args)) {
        return;
      }
      switch (event) {
        case DeviceEvents.IMAGE_EXTRACTING -> {
          DeviceRecord d = device(step);
          // The card is being overwritten: whatever it carried is gone.
          step.tx().updateDeviceImages(d.name(), "", Map.of(), d.nextImage(), d.nextBootConfig());
          step.goTo(IMAGE_EXTRACTING);
        }
        case DeviceEvents.IMAGE_FAILED -> imageFailed(step, args);
        default -> super.onEvent(step, event, args);
      }
    }

    @Override
    void timedOut(Step step) {
      retry(step, IMAGE_DOWNLOADING, FAILED_IMAGE_DOWNLOADING, PXE_POWER_CYCLING);
    }

    @Override
    void driveAgain(Step step) {
      step.goTo(PXE_POWER_CYCLING); // the PXE workflow again: config, power cycle, boot
    }
  }

  private final class ImageExtracting extends DeviceState {
    ImageExtracting() {
      super(IMAGE_EXTRACTING, Set.of(), true);
    }

    @Override
    public void onEvent(Step step, String event, Map<String, Object> args) {
      if (overheated(step, event, args)) {
        return;
      }
      switch (event) {
        case DeviceEvents.IMAGE_REBOOTING -> {
          String image = device(step).nextImage();
          boolean agent = step.tx().image(image).map(Image::hasAgent).orElse(false);
          step.goTo(agent ? VERIFYING : PC_REBOOTING);
        }
        case DeviceEvents.IMAGE_FAILED -> imageFailed(step, args);
        default -> super.onEvent(step, event, args);
      }
    }

    @Override
    void timedOut(Step step) {
      retry(step, IMAGE_EXTRACTING, FAILED_IMAGE_EXTRACTING, PXE_POWER_CYCLING);
    }

    @Override
    void driveAgain(Step step) {
      step.goTo(PXE_POWER_CYCLING); // the PXE workflow again: config, power cycle, boot
    }
  }

  private final class Verifying extends DeviceState {
    Verifying() {
      super(VERIFYING, Set.of(), true);
    }

    @Override
    public void onEntry(Step step) {
      DeviceTarget t = target(step);
      Duration deadline = timeoutOf(step, VERIFYING);
      step.startOperation("agent verify", () -> context.deviceProbe().verifyAgent(t, deadline),
          deadline, DeviceEvents.VERIFY_OK, DeviceEvents.VERIFY_FAILED);
    }

    @Override
    public void onEvent(Step step, String event, Map<String, Object> args) {
      switch (event) {
        case DeviceEvents.VERIFY_OK -> step.goTo(STORAGE_VERIFYING);
        case DeviceEvents.VERIFY_FAILED -> { } // the agent may still be starting; the timeout retries
        default -> super.onEvent(step, event, args);
      }
    }

    @Override
    void timedOut(Step step) {
      int n = step.increment(VERIFYING);
      int limit = policy(step).retryLimit(VERIFYING);
      if (n > limit) {
        step.log("agent verify failed " + n + " times (limit " + limit + "); giving up");
        step.goTo(FAILED_VERIFYING);
      } else if (n % policy(step).verifyPowerCycleEvery() == 0) {
        step.log("agent verify timed out " + n + " times; power-cycling");
        step.goTo(VERIFY_POWER_CYCLE);
      } else {
        step.goTo(VERIFYING);
      }
    }
  }

  private final class VerifyPowerCycle extends DeviceState {
    VerifyPowerCycle() {
      super(VERIFY_POWER_CYCLE, Set.of(), true);
    }

    @Override
    public void onEntry(Step step) {
      if (!startPowerCycleOperation(step, VERIFY_POWER_CYCLE, null)) {
        step.goTo(FAILED_POWER_CYCLING);
      }
    }

    @Override
    public void onEvent(Step step, String event, Map<String, Object> args) {
      switch (event) {
        case DeviceEvents.POWER_CYCLE_OK -> {
          tally(step).powerCycled();
          step.goTo(VERIFYING);
        }
        case DeviceEvents.POWER_CYCLE_FAILED -> { }
        default -> super.onEvent(step, event, args);
      }
    }

    @Override
    void timedOut(Step step) {
      retry(step, VERIFY_POWER_CYCLE, FAILED_POWER_CYCLING, VERIFY_POWER_CYCLE);
    }
  }

  private final class StorageVerifying extends DeviceState {
    StorageVerifying() {
      super(STORAGE_VERIFYING, Set.of(), true);
    }

    @Override
    public void onEntry(Step step) {
      DeviceTarget t = target(step);
      Duration deadline = timeoutOf(step, STORAGE_VERIFYING);
      step.startOperation("storage check", () -> context.deviceProbe().checkStorage(t, deadline),
          deadline, DeviceEvents.STORAGE_VERIFY_OK, DeviceEvents.STORAGE_VERIFY_FAILED);
    }

    @Override
    public void onEvent(Step step, String event, Map<String, Object> args) {
      switch (event) {
        case DeviceEvents.STORAGE_VERIFY_OK -> step.goTo(OPERATION_COMPLETE);
        case DeviceEvents.STORAGE_VERIFY_FAILED ->
            retry(step, STORAGE_VERIFYING, FAILED_STORAGE_VERIFYING, STORAGE_VERIFYING);
        default -> super.onEvent(step, event, args);
      }
    }

    @Override
    void timedOut(Step step) {
      retry(step, STORAGE_VERIFYING, FAILED_STORAGE_VERIFYING, STORAGE_VERIFYING);
    }
  }

  private final class OperationComplete extends DeviceState {
    OperationComplete() {
      super(OPERATION_COMPLETE, Set.of());
    }

    @Override
    public void onEntry(Step step) {
      tally(step).seenHealthy(step.now());
      makeNextImageCurrent(step);
      if (selfTesting(step)) {
        selfTestPassed(step); // a self-test on hardware without a self-test image
      } else {
        report(step, ImagingResult.COMPLETE);
        if (claimed(step) || !selfTestIfProblemChild(step)) {
          step.goTo(READY);
        }
      }
    }

    @Override
    void timedOut(Step step) {
      step.goTo(READY);
    }
  }

  private final class SelfTestRunning extends DeviceState {
    SelfTestRunning() {
      super(SELF_TEST_RUNNING, SELF_TEST_OR_MAINTENANCE, true);
    }

    @Override
    public void onEvent(Step step, String event, Map<String, Object> args) {
      if (overheated(step, event, args)) {
        return;
      }
      switch (event) {
        case DeviceEvents.SELF_TEST_OK -> selfTestPassed(step);
        case DeviceEvents.FAILED_SELF_TEST -> {
          step.log("device", "self-test failed" + (args == null || args.isEmpty() ? "" : ": " + args));
          step.goTo(FAILED_SELF_TEST);
        }
        default -> super.onEvent(step, event, args);
      }
    }

    @Override
    void timedOut(Step step) {
      step.log("self-test did not finish within " + timeoutOf(step, SELF_TEST_RUNNING));
      step.goTo(FAILED_SELF_TEST);
    }

    @Override
    void driveAgain(Step step) {
      beginSelfTest(step); // counters kept: the self-test's kind and the restart count
    }
  }

  // ---- failed states (§5.5) ----

  private void failed(Step step) {
    // Quarantine is recorded too, but as a verdict on the failures before it, not a failure of its
    // own: countedFailures starts counting afresh after it, so a device a human has released from
    // quarantine is not sent straight back by the same old failures.
    recordFailure(step, step.state());
    if (selfTesting(step) && !FAILED_QUARANTINED.equals(step.state())) {
      tally(step).selfTestFailed();
    }
    report(step, ImagingResult.FAILED_BAD_DEVICE);
  }

  private final class FailedForHumans extends DeviceState {
    FailedForHumans(String name) {
      super(name, SELF_TEST_OR_MAINTENANCE);
    }

    @Override
    public void onEntry(Step step) {
      failed(step);
      step.log("device needs a human (" + name + ")");
      callForHelp(step);
    }
  }

  private final class FailedThenSelfTest extends DeviceState {
    FailedThenSelfTest(String name) {
      super(name, SELF_TEST_OR_MAINTENANCE);
    }

    @Override
    public void onEntry(Step step) {
      failed(step);
    }

    @Override
    void timedOut(Step step) {
      step.goTo(START_SELF_TEST);
    }
  }
}
