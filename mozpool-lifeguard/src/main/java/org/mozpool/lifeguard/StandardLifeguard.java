package org.mozpool.lifeguard;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.mozpool.ConflictException;
import org.mozpool.DeviceStates;
import org.mozpool.Image;
import org.mozpool.ImagingResult;
import org.mozpool.NoSuchDeviceException;
import org.mozpool.PleaseSender;
import org.mozpool.RefusedException;
import org.mozpool.ReturnOutcome;
import org.mozpool.core.internal.MachineEngine;
import org.mozpool.core.internal.Step;
import org.mozpool.lifeguard.DeviceMachine.Please;
import org.mozpool.spi.Claim;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.DeviceTarget;
import org.mozpool.spi.Lifeguard;
import org.mozpool.spi.LifeguardContext;
import org.mozpool.spi.LifeguardFactory;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;

/**
 * The standard {@link Lifeguard}: the device state machine of DESIGN §5 over the pool's store,
 * timekeeper and hardware SPIs. Plug it into a pool with
 * {@code Mozpool.builder().lifeguard(StandardLifeguard.factory())}, or
 * {@link #factory(LifeguardPolicy)} to change timeouts, retry limits, quarantine or the release
 * policy, or {@link #factory(LifeguardPolicies)} to give hardware types policies of their own:
 * every decision about a device (its states' timeouts, retry limits, quarantine, release policy,
 * workflow budget) follows the policy of its hardware type.
 *
 * <p>Thread safe. Every operation returns at once with a stage that completes when the device's
 * machine has committed the event; refusals fail it with {@link RefusedException} (the state does
 * not accept the please-event, or no PXE config installs the image on the device's hardware),
 * {@link ConflictException} (a conditional change whose {@code from} is not the current state) or
 * {@link NoSuchDeviceException}. Hardware operations run on the timekeeper's I/O executor, never
 * inside a step, each bounded by its state's timeout.
 *
 * <p>Leased devices: a device a request holds belongs to that request. A please-event from anyone
 * but the {@linkplain PleaseSender#claimHolder claim holder} (the pool acting for that request) is
 * refused with a {@link ConflictException} naming the device and the request, and nothing changes;
 * the please-event methods without a sender are an unnamed operator's and are refused likewise.
 * An operator who must take the device anyway sends the event
 * {@linkplain PleaseSender#endingLease ending the lease}: in the same step that the device accepts
 * it, the claim is marked {@code failed-bad-device}, the holding request is told (it ends
 * {@code failed_bad_device} with the operator's name and reason) and the device log records who did
 * it. The lease never stays {@code ready} on a device that has moved on. Forced
 * {@linkplain #changeState conditional changes} are not checked against claims: they are the
 * operator's tool of last resort.
 *
 * <p>A device its client {@linkplain #returnedBad returned as bad} gets a failure in its history
 * (state: the state it was in, usually {@code ready}), which counts towards quarantine, and an
 * automatic self-test before it can be handed out again.
 */
public final class StandardLifeguard implements Lifeguard {
  private final LifeguardContext context;
  private final DeviceMachine machine;
  private final MachineEngine engine;
  /**
   * The workflow budgets by please-event, worked out once (the pool asks at every pending poll):
   * the longest over every hardware type's policy, for callers that do not name the device.
   */
  private final Map<String, Duration> budgets;
  /** The workflow budgets by hardware type with a policy of its own, then by please-event. */
  private final Map<String, Map<String, Duration>> budgetsByHardwareType;
  /** The workflow budgets of the default policy, by please-event. */
  private final Map<String, Duration> defaultBudgets;

