package org.mozpool.lifeguard;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.mozpool.ConflictException;
import org.mozpool.DeviceStates;
import org.mozpool.Image;
import org.mozpool.NoSuchDeviceException;
import org.mozpool.RefusedException;
import org.mozpool.core.internal.MachineEngine;
import org.mozpool.core.internal.Step;
import org.mozpool.lifeguard.DeviceMachine.Please;
import org.mozpool.spi.DeviceRecord;
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
 * policy.
 *
 * <p>Thread safe. Every operation returns at once with a stage that completes when the device's
 * machine has committed the event; refusals fail it with {@link RefusedException} (the state does
 * not accept the please-event, or no PXE config installs the image on the device's hardware),
 * {@link ConflictException} (a conditional change whose {@code from} is not the current state) or
 * {@link NoSuchDeviceException}. Hardware operations run on the timekeeper's I/O executor, never
 * inside a step, each bounded by its state's timeout.
 */
public final class StandardLifeguard implements Lifeguard {
  private final LifeguardContext context;
  private final DeviceMachine machine;
  private final MachineEngine engine;

  private StandardLifeguard(LifeguardContext context, LifeguardPolicy policy) {
    this.context = context;
    this.machine = new DeviceMachine(context, policy);
    this.engine = machine.engine();
  }

  /** A factory for Lifeguards with the {@linkplain LifeguardPolicy#defaults() default policy}. */
  public static LifeguardFactory factory() {
    return factory(LifeguardPolicy.defaults());
  }

  /** A factory for Lifeguards with {@code policy}. */
  public static LifeguardFactory factory(LifeguardPolicy policy) {
    Objects.requireNonNull(policy, "policy");
    return context -> new StandardLifeguard(Objects.requireNonNull(context, "context"), policy);
  }

  /** The policy this Lifeguard runs with. */
  public LifeguardPolicy policy() {
    return machine.policy();
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
    // Each instance drives the devices it owns: those registered for its server id, and those
    // registered for no server in particular (DESIGN §9).
    String me = context.serverId();
    engine.resume(tx -> tx.devices().stream()
        .filter(d -> d.spec().server().isEmpty() || d.spec().server().equals(me))
        .map(d -> d.name()).collect(java.util.stream.Collectors.toSet()));
  }

  @Override
  public void deviceRegistered(String device) {
    MachineRecord m = context.store().inTransaction(tx -> tx.machine(MachineKind.DEVICE, device))
        .orElseThrow(() -> new NoSuchDeviceException(device));
    engine.arm(device, m.deadline());
  }

  @Override
  public CompletionStage<Void> pleaseImage(String device, String image,
      Map<String, String> bootConfig) {
    Objects.requireNonNull(image, "image");
    Map<String, String> config = Map.copyOf(bootConfig == null ? Map.of() : bootConfig);
    return please(device, Please.IMAGE, step -> {
      requireInstallable(step, Please.IMAGE, image, config);
      step.log("api", Please.IMAGE.eventName + " " + image + " accepted");
      machine.startImaging(step, image, config);
    });
  }

  @Override
  public CompletionStage<Void> pleasePowerCycle(String device) {
    return please(device, Please.POWER_CYCLE, step -> {
      step.log("api", Please.POWER_CYCLE.eventName + " accepted");
      machine.startPowerCycle(step);
    });
  }

  @Override
  public CompletionStage<Void> pleaseSelfTest(String device) {
    return please(device, Please.SELF_TEST, step -> {
      step.log("api", Please.SELF_TEST.eventName + " accepted");
      machine.startRequestedSelfTest(step);
    });
  }

  @Override
  public CompletionStage<Void> pleaseStartMaintenance(String device) {
    return please(device, Please.MAINTENANCE, step -> {
      step.log("api", Please.MAINTENANCE.eventName + " accepted");
      step.goTo(DeviceStates.START_MAINTENANCE);
    });
  }

  private CompletionStage<Void> please(String device, Please please, Consumer<Step> action) {
    return engine.submit(device, step -> {
      if (!machine.accepts(step.state(), please)) {
        throw new RefusedException(device, please.eventName, step.state(),
            "only " + machine.statesAccepting(please) + " (or an unrecognised state) accept it");
      }
      action.accept(step);
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
    LifeguardPolicy policy = machine.policy();
    return engine.submit(device, step -> {
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
    return "StandardLifeguard{" + machine.policy() + "}";
  }
}
