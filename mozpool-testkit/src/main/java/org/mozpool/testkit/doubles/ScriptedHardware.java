package org.mozpool.testkit.doubles;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.mozpool.PxeConfig;
import org.mozpool.spi.BootControl;
import org.mozpool.spi.Cancellable;
import org.mozpool.spi.DeviceProbe;
import org.mozpool.spi.DeviceTarget;
import org.mozpool.spi.Lifeguard;
import org.mozpool.spi.PowerControl;
import org.mozpool.spi.RelayFaultException;
import org.mozpool.spi.Timekeeper;

/**
 * Hardware whose every answer a test scripts, per device and per operation: a power control, a
 * boot control and a device probe in one. Unscripted operations succeed at once (or as set with
 * {@link #otherwise(Operation)}); every call is recorded, per device, for assertions.
 *
 * <pre>{@code
 * ScriptedHardware hardware = new ScriptedHardware(time);
 * hardware.powerCycle("panda-1").relayFault().then().succeeds();  // first misses, then works
 * hardware.ping("panda-2").hangs();                                 // never answers
 * ...
 * assertThat(hardware.calls("panda-1")).extracting(Call::operation)
 *     .containsExactly(Operation.POWER_CYCLE, Operation.POWER_CYCLE);
 * }</pre>
 *
 * <p>Answers: a device's script for an operation is a sequence; each call takes the next answer,
 * and the last one stays in force. Answers that take time ({@link Script#takes}) complete on the
 * {@link Timekeeper} given here, so they work on a {@code VirtualTimekeeper}.
 *
 * <p>Cancellation, per the {@link PowerControl} contract: an answer that takes time stands for an
 * operation still queued; cancelling its stage before it completes drops it, so it never {@linkplain
 * #reached reaches the hardware} (a dropped PXE config is not installed, a dropped power cycle does
 * not switch). An answer given at once has reached the hardware when the call returns. The stage
 * of a pending operation is its own {@code toCompletableFuture()}, as the contract requires.
 *
 * <p>By itself the hardware reports nothing to Lifeguard; {@link #runsLiveImages} makes a power
 * cycle over a PXE config boot a live image that reports its events, for tests that run the
 * standard Lifeguard end to end.
 *
 * <p>Thread safe.
 */
public final class ScriptedHardware implements PowerControl, BootControl, DeviceProbe {

  /** An operation of the hardware SPIs. */
  public enum Operation {
    /** {@link PowerControl#powerCycle}. */
    POWER_CYCLE,
    /** {@link PowerControl#powerOn}. */
    POWER_ON,
    /** {@link PowerControl#powerOff}. */
    POWER_OFF,
    /** {@link PowerControl#isPowered}. */
    IS_POWERED,
    /** {@link BootControl#setPxeConfig}. */
    SET_PXE_CONFIG,
    /** {@link BootControl#clearPxeConfig}. */
    CLEAR_PXE_CONFIG,
    /** {@link DeviceProbe#ping}. */
    PING,
    /** {@link DeviceProbe#verifyAgent}. */
    VERIFY_AGENT,
    /** {@link DeviceProbe#checkStorage}. */
    CHECK_STORAGE
  }

  /**
   * One call made to the hardware.
   *
   * @param device the device it was for
   * @param operation what was asked
   * @param at when, on the timekeeper's clock
   * @param pxeConfig the PXE config's name, for {@link Operation#SET_PXE_CONFIG}; empty otherwise
   */
  public record Call(String device, Operation operation, Instant at, Optional<String> pxeConfig) {
    /** Checks that nothing is null. */
    public Call {
      Objects.requireNonNull(device, "device");
      Objects.requireNonNull(operation, "operation");
      Objects.requireNonNull(at, "at");
      Objects.requireNonNull(pxeConfig, "pxeConfig");
    }
  }

  private enum Kind { SUCCEED, FAIL, RELAY_FAULT, HANG }