  private StandardLifeguard(LifeguardContext context, LifeguardPolicies policies) {
    this.context = context;
    this.machine = new DeviceMachine(context, policies);
    this.engine = machine.engine();
    this.budgets = Map.of(
        Please.IMAGE.eventName, policies.longestWorkflowBudget(Please.IMAGE.eventName),
        Please.POWER_CYCLE.eventName,
        policies.longestWorkflowBudget(Please.POWER_CYCLE.eventName));
    this.defaultBudgets = budgetsOf(policies.defaultPolicy());
    Map<String, Map<String, Duration>> byType = new java.util.HashMap<>();
    policies.byHardwareType().forEach((type, policy) -> byType.put(type, budgetsOf(policy)));
    this.budgetsByHardwareType = Map.copyOf(byType);
  }

  private static Map<String, Duration> budgetsOf(LifeguardPolicy policy) {
    return Map.of(
        Please.IMAGE.eventName, policy.workflowBudget(Please.IMAGE.eventName),
        Please.POWER_CYCLE.eventName, policy.workflowBudget(Please.POWER_CYCLE.eventName));
  }

  /** A factory for Lifeguards with the {@linkplain LifeguardPolicy#defaults() default policy}. */
  public static LifeguardFactory factory() {
    return factory(LifeguardPolicy.defaults());
  }

  /**
   * A factory for Lifeguards with {@code policy}. It {@linkplain LifeguardFactory#requiredDrivers()
   * requires} every driver: a power control (every workflow power-cycles), a boot control (every
   * workflow writes or clears the PXE config) and a device probe (every workflow pings), so a
   * pool builder refuses to build without them.
   */
  public static LifeguardFactory factory(LifeguardPolicy policy) {
    return factory(LifeguardPolicies.of(Objects.requireNonNull(policy, "policy")));
  }

  /**
   * A factory for Lifeguards in which each device follows its hardware type's policy in {@code
   * policies} (the default policy for hardware types without one of their own). Requires every
   * driver, as {@link #factory(LifeguardPolicy)} does.
   */
  public static LifeguardFactory factory(LifeguardPolicies policies) {
    return new Factory(Objects.requireNonNull(policies, "policies"));
  }

  /** The standard Lifeguard's factory: needs every hardware driver. */
  private record Factory(LifeguardPolicies policies) implements LifeguardFactory {
    @Override
    public Lifeguard create(LifeguardContext context) {
      return new StandardLifeguard(Objects.requireNonNull(context, "context"), policies);
    }

    @Override
    public Set<Driver> requiredDrivers() {
      return EnumSet.allOf(Driver.class);
    }

    @Override
    public String toString() {
      return "StandardLifeguard";
    }
  }

  /**
   * The default policy this Lifeguard runs with: that of every hardware type without a policy of
   * its own in {@link #policies()}.
   */
  public LifeguardPolicy policy() {
    return machine.policies().defaultPolicy();
  }

  /** The policies this Lifeguard runs with, by hardware type. */
  public LifeguardPolicies policies() {
    return machine.policies();
  }

  /**
   * {@inheritDoc}
   *
   * <p>States entered before this moment were entered by an earlier run of the instance: when one
   * that waited on a device callback or an operation times out, the workflow is driven again
   * rather than failed, a bounded number of times ({@link LifeguardPolicy#restartRetries()}, see
   * the {@linkplain org.mozpool.lifeguard package documentation}).
   */
  @Override
  public void start() {
    machine.started(context.timekeeper().now());
    // Each instance drives the devices it owns (DESIGN §9): those registered for it (or for no
    // server in particular, alone on the store), and those it adopted.
    engine.resume(context::devicesDriven);
  }

  @Override
  public void deviceRegistered(String device) {
    MachineRecord m = context.store().inTransaction(tx -> tx.machine(MachineKind.DEVICE, device))
        .orElseThrow(() -> new NoSuchDeviceException(device));
    engine.arm(device, m.deadline());
  }

  /** {@inheritDoc} An unnamed operator's: refused on a leased device (see the class comment). */
  @Override
  public CompletionStage<Void> pleaseImage(String device, String image,
      Map<String, String> bootConfig) {
    return pleaseImage(device, image, bootConfig, PleaseSender.UNNAMED_OPERATOR);
  }

