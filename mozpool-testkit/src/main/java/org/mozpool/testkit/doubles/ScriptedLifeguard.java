package org.mozpool.testkit.doubles;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.Function;
import org.mozpool.ConflictException;
import org.mozpool.DeviceStates;
import org.mozpool.ImagingResult;
import org.mozpool.NoSuchDeviceException;
import org.mozpool.RefusedException;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.Lifeguard;
import org.mozpool.spi.LifeguardContext;
import org.mozpool.spi.LifeguardFactory;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;
import org.mozpool.spi.StoreTransaction;
import org.mozpool.spi.TransientStoreException;

/**
 * A Lifeguard double whose answers to {@code please_image} and {@code please_power_cycle} a test
 * scripts per device: complete, fail with {@code failed-bad-device} or {@code failed-bad-image},
 * each at once or after a while, or never answer. Use it as the pool's {@link LifeguardFactory}
 * to test the pool, its store or its API without the standard Lifeguard's state machines.
 *
 * <pre>{@code
 * ScriptedLifeguard lifeguard = ScriptedLifeguard.completingAfter(Duration.ofMinutes(5));
 * lifeguard.device("panda-2").failsBadDevice().then().completes();
 * Pool pool = Mozpool.builder().lifeguard(lifeguard)...build();
 * ...
 * assertThat(lifeguard.events("panda-2")).containsExactly("please_image", "please_image");
 * }</pre>
 *
 * <p>Behaviour: devices are {@code ready} once registered. A please-event is refused ({@link
 * RefusedException}) unless the device is {@code ready}; accepted, it moves the device to {@code
 * pxe_power_cycling} (an image) or {@code pc_power_cycling} (a power cycle) until its scripted
 * answer: {@code complete} and {@code failed-bad-image} bring it back to {@code ready}, {@code
 * failed-bad-device} leaves it in {@code failed_pxe_booting} or {@code failed_power_cycling}; the
 * claiming request, if any, is told the result. An answer given at once changes no state on the
 * way (one store transaction). Like the standard Lifeguard it keeps everything in the pool's
 * store, so a Lifeguard created over a store that a crashed pool left finishes the work in
 * progress when it {@linkplain Lifeguard#start() starts}, with the device's next answer. Self
 * tests, maintenance, device events and releases are recorded and otherwise accepted with no
 * effect. Each answer is one step of a script: a device's answers are taken in order, and the
 * last stays in force; devices without a script take the {@linkplain #otherwise() default}.
 * Device events are accepted and ignored, not recorded.
 *
 * <p>Thread safe. One ScriptedLifeguard may create several Lifeguards (one per pool built with
 * it); they share its scripts and its record of calls.
 */
public final class ScriptedLifeguard implements LifeguardFactory {

  /**
   * One call a pool (or an operator) made.
   *
   * @param device the device
   * @param event the please-event ({@code please_image}, {@code please_power_cycle}, {@code
   *     please_self_test}, {@code please_start_maintenance}) or {@code released}
   * @param image the image asked for, for {@code please_image}; empty otherwise
   * @param at when, on the pool's clock
   */
  public record Call(String device, String event, Optional<String> image, Instant at) {
    /** Checks that nothing is null. */
    public Call {
      Objects.requireNonNull(device, "device");
      Objects.requireNonNull(event, "event");
      Objects.requireNonNull(image, "image");
      Objects.requireNonNull(at, "at");
    }
  }

  private record Answer(Optional<ImagingResult> result, Duration delay) {}

  private final Map<String, List<Answer>> scripts = new HashMap<>();
  private final List<Answer> defaults = new ArrayList<>();
  private final List<Call> calls = new ArrayList<>();

  private ScriptedLifeguard(Duration delay) {
    defaults.add(new Answer(Optional.of(ImagingResult.COMPLETE), delay));
  }

  /** A Lifeguard that, unless scripted otherwise, completes every please-event at once. */
  public static ScriptedLifeguard completingAtOnce() {
    return new ScriptedLifeguard(Duration.ZERO);
  }

  /**
   * A Lifeguard that, unless scripted otherwise, completes every please-event {@code delay} after
   * accepting it.
   *
   * @throws IllegalArgumentException if {@code delay} is negative
   */
  public static ScriptedLifeguard completingAfter(Duration delay) {
    return new ScriptedLifeguard(requireDelay(delay));
  }

