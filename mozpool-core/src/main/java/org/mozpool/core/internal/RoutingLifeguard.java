package org.mozpool.core.internal;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.mozpool.PleaseSender;
import org.mozpool.ReturnOutcome;
import org.mozpool.spi.DeviceTarget;
import org.mozpool.spi.Lifeguard;
import org.mozpool.spi.MachineDriver;
import org.mozpool.spi.MachineEvent;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.PoolStore;

/**
 * The Lifeguard a pool talks to when several instances share the store (DESIGN §9): a call for a
 * device this instance drives goes to its own Lifeguard; a call for a device another instance
 * drives is posted to the outbox for that instance, and answers when it has been taken there. The
 * other end, {@link #take}, turns a posted event back into the call on this instance's Lifeguard.
 */
final class RoutingLifeguard implements Lifeguard {
  static final String PLEASE_IMAGE = "please_image";
  static final String PLEASE_POWER_CYCLE = "please_power_cycle";
  static final String PLEASE_SELF_TEST = "please_self_test";
  static final String PLEASE_START_MAINTENANCE = "please_start_maintenance";
  static final String CHANGE_STATE = "change_state";
  static final String DEVICE_EVENT = "device_event";
  static final String RELEASED = "released";
  static final String RETURNED_BAD = "returned_bad";
  static final String REGISTERED = "registered";
  private static final String BOOT_CONFIG = "boot_config.";
  private static final String ARG = "arg.";

  private final Lifeguard local;
  private final PoolStore store;
  private final String me;
  private final Supplier<Outbox> outbox;
  /**
   * Devices known to be driven here: calls for them go straight to the local Lifeguard, without a
   * read, so that calls made in order reach a device's machine in order. Filled at start and on
   * adoption, and from reads; emptied when this instance lapses.
   */
  private final java.util.Set<String> here = java.util.concurrent.ConcurrentHashMap.newKeySet();

  RoutingLifeguard(Lifeguard local, PoolStore store, String me, Supplier<Outbox> outbox) {
    this.local = Objects.requireNonNull(local, "local");
    this.store = store;
    this.me = me;
    this.outbox = outbox;
  }

  /** The Lifeguard of this instance. */
  Lifeguard local() {
    return local;
  }

  /** {@code devices} are driven here (this instance started, or adopted them). */
  void drivenHere(java.util.Collection<String> devices) {
    here.addAll(devices);
  }

  /** This instance lapsed: it drives nothing until it has joined again. */
  void drivesNothing() {
    here.clear();
  }

  /** Whether another instance drives {@code device} (false for an unknown device). */
  private boolean elsewhere(String device) {
    Objects.requireNonNull(device, "device must not be null");
    if (here.contains(device)) {
      return false;
    }
    Optional<MachineDriver> d = store.inTransaction(tx -> tx.driver(MachineKind.DEVICE, device));
    if (d.isPresent() && d.get().instance().equals(me)) {
      here.add(device);
    }
    return d.isPresent() && !d.get().instance().isEmpty() && !d.get().instance().equals(me);
  }