  /** {@inheritDoc} An unnamed operator's: refused on a leased device (see the class comment). */
  @Override
  public CompletionStage<Void> pleasePowerCycle(String device) {
    return pleasePowerCycle(device, PleaseSender.UNNAMED_OPERATOR);
  }

  /** {@inheritDoc} An unnamed operator's: refused on a leased device (see the class comment). */
  @Override
  public CompletionStage<Void> pleaseSelfTest(String device) {
    return pleaseSelfTest(device, PleaseSender.UNNAMED_OPERATOR);
  }

  /** {@inheritDoc} An unnamed operator's: refused on a leased device (see the class comment). */
  @Override
  public CompletionStage<Void> pleaseStartMaintenance(String device) {
    return pleaseStartMaintenance(device, PleaseSender.UNNAMED_OPERATOR);
  }

  @Override
  public CompletionStage<Void> pleaseImage(String device, String image,
      Map<String, String> bootConfig, PleaseSender sender) {
    Objects.requireNonNull(image, "image");
    Map<String, String> config = Map.copyOf(bootConfig == null ? Map.of() : bootConfig);
    return please(device, Please.IMAGE, sender, step -> {
      requireInstallable(step, Please.IMAGE, image, config);
      takeFromLease(step, Please.IMAGE, sender);
      step.log("api", Please.IMAGE.eventName + " " + image + " from " + sender.name()
          + " accepted");
      machine.startImaging(step, image, config);
    });
  }

  @Override
  public CompletionStage<Void> pleasePowerCycle(String device, PleaseSender sender) {
    return please(device, Please.POWER_CYCLE, sender, step -> {
      takeFromLease(step, Please.POWER_CYCLE, sender);
      step.log("api", Please.POWER_CYCLE.eventName + " from " + sender.name() + " accepted");
      machine.startPowerCycle(step);
    });
  }

  @Override
  public CompletionStage<Void> pleaseSelfTest(String device, PleaseSender sender) {
    return please(device, Please.SELF_TEST, sender, step -> {
      takeFromLease(step, Please.SELF_TEST, sender);
      step.log("api", Please.SELF_TEST.eventName + " from " + sender.name() + " accepted");
      machine.startRequestedSelfTest(step);
    });
  }

  @Override
  public CompletionStage<Void> pleaseStartMaintenance(String device, PleaseSender sender) {
    return please(device, Please.MAINTENANCE, sender, step -> {
      takeFromLease(step, Please.MAINTENANCE, sender);
      step.log("api", Please.MAINTENANCE.eventName + " from " + sender.name() + " accepted");
      step.goTo(DeviceStates.START_MAINTENANCE);
    });
  }

  /**
   * Runs {@code action} if the device's state accepts {@code please} and the sender may send it:
   * a device a request holds takes please-events only from that request, or from a sender who ends
   * its lease.
   */
  private CompletionStage<Void> please(String device, Please please, PleaseSender sender,
      Consumer<Step> action) {
    Objects.requireNonNull(device, "device must not be null");
    Objects.requireNonNull(sender, "sender");
    return engine.submit(device, step -> {
      if (!machine.accepts(step.state(), please)) {
        throw new RefusedException(device, please.eventName, step.state(),
            "only " + machine.statesAccepting(please) + " (or an unrecognised state) accept it");
      }
      Optional<Claim> claim = step.tx().claimOfDevice(device);
      if (claim.isPresent() && !sender.holds(claim.get().requestId()) && !sender.endsLease()) {
        throw new ConflictException("device " + device + " is leased to request "
            + claim.get().requestId() + "; " + please.eventName + " from " + sender.name()
            + " refused (send it ending that lease to take the device anyway)");
      }
      if (claim.isEmpty() && !sender.holdingRequest().isEmpty()) {
        throw new ConflictException("request " + sender.holdingRequest() + " does not hold device "
            + device + "; " + please.eventName + " refused");
      }
      action.accept(step);
    });
  }