  private record Answer(Kind kind, Duration delay, Throwable failure) {}

  private static final Answer AT_ONCE = new Answer(Kind.SUCCEED, Duration.ZERO, null);

  private final Timekeeper time;
  private final Map<String, Map<Operation, List<Answer>>> scripts = new HashMap<>();
  private final Map<Operation, List<Answer>> defaults = new EnumMap<>(Operation.class);
  private final List<Call> calls = new ArrayList<>();
  private final List<Call> reached = new ArrayList<>();
  private final Map<String, String> pxe = new HashMap<>();
  private final Map<String, Boolean> powered = new HashMap<>();
  private final Map<String, Integer> boots = new HashMap<>();
  private Supplier<Lifeguard> liveImageLifeguard;
  private Duration liveImageSecond;

  /**
   * Hardware whose timed answers complete on {@code time}.
   *
   * @throws NullPointerException if {@code time} is null
   */
  public ScriptedHardware(Timekeeper time) {
    this.time = Objects.requireNonNull(time, "time");
  }

  /**
   * Makes the boards run the live image: a power cycle that reaches a device while a PXE config is
   * installed for it starts a boot that reports the live image's events to {@code lifeguard}'s
   * {@link Lifeguard#deviceEvent} at virtual times, as the original's scripts did. A self-test
   * config (its name starts with {@code self-test}) reports {@code mobile_init_started} after 20
   * seconds, {@code self_test_running} after 25 and {@code self_test_ok} after 85; any other
   * config {@code mobile_init_started}, {@code image_downloading}, {@code image_extracting} and
   * {@code image_rebooting} after 20, 25, 85 and 205. A power cycle starts a new boot: the
   * remaining events of an earlier one are dropped. Without this (the default) the hardware
   * reports nothing by itself.
   *
   * @param lifeguard the Lifeguard to report to, asked at each event (the pool is built after its
   *     drivers)
   * @param second how long one second of the script lasts, for fast runs on a real clock
   * @return this
   * @throws IllegalArgumentException if {@code second} is not positive
   */
  public synchronized ScriptedHardware runsLiveImages(Supplier<Lifeguard> lifeguard,
      Duration second) {
    if (second.isNegative() || second.isZero()) {
      throw new IllegalArgumentException("a script second must be positive, got " + second);
    }
    this.liveImageLifeguard = Objects.requireNonNull(lifeguard, "lifeguard");
    this.liveImageSecond = second;
    return this;
  }

  /** Called with the lock held, when a power cycle reaches {@code device}. */
  private void boot(String device) {
    int boot = boots.merge(device, 1, Integer::sum);
    String config = pxe.get(device);
    if (liveImageLifeguard == null || config == null) {
      return;
    }
    post(device, boot, 20, "mobile_init_started");
    if (config.startsWith("self-test")) {
      post(device, boot, 25, "self_test_running");
      post(device, boot, 85, "self_test_ok");
    } else {
      post(device, boot, 25, "image_downloading");
      post(device, boot, 85, "image_extracting");
      post(device, boot, 205, "image_rebooting");
    }
  }

  private void post(String device, int boot, int seconds, String event) {
    Supplier<Lifeguard> lifeguard = liveImageLifeguard;
    time.schedule(time.now().plus(liveImageSecond.multipliedBy(seconds)), () -> {
      synchronized (this) {
        if (boots.get(device) != boot) {
          return;
        }
      }
      lifeguard.get().deviceEvent(device, event, Map.of());
    });
  }

  /**
   * A script of the answers to {@code operation} on {@code device}. Each answer method appends
   * one answer; {@link Script#then()} only reads well.
   */
  public final class Script {
    private final String device;
    private final Operation operation;

    private Script(String device, Operation operation) {
      this.device = device;
      this.operation = operation;
    }