  private CompletionStage<Void> route(String device, String event, Map<String, String> args,
      Supplier<CompletionStage<Void>> local) {
    try {
      if (elsewhere(device)) {
        return outbox.get().post(MachineKind.DEVICE, device, event, args);
      }
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    // exceptionallyCompose keeps the local stage's kind (a virtual-time stage stays one).
    return local.get().toCompletableFuture().exceptionallyCompose(e -> {
      if (!(Stages.unwrap(e) instanceof org.mozpool.NotDrivenHereException)) {
        return CompletableFuture.failedFuture(e);
      }
      // It changed hands since it was driven here: ask whoever drives it now, once.
      here.remove(device);
      try {
        return elsewhere(device) ? outbox.get().post(MachineKind.DEVICE, device, event, args)
            : CompletableFuture.failedFuture(e);
      } catch (RuntimeException x) {
        return CompletableFuture.failedFuture(x);
      }
    });
  }


  private static Map<String, String> sender(PleaseSender sender, Map<String, String> more) {
    Map<String, String> args = new TreeMap<>(more);
    args.put("sender", sender.name());
    args.put("holding_request", sender.holdingRequest());
    args.put("lease_end_reason", sender.leaseEndReason());
    return args;
  }

  private static PleaseSender sender(Map<String, String> args) {
    return new PleaseSender(args.getOrDefault("sender", "an operator"),
        args.getOrDefault("holding_request", ""), args.getOrDefault("lease_end_reason", ""));
  }

  @Override
  public void start() {
    local.start();
  }

  @Override
  public void deviceRegistered(String device) {
    if (elsewhere(device)) {
      outbox.get().post(MachineKind.DEVICE, device, REGISTERED, Map.of());
    } else {
      local.deviceRegistered(device);
    }
  }

  @Override
  public CompletionStage<Void> pleaseImage(String device, String image,
      Map<String, String> bootConfig) {
    return pleaseImage(device, image, bootConfig, PleaseSender.UNNAMED_OPERATOR);
  }

  @Override
  public CompletionStage<Void> pleasePowerCycle(String device) {
    return pleasePowerCycle(device, PleaseSender.UNNAMED_OPERATOR);
  }

  @Override
  public CompletionStage<Void> pleaseSelfTest(String device) {
    return pleaseSelfTest(device, PleaseSender.UNNAMED_OPERATOR);
  }

  @Override
  public CompletionStage<Void> pleaseStartMaintenance(String device) {
    return pleaseStartMaintenance(device, PleaseSender.UNNAMED_OPERATOR);
  }

  @Override
  public CompletionStage<Void> pleaseImage(String device, String image,
      Map<String, String> bootConfig, PleaseSender sender) {
    Objects.requireNonNull(image, "image");
    Map<String, String> args = new HashMap<>();
    args.put("image", image);
    (bootConfig == null ? Map.<String, String>of() : bootConfig)
        .forEach((k, v) -> args.put(BOOT_CONFIG + k, v));
    return route(device, PLEASE_IMAGE, sender(sender, args),
        () -> local.pleaseImage(device, image, bootConfig, sender));
  }

  @Override
  public CompletionStage<Void> pleasePowerCycle(String device, PleaseSender sender) {
    return route(device, PLEASE_POWER_CYCLE, sender(sender, Map.of()),
        () -> local.pleasePowerCycle(device, sender));
  }

  @Override
  public CompletionStage<Void> pleaseSelfTest(String device, PleaseSender sender) {
    return route(device, PLEASE_SELF_TEST, sender(sender, Map.of()),
        () -> local.pleaseSelfTest(device, sender));
  }

  @Override
  public CompletionStage<Void> pleaseStartMaintenance(String device, PleaseSender sender) {
    return route(device, PLEASE_START_MAINTENANCE, sender(sender, Map.of()),
        () -> local.pleaseStartMaintenance(device, sender));
  }

  @Override
  public Optional<Duration> workflowBudget(String pleaseEvent) {
    return local.workflowBudget(pleaseEvent);
  }

  @Override
  public Optional<Duration> workflowBudget(String pleaseEvent, DeviceTarget device) {
    return local.workflowBudget(pleaseEvent, device);
  }

  @Override
  public CompletionStage<Void> returnedBad(String device, String requestId,
      ReturnOutcome outcome) {
    return route(device, RETURNED_BAD, Map.of("request", requestId, "reason", outcome.reason()),
        () -> local.returnedBad(device, requestId, outcome));
  }

  @Override
  public CompletionStage<Void> changeState(String device, String from, String to) {
    return route(device, CHANGE_STATE, Map.of("from", from, "to", to),
        () -> local.changeState(device, from, to));
  }

  @Override
  public CompletionStage<Void> deviceEvent(String device, String event, Map<String, Object> args) {
    Objects.requireNonNull(event, "event");
    Map<String, String> routed = new HashMap<>();
    routed.put("event", event);
    (args == null ? Map.<String, Object>of() : args)
        .forEach((k, v) -> routed.put(ARG + k, String.valueOf(v)));
    return route(device, DEVICE_EVENT, routed, () -> local.deviceEvent(device, event, args));
  }

  @Override
  public CompletionStage<Void> released(String device) {
    return route(device, RELEASED, Map.of(), () -> local.released(device));
  }

  @Override
  public String state(String device) {
    return local.state(device);
  }

  @Override
  public void close() {
    local.close();
  }

  /** Takes a device event posted by another instance: the call on this instance's Lifeguard. */
  CompletionStage<Void> take(MachineEvent e) {
    String device = e.machine();
    Map<String, String> a = e.args();
    return switch (e.event()) {
      case PLEASE_IMAGE -> {
        Map<String, String> bootConfig = new HashMap<>();
        a.forEach((k, v) -> {
          if (k.startsWith(BOOT_CONFIG)) {
            bootConfig.put(k.substring(BOOT_CONFIG.length()), v);
          }
        });
        yield local.pleaseImage(device, a.get("image"), bootConfig, sender(a));
      }
      case PLEASE_POWER_CYCLE -> local.pleasePowerCycle(device, sender(a));
      case PLEASE_SELF_TEST -> local.pleaseSelfTest(device, sender(a));
      case PLEASE_START_MAINTENANCE -> local.pleaseStartMaintenance(device, sender(a));
      case CHANGE_STATE -> local.changeState(device, a.get("from"), a.get("to"));
      case DEVICE_EVENT -> {
        Map<String, Object> args = new HashMap<>();
        a.forEach((k, v) -> {
          if (k.startsWith(ARG)) {
            args.put(k.substring(ARG.length()), v);
          }
        });
        yield local.deviceEvent(device, a.get("event"), args);
      }
      case RELEASED -> local.released(device);
      case RETURNED_BAD -> local.returnedBad(device, a.get("request"),
          ReturnOutcome.badDevice(a.getOrDefault("reason", "returned bad")));
      case REGISTERED -> {
        local.deviceRegistered(device);
        yield CompletableFuture.completedFuture(null);
      }
      default -> CompletableFuture.failedFuture(new IllegalArgumentException(
          "unknown device event '" + e.event() + "' in the outbox"));
    };
  }
}