  private static Duration requireDelay(Duration delay) {
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay must not be negative, got " + delay);
    }
    return delay;
  }

  /** The answers of one device (or, for {@link #otherwise()}, of unscripted devices). */
  public final class Script {
    private final String device;
    private boolean replaced;

    private Script(String device) {
      this.device = device;
    }

    private Script add(Optional<ImagingResult> result, Duration delay) {
      synchronized (ScriptedLifeguard.this) {
        List<Answer> seq = device == null ? defaults
            : scripts.computeIfAbsent(device, d -> new ArrayList<>());
        if (device == null && !replaced) {
          seq.clear(); // the first answer scripted replaces the built-in default
        }
        replaced = true;
        seq.add(new Answer(result, delay));
      }
      return this;
    }

    /** The next please-event completes at once. */
    public Script completes() {
      return add(Optional.of(ImagingResult.COMPLETE), Duration.ZERO);
    }

    /**
     * The next please-event completes {@code delay} after it was accepted.
     *
     * @throws IllegalArgumentException if {@code delay} is negative
     */
    public Script completesAfter(Duration delay) {
      return add(Optional.of(ImagingResult.COMPLETE), requireDelay(delay));
    }

    /** The next please-event fails at once with {@code failed-bad-device}. */
    public Script failsBadDevice() {
      return add(Optional.of(ImagingResult.FAILED_BAD_DEVICE), Duration.ZERO);
    }

    /** The next please-event fails at once with {@code failed-bad-image}. */
    public Script failsBadImage() {
      return add(Optional.of(ImagingResult.FAILED_BAD_IMAGE), Duration.ZERO);
    }

    /**
     * The next please-event ends with {@code result} {@code delay} after it was accepted.
     *
     * @throws IllegalArgumentException if {@code delay} is negative
     */
    public Script answersAfter(ImagingResult result, Duration delay) {
      return add(Optional.of(Objects.requireNonNull(result, "result")), requireDelay(delay));
    }

    /** The next please-event is accepted and never answered: the device stays busy. */
    public Script neverAnswers() {
      return add(Optional.empty(), Duration.ZERO);
    }

    /** Returns this script: {@code failsBadDevice().then().completes()}. */
    public Script then() {
      return this;
    }
  }

  /**
   * The script of {@code device}'s answers.
   *
   * @throws NullPointerException if {@code device} is null
   */
  public Script device(String device) {
    return new Script(Objects.requireNonNull(device, "device"));
  }

  /**
   * The script of devices without one of their own. The first answer given through a script from
   * this call replaces the default sequence (the one this Lifeguard was made with, or an earlier
   * {@code otherwise()}'s); further answers through the same script append to it.
   */
  public Script otherwise() {
    return new Script(null);
  }

  /** Every call so far, in order. */
  public synchronized List<Call> calls() {
    return List.copyOf(calls);
  }

  /** The calls for {@code device} so far, in order. */
  public synchronized List<Call> calls(String device) {
    return calls.stream().filter(c -> c.device().equals(device)).toList();
  }

  /** The events sent for {@code device} so far, in order. */
  public List<String> events(String device) {
    return calls(device).stream().map(Call::event).toList();
  }

  private synchronized void record(Call call) {
    calls.add(call);
  }

  private synchronized List<Answer> answers(String device) {
    List<Answer> seq = scripts.get(device);
    return seq == null || seq.isEmpty() ? defaults : seq;
  }

  private synchronized Answer peek(String device) {
    return answers(device).get(0);
  }

  private synchronized void consume(String device) {
    List<Answer> seq = answers(device);
    if (seq.size() > 1) {
      seq.remove(0);
    }
  }

  private synchronized Answer next(String device) {
    Answer a = peek(device);
    consume(device);
    return a;
  }

  @Override
  public Lifeguard create(LifeguardContext context) {
    return new Instance(Objects.requireNonNull(context, "context"));
  }

  private static boolean busy(String state) {
    return DeviceStates.PXE_POWER_CYCLING.equals(state)
        || DeviceStates.PC_POWER_CYCLING.equals(state);
  }

  private final class Instance implements Lifeguard {
    private final LifeguardContext context;

    Instance(LifeguardContext context) {
      this.context = context;
    }

    @Override
    public void start() {
      for (DeviceRecord d : inTransaction(StoreTransaction::devices)) {
        String state = d.machine().state();
        if (busy(state)) {
          schedule(d.name(), state, next(d.name()));
        } else if (DeviceStates.NEW.equals(state)) {
          deviceRegistered(d.name());
        }
      }
    }

    @Override
    public void deviceRegistered(String device) {
      move(device, DeviceStates.READY, null);
    }

    private <T> T inTransaction(Function<StoreTransaction, T> work) {
      for (int attempt = 1; ; attempt++) {
        try {
          return context.store().inTransaction(work);
        } catch (TransientStoreException e) {
          if (attempt == 5) {
            throw e;
          }
        }
      }
    }

    private String move(String device, String state, Function<StoreTransaction, String> also) {
      String[] out = new String[1];
      String from = inTransaction(tx -> {
        MachineRecord m = tx.machine(MachineKind.DEVICE, device)
            .orElseThrow(() -> new NoSuchDeviceException(device));
        tx.updateMachine(MachineKind.DEVICE, device, m.version(),
            new MachineRecord(state, Map.of(), null, m.version(), m.attempt() + 1));
        out[0] = also == null ? null : also.apply(tx);
        return m.state();
      });
      if (!from.equals(state)) {
        context.deviceStateChanged(device, from, state);
      }
      return out[0];
    }

    private void record(String device, String event, Optional<String> image) {
      ScriptedLifeguard.this.record(new Call(device, event, image, context.timekeeper().now()));
    }

    @Override
    public CompletionStage<Void> pleaseImage(String device, String image,
        Map<String, String> bootConfig) {
      record(device, "please_image", Optional.of(image));
      return accept(device, "please_image", DeviceStates.PXE_POWER_CYCLING, tx -> {
        DeviceRecord d = tx.device(device).orElseThrow();
        tx.updateDeviceImages(device, d.image(), d.bootConfig(), image, bootConfig);
      });
    }

    @Override
    public CompletionStage<Void> pleasePowerCycle(String device) {
      record(device, "please_power_cycle", Optional.empty());
      return accept(device, "please_power_cycle", DeviceStates.PC_POWER_CYCLING, null);
    }

    private CompletionStage<Void> accept(String device, String event, String busyState,
        Consumer<StoreTransaction> also) {
      Answer answer = peek(device);
      boolean atOnce = answer.result().isPresent() && answer.delay().isZero();
      String[] refused = new String[1];
      String[] requestId = new String[1];
      String[] to = new String[1];
      String from;
      try {
        // One transaction: the check, the images and (for an answer given at once) the result.
        from = inTransaction(tx -> {
          refused[0] = null;
          requestId[0] = null;
          MachineRecord m = tx.machine(MachineKind.DEVICE, device)
              .orElseThrow(() -> new NoSuchDeviceException(device));
          if (!DeviceStates.READY.equals(m.state())) {
            refused[0] = m.state();
            return m.state();
          }
          if (also != null) {
            also.accept(tx);
          }
          if (atOnce) {
            to[0] = resultState(busyState, answer.result().get());
            requestId[0] = report(tx, device, answer.result().get());
          } else {
            to[0] = busyState;
          }
          if (!to[0].equals(m.state())) {
            tx.updateMachine(MachineKind.DEVICE, device, m.version(),
                new MachineRecord(to[0], Map.of(), null, m.version(), m.attempt() + 1));
          }
          return m.state();
        });
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
      if (refused[0] != null) {
        return CompletableFuture.failedFuture(
            new RefusedException(device, event, refused[0], "busy"));
      }
      consume(device);
      if (!from.equals(to[0])) {
        context.deviceStateChanged(device, from, to[0]);
      }
      if (requestId[0] != null) {
        context.imagingResult(requestId[0], device, answer.result().get());
      }
      if (!atOnce) {
        schedule(device, busyState, answer);
      }
      return CompletableFuture.completedFuture(null);
    }

    private void schedule(String device, String busyState, Answer answer) {
      answer.result().ifPresent(result -> context.timekeeper().schedule(
          context.timekeeper().now().plus(answer.delay()),
          () -> finish(device, busyState, result)));
    }

    private void finish(String device, String busyState, ImagingResult result) {
      String requestId = move(device, resultState(busyState, result),
          tx -> report(tx, device, result));
      if (requestId != null) {
        context.imagingResult(requestId, device, result);
      }
    }

    private String resultState(String busyState, ImagingResult result) {
      return result != ImagingResult.FAILED_BAD_DEVICE ? DeviceStates.READY
          : DeviceStates.PXE_POWER_CYCLING.equals(busyState) ? DeviceStates.FAILED_PXE_BOOTING
          : DeviceStates.FAILED_POWER_CYCLING;
    }

    /** Installs the next image on success and records the result for the claiming request. */
    private String report(StoreTransaction tx, String device, ImagingResult result) {
      DeviceRecord d = tx.device(device).orElseThrow(() -> new NoSuchDeviceException(device));
      if (result == ImagingResult.COMPLETE && !d.nextImage().isEmpty()) {
        tx.updateDeviceImages(device, d.nextImage(), d.nextBootConfig(), "", Map.of());
      }
      return tx.claimOfDevice(device).map(c -> {
        tx.setImagingResult(device, result);
        return c.requestId();
      }).orElse(null);
    }

    @Override
    public CompletionStage<Void> pleaseSelfTest(String device) {
      record(device, "please_self_test", Optional.empty());
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Void> pleaseStartMaintenance(String device) {
      record(device, "please_start_maintenance", Optional.empty());
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Void> changeState(String device, String from, String to) {
      try {
        if (!state(device).equals(from)) {
          return CompletableFuture.failedFuture(
              new ConflictException(device + " is not in " + from));
        }
        move(device, to, null);
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Void> deviceEvent(String device, String event,
        Map<String, Object> args) {
      Objects.requireNonNull(device, "device");
      Objects.requireNonNull(event, "event");
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Void> released(String device) {
      record(device, "released", Optional.empty());
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public String state(String device) {
      return inTransaction(tx -> tx.machine(MachineKind.DEVICE, device)
          .orElseThrow(() -> new NoSuchDeviceException(device)).state());
    }

    @Override
    public void close() {}
  }
}