    private Script add(Answer a) {
      synchronized (ScriptedHardware.this) {
        if (device == null) {
          defaults.computeIfAbsent(operation, o -> new ArrayList<>()).add(a);
        } else {
          scripts.computeIfAbsent(device, d -> new EnumMap<>(Operation.class))
              .computeIfAbsent(operation, o -> new ArrayList<>()).add(a);
        }
      }
      return this;
    }

    /** The next call succeeds at once ({@code isPowered} answers the device's power state). */
    public Script succeeds() {
      return add(AT_ONCE);
    }

    /**
     * The next call succeeds {@code delay} after it was made, on the timekeeper's clock.
     *
     * @throws IllegalArgumentException if {@code delay} is negative
     */
    public Script takes(Duration delay) {
      if (delay.isNegative()) {
        throw new IllegalArgumentException("delay must not be negative, got " + delay);
      }
      return add(new Answer(Kind.SUCCEED, delay, null));
    }

    /**
     * The next call fails at once with {@code failure}.
     *
     * @throws NullPointerException if {@code failure} is null
     */
    public Script failsWith(Throwable failure) {
      return add(new Answer(Kind.FAIL, Duration.ZERO, Objects.requireNonNull(failure, "failure")));
    }

    /**
     * The next call fails at once with a {@link RelayFaultException} for the device: its relay
     * read back the wrong state (counted against the device).
     */
    public Script relayFault() {
      return add(new Answer(Kind.RELAY_FAULT, Duration.ZERO, null));
    }

    /** The next call never completes (until its stage is cancelled). */
    public Script hangs() {
      return add(new Answer(Kind.HANG, Duration.ZERO, null));
    }

    /** Returns this script: {@code relayFault().then().succeeds()}. */
    public Script then() {
      return this;
    }
  }

  /** The script of {@code device}'s power cycles. */
  public Script powerCycle(String device) {
    return script(device, Operation.POWER_CYCLE);
  }

  /** The script of {@code device}'s PXE config writes. */
  public Script setPxeConfig(String device) {
    return script(device, Operation.SET_PXE_CONFIG);
  }

  /** The script of {@code device}'s pings. */
  public Script ping(String device) {
    return script(device, Operation.PING);
  }

  /** The script of {@code device}'s agent checks. */
  public Script verifyAgent(String device) {
    return script(device, Operation.VERIFY_AGENT);
  }

  /** The script of {@code device}'s storage checks. */
  public Script checkStorage(String device) {
    return script(device, Operation.CHECK_STORAGE);
  }

  /**
   * The script of {@code operation} on {@code device}.
   *
   * @throws NullPointerException if either is null
   */
  public Script script(String device, Operation operation) {
    return new Script(Objects.requireNonNull(device, "device"),
        Objects.requireNonNull(operation, "operation"));
  }

  /**
   * The script of {@code operation} on every device that has no script of its own for it. Without
   * one, such calls succeed at once.
   */
  public Script otherwise(Operation operation) {
    return new Script(null, Objects.requireNonNull(operation, "operation"));
  }

  /** Every call made so far, in order. */
  public synchronized List<Call> calls() {
    return List.copyOf(calls);
  }

  /** The calls made so far for {@code device}, in order. */
  public synchronized List<Call> calls(String device) {
    return calls.stream().filter(c -> c.device().equals(device)).toList();
  }

  /** The operations called so far on {@code device}, in order. */
  public List<Operation> operations(String device) {
    return calls(device).stream().map(Call::operation).toList();
  }

  /**
   * The calls for {@code device} that reached the hardware and succeeded: not failed, not hung,
   * not cancelled while pending. Each is stamped with when it took effect.
   */
  public synchronized List<Call> reached(String device) {
    return reached.stream().filter(c -> c.device().equals(device)).toList();
  }

  /** The name of the PXE config installed for {@code device}, if any. */
  public synchronized Optional<String> pxeConfig(String device) {
    return Optional.ofNullable(pxe.get(device));
  }

