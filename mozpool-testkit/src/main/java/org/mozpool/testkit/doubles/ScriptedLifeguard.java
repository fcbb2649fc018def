package org.mozpool.testkit.doubles;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
 * tests, maintenance, device events (with their arguments) and releases are recorded and otherwise
 * accepted with no effect. Each answer is one step of a script: a device's answers are taken in
 * order, and the last stays in force; devices without a script take the {@linkplain #otherwise()
 * default}.
 *
 * <p>Replies: a test may also set the very stage a call returns, per device and per event, with
 * {@link #replies(String)} or {@link #replies(String, String)}: accepted, failed (a {@link
 * RefusedException}, a {@link NoSuchDeviceException}…), or a future the test completes later. A
 * call that takes a scripted reply is recorded and answered with it, and does nothing else: no
 * state changes, no imaging answer is used up.
 *
 * <pre>{@code
 * lifeguard.replies("panda-1", "self_test_ok")
 *     .failsWith(new RefusedException("panda-1", "self_test_ok", "ready", "not expected"));
 * CompletableFuture<Void> later = new CompletableFuture<>();
 * lifeguard.replies("panda-2").answersWith(later);   // every call for panda-2 waits for the test
 * }</pre>
 *
 * <p>Without a pool: {@link #stateless(Clock)} is a Lifeguard of the same scripts and record that
 * keeps no device states, for tests of what stands in front of Lifeguard (device callbacks, HTTP
 * routes).
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
   *     please_self_test}, {@code please_start_maintenance}), {@code released}, or a device
   *     event's name as reported (such as {@code self_test_ok})
   * @param image the image asked for, for {@code please_image}; empty otherwise
   * @param at when, on the pool's clock
   * @param args the call's arguments, in the order given: a device event's arguments as reported,
   *     the boot config of a {@code please_image}; empty otherwise. Unmodifiable.
   */
  public record Call(String device, String event, Optional<String> image, Instant at,
      Map<String, Object> args) {
    /** Checks that nothing is null and copies {@code args} (its values may be null). */
    public Call {
      Objects.requireNonNull(device, "device");
      Objects.requireNonNull(event, "event");
      Objects.requireNonNull(image, "image");
      Objects.requireNonNull(at, "at");
      args = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(args, "args")));
    }

    /**
     * A call without arguments.
     *
     * @throws NullPointerException if anything is null
     */
    public Call(String device, String event, Optional<String> image, Instant at) {
      this(device, event, image, at, Map.of());
    }
  }

  private record Reply(CompletionStage<Void> stage) {}

  private record Answer(Optional<ImagingResult> result, Duration delay) {}

  private final Map<String, List<Answer>> scripts = new HashMap<>();
  private final List<Answer> defaults = new ArrayList<>();
  private final List<Call> calls = new ArrayList<>();
  /** Per device: per event name, or under {@code ""} for every event, the scripted replies. */
  private final Map<String, Map<String, List<Reply>>> replies = new HashMap<>();

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

  /**
   * The replies to one device's calls (of one event, or of every event): each call takes the next
   * reply, and the last stays in force. Replies given for an event come before those given for
   * every event. A reply applies to please-events ({@code please_image}, {@code
   * please_power_cycle}, {@code please_self_test}, {@code please_start_maintenance}), device events
   * (by their name, such as {@code self_test_ok}) and {@code released}.
   */
  public final class Replies {
    private final String device;
    private final String event;

    private Replies(String device, String event) {
      this.device = device;
      this.event = event;
    }

    private Replies add(CompletionStage<Void> stage) {
      synchronized (ScriptedLifeguard.this) {
        replies.computeIfAbsent(device, d -> new HashMap<>())
            .computeIfAbsent(event, e -> new ArrayList<>()).add(new Reply(stage));
      }
      return this;
    }

    /** The next call is accepted at once: its stage is already complete. */
    public Replies accepts() {
      return add(CompletableFuture.completedFuture(null));
    }

    /**
     * The next call answers as {@code stage} does, for example a future the test completes later
     * (while it is pending the caller waits, as for a busy Lifeguard). If the script ends with this
     * reply, every later call follows the same stage. Each call returns a stage of its own that
     * completes as {@code stage} does, so a caller that cancels its stage leaves {@code stage}
     * alone.
     *
     * @throws NullPointerException if {@code stage} is null
     */
    public Replies answersWith(CompletionStage<Void> stage) {
      return add(Objects.requireNonNull(stage, "stage"));
    }

    /**
     * The next call's stage fails with {@code failure}, for example a {@link RefusedException} (the
     * device's state does not allow the event) or a {@link NoSuchDeviceException}.
     *
     * @throws NullPointerException if {@code failure} is null
     */
    public Replies failsWith(Throwable failure) {
      return add(CompletableFuture.failedFuture(Objects.requireNonNull(failure, "failure")));
    }

    /** The next call's stage never completes: the event is never taken. */
    public Replies hangs() {
      return add(new CompletableFuture<>());
    }

    /** Returns this script: {@code failsWith(refused).then().accepts()}. */
    public Replies then() {
      return this;
    }
  }

  /**
   * The replies to every call for {@code device} that has no reply scripted for its own event.
   *
   * @throws NullPointerException if {@code device} is null
   */
  public Replies replies(String device) {
    return new Replies(Objects.requireNonNull(device, "device"), "");
  }

  /**
   * The replies to {@code device}'s calls of {@code event}: a please-event, a device event's name
   * or {@code released}.
   *
   * @throws NullPointerException if either is null
   */
  public Replies replies(String device, String event) {
    return new Replies(Objects.requireNonNull(device, "device"),
        Objects.requireNonNull(event, "event"));
  }

  /**
   * A Lifeguard of this double's scripts and record that keeps no device states and needs no
   * pool, for tests of what stands in front of Lifeguard (device callbacks, HTTP routes). It
   * records every please-event, device event and release, and answers each with its {@linkplain
   * #replies(String) scripted reply}; unscripted calls are accepted at once. It changes nothing,
   * in a store or elsewhere; {@link Lifeguard#changeState} fails with an {@link
   * UnsupportedOperationException} and {@link Lifeguard#state} throws one. It may still be a
   * pool's Lifeguard, as {@code Mozpool.builder().lifeguard(ctx ->
   * scripted.stateless(ctx.timekeeper().clock()))}.
   *
   * @param clock stamps the recorded calls
   * @throws NullPointerException if {@code clock} is null
   */
  public Lifeguard stateless(Clock clock) {
    return new Stateless(Objects.requireNonNull(clock, "clock"));
  }

  /** Every call so far, in order. */
  public synchronized List<Call> calls() {
    return List.copyOf(calls);
  }

  /** The calls for {@code device} so far, in order. */
  public synchronized List<Call> calls(String device) {
    return calls.stream().filter(c -> c.device().equals(device)).toList();
  }

  /** The events sent for {@code device} so far, in order (please-events, device events…). */
  public List<String> events(String device) {
    return calls(device).stream().map(Call::event).toList();
  }

  private synchronized void record(Call call) {
    calls.add(call);
  }

  /** Takes the next reply scripted for {@code device}'s {@code event}, if any. */
  private synchronized Optional<CompletionStage<Void>> reply(String device, String event) {
    Map<String, List<Reply>> mine = replies.get(device);
    if (mine == null) {
      return Optional.empty();
    }
    List<Reply> seq = mine.get(event);
    if (seq == null || seq.isEmpty()) {
      seq = mine.get("");
    }
    if (seq == null || seq.isEmpty()) {
      return Optional.empty();
    }
    CompletionStage<Void> scripted = (seq.size() > 1 ? seq.remove(0) : seq.get(0)).stage();
    // Each call gets its own stage: a caller that cancels it (on its timeout) leaves the test's.
    CompletableFuture<Void> own = new CompletableFuture<>();
    scripted.whenComplete((v, e) -> {
      if (e == null) {
        own.complete(v);
      } else {
        own.completeExceptionally(e);
      }
    });
    return Optional.of(own);
  }

  /** Records a call and takes its scripted reply, if any. */
  private Optional<CompletionStage<Void>> recordAndReply(Call call) {
    record(call);
    return reply(call.device(), call.event());
  }

  private static Map<String, Object> bootConfigArgs(Map<String, String> bootConfig) {
    return bootConfig == null ? Map.of() : new LinkedHashMap<>(bootConfig);
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

    /** Records the call; answers with its scripted reply, if any. */
    private Optional<CompletionStage<Void>> record(String device, String event,
        Optional<String> image, Map<String, Object> args) {
      return recordAndReply(new Call(device, event, image, context.timekeeper().now(), args));
    }

    @Override
    public CompletionStage<Void> pleaseImage(String device, String image,
        Map<String, String> bootConfig) {
      return record(device, "please_image", Optional.of(image), bootConfigArgs(bootConfig))
          .orElseGet(() -> accept(device, "please_image", DeviceStates.PXE_POWER_CYCLING, tx -> {
            DeviceRecord d = tx.device(device).orElseThrow();
            tx.updateDeviceImages(device, d.image(), d.bootConfig(), image, bootConfig);
          }));
    }

    @Override
    public CompletionStage<Void> pleasePowerCycle(String device) {
      return record(device, "please_power_cycle", Optional.empty(), Map.of())
          .orElseGet(() -> accept(device, "please_power_cycle", DeviceStates.PC_POWER_CYCLING,
              null));
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
      return record(device, "please_self_test", Optional.empty(), Map.of())
          .orElseGet(() -> CompletableFuture.completedFuture(null));
    }

    @Override
    public CompletionStage<Void> pleaseStartMaintenance(String device) {
      return record(device, "please_start_maintenance", Optional.empty(), Map.of())
          .orElseGet(() -> CompletableFuture.completedFuture(null));
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
      return record(device, event, Optional.empty(), args == null ? Map.of() : args)
          .orElseGet(() -> CompletableFuture.completedFuture(null));
    }

    @Override
    public CompletionStage<Void> released(String device) {
      return record(device, "released", Optional.empty(), Map.of())
          .orElseGet(() -> CompletableFuture.completedFuture(null));
    }

    @Override
    public String state(String device) {
      return inTransaction(tx -> tx.machine(MachineKind.DEVICE, device)
          .orElseThrow(() -> new NoSuchDeviceException(device)).state());
    }

    @Override
    public void close() {}
  }
  /** The Lifeguard of {@link #stateless(Clock)}: records and replies, keeps no state. */
  private final class Stateless implements Lifeguard {
    private final Clock clock;

    Stateless(Clock clock) {
      this.clock = clock;
    }

    private CompletionStage<Void> answer(String device, String event, Optional<String> image,
        Map<String, Object> args) {
      return recordAndReply(new Call(device, event, image, clock.instant(), args))
          .orElseGet(() -> CompletableFuture.completedFuture(null));
    }

    @Override
    public void start() {}

    @Override
    public void deviceRegistered(String device) {}

    @Override
    public CompletionStage<Void> pleaseImage(String device, String image,
        Map<String, String> bootConfig) {
      return answer(device, "please_image", Optional.of(image), bootConfigArgs(bootConfig));
    }

    @Override
    public CompletionStage<Void> pleasePowerCycle(String device) {
      return answer(device, "please_power_cycle", Optional.empty(), Map.of());
    }

    @Override
    public CompletionStage<Void> pleaseSelfTest(String device) {
      return answer(device, "please_self_test", Optional.empty(), Map.of());
    }

    @Override
    public CompletionStage<Void> pleaseStartMaintenance(String device) {
      return answer(device, "please_start_maintenance", Optional.empty(), Map.of());
    }

    @Override
    public CompletionStage<Void> changeState(String device, String from, String to) {
      return CompletableFuture.failedFuture(new UnsupportedOperationException(
          "a stateless ScriptedLifeguard keeps no device states"));
    }

    @Override
    public CompletionStage<Void> deviceEvent(String device, String event,
        Map<String, Object> args) {
      return answer(device, event, Optional.empty(), args == null ? Map.of() : args);
    }

    @Override
    public CompletionStage<Void> released(String device) {
      return answer(device, "released", Optional.empty(), Map.of());
    }

    @Override
    public String state(String device) {
      throw new UnsupportedOperationException(
          "a stateless ScriptedLifeguard keeps no device states (asked for " + device + ")");
    }

    @Override
    public void close() {}
  }
}