  /**
   * When {@code sender} ends the lease of the request holding the device: marks the claim
   * {@code failed-bad-device} and tells that request after commit, in the step in which the device
   * accepts the event.
   */
  private void takeFromLease(Step step, Please please, PleaseSender sender) {
    Optional<Claim> claim = step.tx().claimOfDevice(step.id());
    if (claim.isEmpty() || sender.holds(claim.get().requestId())) {
      return;
    }
    String request = claim.get().requestId();
    String device = step.id();
    String reason = sender.name() + " took the device for " + please.eventName + ": "
        + sender.leaseEndReason();
    step.log("api", please.eventName + " from " + sender.name() + " ends the lease of request "
        + request + ": " + sender.leaseEndReason());
    step.tx().setImagingResult(device, ImagingResult.FAILED_BAD_DEVICE);
    step.afterCommit(() -> context.imagingResult(request, device, ImagingResult.FAILED_BAD_DEVICE,
        reason));
  }

  /**
   * {@inheritDoc}
   *
   * <p>The longest over the default policy and every hardware type's: a bound for any device.
   */
  @Override
  public Optional<Duration> workflowBudget(String pleaseEvent) {
    return pleaseEvent == null ? Optional.empty() : Optional.ofNullable(budgets.get(pleaseEvent));
  }

  /**
   * {@inheritDoc}
   *
   * <p>The budget of the policy of the device's hardware type.
   */
  @Override
  public Optional<Duration> workflowBudget(String pleaseEvent, DeviceTarget device) {
    if (pleaseEvent == null) {
      return Optional.empty();
    }
    if (device == null) {
      return workflowBudget(pleaseEvent);
    }
    Map<String, Duration> own = device.hardwareType() == null ? null
        : budgetsByHardwareType.get(device.hardwareType());
    return Optional.ofNullable((own == null ? defaultBudgets : own).get(pleaseEvent));
  }

  /**
   * {@inheritDoc}
   *
   * <p>Records a failure in the device's current state, logs who returned it and why (source
   * {@code api}), releases the request's claim and starts an automatic self-test, all in one step;
   * so a problem child is quarantined after it. A device in a state that accepts no self-test (it
   * is already in a workflow or failed) only gets the failure recorded.
   */
  @Override
  public CompletionStage<Void> returnedBad(String device, String requestId,
      ReturnOutcome outcome) {
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(outcome, "outcome");
    return engine.submit(device, step -> {
      String requester = step.tx().request(requestId).map(r -> r.spec().requester())
          .filter(r -> !r.isEmpty()).map(r -> "'" + r + "'").orElse("its client");
      DeviceMachine.recordFailure(step, step.state());
      step.log("api", "returned as a bad device by " + requester + " (request " + requestId
          + "): " + outcome.reason() + "; recorded in the failure history");
      Optional<Claim> claim = step.tx().claimOfDevice(device);
      if (claim.isPresent() && !claim.get().requestId().equals(requestId)) {
        step.log("already claimed by request " + claim.get().requestId() + "; not self-tested");
        return;
      }
      step.tx().releaseClaim(requestId);
      if (machine.accepts(step.state(), Please.SELF_TEST)) {
        step.log("self-testing before it serves again");
        step.goTo(DeviceStates.START_SELF_TEST);
      } else {
        step.log("in state " + step.state() + "; no self-test started");
      }
    });
  }