  private synchronized Answer next(String device, Operation op, Optional<String> config) {
    calls.add(new Call(device, op, time.now(), config));
    List<Answer> seq = scripts.getOrDefault(device, Map.of()).get(op);
    if (seq == null) {
      seq = defaults.get(op);
    }
    if (seq == null || seq.isEmpty()) {
      return AT_ONCE;
    }
    return seq.size() > 1 ? seq.remove(0) : seq.get(0);
  }

  private <T> CompletionStage<T> answer(DeviceTarget target, Operation op, Optional<String> config,
      java.util.function.Supplier<T> effect) {
    String device = target.device();
    Answer a = next(device, op, config);
    switch (a.kind()) {
      case FAIL:
        return CompletableFuture.failedFuture(a.failure());
      case RELAY_FAULT:
        return CompletableFuture.failedFuture(new RelayFaultException(device,
            "scripted relay fault: the relay of " + device + " read back the wrong state"));
      case HANG:
        return new CompletableFuture<>();
      default:
        break;
    }
    if (a.delay().isZero()) {
      return CompletableFuture.completedFuture(reach(device, op, config, effect));
    }
    CompletableFuture<T> stage = new CompletableFuture<>();
    Cancellable timer = time.schedule(time.now().plus(a.delay()), () -> {
      T value;
      synchronized (this) {
        if (stage.isDone()) {
          return; // cancelled while queued: never reaches the hardware
        }
        value = reach(device, op, config, effect);
      }
      stage.complete(value);
    });
    stage.whenComplete((v, e) -> {
      if (stage.isCancelled()) {
        timer.cancel();
      }
    });
    return stage;
  }

  private synchronized <T> T reach(String device, Operation op, Optional<String> config,
      java.util.function.Supplier<T> effect) {
    reached.add(new Call(device, op, time.now(), config));
    return effect.get();
  }

  @Override
  public CompletionStage<Void> powerCycle(DeviceTarget device, Duration deadline) {
    return answer(device, Operation.POWER_CYCLE, Optional.empty(), () -> {
      powered.put(device.device(), true);
      boot(device.device());
      return null;
    });
  }

  @Override
  public CompletionStage<Void> powerOn(DeviceTarget device, Duration deadline) {
    return answer(device, Operation.POWER_ON, Optional.empty(), () -> {
      powered.put(device.device(), true);
      return null;
    });
  }

  @Override
  public CompletionStage<Void> powerOff(DeviceTarget device, Duration deadline) {
    return answer(device, Operation.POWER_OFF, Optional.empty(), () -> {
      powered.put(device.device(), false);
      return null;
    });
  }

  /** Answers whether the device is powered: true until a power-off reached it. */
  @Override
  public CompletionStage<Boolean> isPowered(DeviceTarget device, Duration deadline) {
    return answer(device, Operation.IS_POWERED, Optional.empty(),
        () -> powered.getOrDefault(device.device(), true));
  }

  @Override
  public CompletionStage<Void> setPxeConfig(DeviceTarget device, PxeConfig config,
      Map<String, String> values) {
    return answer(device, Operation.SET_PXE_CONFIG, Optional.of(config.name()), () -> {
      pxe.put(device.device(), config.name());
      return null;
    });
  }

  @Override
  public CompletionStage<Void> clearPxeConfig(DeviceTarget device) {
    return answer(device, Operation.CLEAR_PXE_CONFIG, Optional.empty(), () -> {
      pxe.remove(device.device());
      return null;
    });
  }

  @Override
  public CompletionStage<Void> ping(DeviceTarget device, Duration deadline) {
    return answer(device, Operation.PING, Optional.empty(), () -> null);
  }

  @Override
  public CompletionStage<Void> verifyAgent(DeviceTarget device, Duration deadline) {
    return answer(device, Operation.VERIFY_AGENT, Optional.empty(), () -> null);
  }

  @Override
  public CompletionStage<Void> checkStorage(DeviceTarget device, Duration deadline) {
    return answer(device, Operation.CHECK_STORAGE, Optional.empty(), () -> null);
  }
}