  /** Refuses an image that is unknown, has no PXE config for the hardware, or lacks boot config. */
  private static void requireInstallable(Step step, Please please, String image,
      Map<String, String> bootConfig) {
    DeviceRecord d = DeviceMachine.device(step);
    String hardware = d.spec().hardwareType();
    Image known = step.tx().image(image).orElseThrow(() -> new RefusedException(d.name(),
        please.eventName, step.state(), "no image named '" + image + "'"));
    if (step.tx().pxeConfigFor(image, hardware).isEmpty()) {
      throw new RefusedException(d.name(), please.eventName, step.state(),
          "no active PXE config installs image '" + image + "' on hardware type '" + hardware
              + "'");
    }
    Set<String> missing = new TreeSet<>(known.requiredBootConfigKeys());
    missing.removeAll(bootConfig.keySet());
    if (!missing.isEmpty()) {
      throw new RefusedException(d.name(), please.eventName, step.state(),
          "image '" + image + "' needs boot config keys " + missing);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>The change is logged (source {@code api}), clears the device's retry counters and runs
   * {@code to}'s entry action, so forcing a device into a workflow state starts that workflow.
   *
   * @throws IllegalArgumentException at once if {@code to} is not a device state
   */
  @Override
  public CompletionStage<Void> changeState(String device, String from, String to) {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    if (!machine.isKnownState(to)) {
      throw new IllegalArgumentException("cannot force device " + device + " into '" + to
          + "': not a device state");
    }
    return engine.submit(device, step -> {
      if (!from.equals(step.state())) {
        throw new ConflictException("device " + device + " is in state " + step.state()
            + ", not " + from + "; not changed to " + to);
      }
      step.log("api", "state forced from " + from + " to " + to);
      step.clearCounters();
      step.goTo(to);
    });
  }

  @Override
  public CompletionStage<Void> deviceEvent(String device, String event, Map<String, Object> args) {
    Objects.requireNonNull(device, "device must not be null");
    Objects.requireNonNull(event, () -> "event of device " + device + " must not be null");
    String name = DeviceEvents.normalize(event);
    Map<String, Object> copy = args == null ? Map.of() : Map.copyOf(args);
    if (!DeviceEvents.FROM_DEVICE.contains(name)) {
      return engine.submit(device, step -> step.log("device", "ignored unknown device event '"
          + event + "' in state " + step.state()));
    }
    return engine.submit(device, step -> {
      step.log("device", name.equals(event) ? name : name + " (reported as " + event + ")");
      machine.deliver(step, name, copy);
    });
  }

  @Override
  public CompletionStage<Void> released(String device) {
    return engine.submit(device, step -> {
      LifeguardPolicy policy = machine.policy(step);
      if (step.tx().claimOfDevice(device).isPresent()) {
        step.log("released, but already claimed again; release policy skipped");
        return;
      }
      if (machine.takeOutIfProblemChild(step)) {
        return;
      }
      switch (policy.releasePolicy()) {
        case LEAVE_AS_IS -> { }
        case POWER_CYCLE -> {
          if (machine.accepts(step.state(), Please.POWER_CYCLE)) {
            step.log("released; power-cycling (release policy)");
            machine.startPowerCycle(step);
          } else {
            step.log("released in state " + step.state() + "; release power cycle skipped");
          }
        }
        case REIMAGE_BASELINE -> {
          String image = policy.baselineImage();
          String hardware = DeviceMachine.device(step).spec().hardwareType();
          if (!machine.accepts(step.state(), Please.IMAGE)) {
            step.log("released in state " + step.state() + "; baseline re-image skipped");
          } else if (step.tx().pxeConfigFor(image, hardware).isEmpty()) {
            step.log("released; no PXE config installs baseline image " + image + " on "
                + hardware + "; baseline re-image skipped");
          } else {
            step.log("released; re-imaging baseline " + image + " (release policy)");
            machine.startImaging(step, image, policy.baselineBootConfig());
          }
        }
        default -> throw new IllegalStateException("unknown release policy " + policy.releasePolicy());
      }
    });
  }

  @Override
  public String state(String device) {
    return context.store().inTransaction(tx -> tx.machine(MachineKind.DEVICE, device))
        .orElseThrow(() -> new NoSuchDeviceException(device)).state();
  }

  @Override
  public void close() {
    engine.close();
  }

  @Override
  public String toString() {
    return "StandardLifeguard{" + machine.policies() + "}";
  }
}
