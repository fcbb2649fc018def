package org.mozpool.lifeguard;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.mozpool.PxeConfig;
import org.mozpool.spi.BootControl;
import org.mozpool.spi.DeviceProbe;
import org.mozpool.spi.DeviceTarget;
import org.mozpool.spi.Lifeguard;
import org.mozpool.spi.PowerControl;
import org.mozpool.spi.RelayFaultException;
import org.mozpool.spi.Timekeeper;

/**
 * A scripted lab for tests: power, PXE and probe drivers that record every call in one journal
 * and can be told to fail or hang, and boards that, once power-cycled with a PXE config in place,
 * run the live image's script by posting device events at virtual times.
 */
final class FakeHardware implements PowerControl, BootControl, DeviceProbe {

  /** How a scripted operation ends. */
  enum Outcome {
    OK,
    FAIL,
    /** Never completes (Lifeguard's deadline ends it); kept in {@link #hung}. */
    HANG,
    /**
     * Already on the hardware: refuses cancellation and completes when the test calls {@link
     * #completePending}.
     */
    MANUAL
  }

  /** One call, in order: {@code "power-cycle panda-1"}, {@code "set-pxe b2g-panda panda-1"}… */
  final List<String> journal = new CopyOnWriteArrayList<>();
  final Map<String, PxeConfig> pxe = new ConcurrentHashMap<>();
  final Map<String, Map<String, String>> pxeValues = new ConcurrentHashMap<>();
  final Map<String, Board> boards = new ConcurrentHashMap<>();
  final List<CompletableFuture<Void>> pending = new CopyOnWriteArrayList<>();
  /** The stages of {@link Outcome#HANG} operations, in the order they started. */
  final List<CompletableFuture<Void>> hung = new CopyOnWriteArrayList<>();
  private final Timekeeper tk;
  private final Supplier<Lifeguard> lifeguard;
  private final Duration second;

  FakeHardware(Timekeeper tk, Supplier<Lifeguard> lifeguard) {
    this(tk, lifeguard, Duration.ofSeconds(1));
  }

  /** {@code second} is how long one scripted second of the live image lasts. */
  FakeHardware(Timekeeper tk, Supplier<Lifeguard> lifeguard, Duration second) {
    this.tk = tk;
    this.lifeguard = lifeguard;
    this.second = second;
  }

  /** The board called {@code name} (created with default behaviour on first use). */
  Board board(String name) {
    return boards.computeIfAbsent(name, Board::new);
  }

  long count(String prefix) {
    return journal.stream().filter(s -> s.startsWith(prefix)).count();
  }

  /** Completes the {@code index}-th manual operation (0 = the first started) successfully. */
  void completePending(int index) {
    pending.get(index).complete(null);
  }

  private CompletionStage<Void> outcome(Outcome o, String what, Runnable onSuccess) {
    switch (o) {
      case OK -> {
        onSuccess.run();
        return CompletableFuture.completedFuture(null);
      }
      case FAIL -> {
        return CompletableFuture.failedFuture(new IllegalStateException(what + " failed (scripted)"));
      }
      case HANG -> {
        CompletableFuture<Void> f = new CompletableFuture<>();
        hung.add(f);
        return f;
      }
      default -> {
        CompletableFuture<Void> f = new CompletableFuture<>();
        pending.add(f);
        OnTheHardware stage = new OnTheHardware();
        f.thenRun(onSuccess).whenComplete((v, e) -> {
          if (e == null) {
            stage.complete(null);
          } else {
            stage.completeExceptionally(e);
          }
        });
        return stage;
      }
    }
  }

  /** The stage of an operation that has reached the hardware: it runs to its end. */
  private static final class OnTheHardware extends CompletableFuture<Void> {
    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      return false;
    }
  }

  // ---- PowerControl ----

  @Override
  public CompletionStage<Void> powerCycle(DeviceTarget device, Duration deadline) {
    journal.add("power-cycle " + device.device());
    Board b = board(device.device());
    synchronized (b) {
      if (b.relayFaults > 0) {
        b.relayFaults--;
        return CompletableFuture.failedFuture(new IllegalStateException("relay board failed",
            new RelayFaultException(device.device(), "relay of " + device.device()
                + " read back the wrong state (scripted)")));
      }
      if (b.boardFaults > 0) {
        b.boardFaults--;
        return CompletableFuture.failedFuture(new IllegalStateException(
            "relay board answered garbage (scripted)"));
      }
    }
    return outcome(b.power, "power cycle of " + device.device(), b::poweredOn);
  }

  // ---- BootControl ----

  @Override
  public CompletionStage<Void> setPxeConfig(DeviceTarget device, PxeConfig config,
      Map<String, String> values) {
    journal.add("set-pxe " + config.name() + " " + device.device());
    Board b = board(device.device());
    return outcome(b.setPxe, "PXE write for " + device.device(), () -> {
      pxe.put(device.device(), config);
      pxeValues.put(device.device(), Map.copyOf(values));
    });
  }

  @Override
  public CompletionStage<Void> clearPxeConfig(DeviceTarget device) {
    journal.add("clear-pxe " + device.device());
    pxe.remove(device.device());
    return CompletableFuture.completedFuture(null);
  }

  // ---- DeviceProbe ----

  @Override
  public CompletionStage<Void> ping(DeviceTarget device, Duration deadline) {
    journal.add("ping " + device.device());
    return outcome(board(device.device()).ping, "ping of " + device.device(), () -> { });
  }

  @Override
  public CompletionStage<Void> verifyAgent(DeviceTarget device, Duration deadline) {
    journal.add("verify " + device.device());
    return outcome(board(device.device()).verify, "agent verify of " + device.device(), () -> { });
  }

  @Override
  public CompletionStage<Void> checkStorage(DeviceTarget device, Duration deadline) {
    journal.add("storage " + device.device());
    return outcome(board(device.device()).storage, "storage check of " + device.device(), () -> { });
  }

  /** One simulated board: what its drivers answer and how its live image behaves. */
  final class Board {
    final String name;
    volatile Outcome power = Outcome.OK;
    /** The next this many power cycles fail with a {@link RelayFaultException} (a flaky relay). */
    volatile int relayFaults;
    /** The next this many power cycles fail as a misbehaving relay board would (not the device's fault). */
    volatile int boardFaults;
    volatile Outcome setPxe = Outcome.OK;
    volatile Outcome ping = Outcome.OK;
    volatile Outcome verify = Outcome.OK;
    volatile Outcome storage = Outcome.OK;
    /** Whether the live image calls home at all. */
    volatile boolean callsHome = true;
    /** Whether the self-test image reports success. */
    volatile boolean selfTestPasses = true;
    /** Set to make the live image report {@code image_failed} with this reason. */
    volatile String imageFailure;
    /** Report with the original scripts' names ({@code b2g_downloading}, …). */
    volatile boolean originalEventNames;
    /**
     * Set to make the live image report this {@code temperature} reading (degrees Celsius, as the
     * live image's scripts format it) with every event.
     */
    volatile String temperature;
    /** Set to make the live image go silent after posting this event. */
    volatile String silentAfter;
    /** Every device event posted, in order. */
    final List<String> posted = new ArrayList<>();
    private int generation;
    private int silentGeneration;

    Board(String name) {
      this.name = name;
    }

    synchronized void poweredOn() {
      int g = ++generation;
      PxeConfig config = pxe.get(name);
      if (config == null || !callsHome) {
        return; // boots from its storage, or the live image never calls home
      }
      post(g, 20, "mobile_init_started", Map.of());
      if (config.name().startsWith("self-test")) {
        post(g, 25, "self_test_running", Map.of());
        post(g, 85, selfTestPasses ? "self_test_ok" : "failed_self_test", Map.of());
      } else if (config.name().startsWith("maintenance")) {
        post(g, 25, "maint_mode", Map.of());
      } else if (imageFailure != null) {
        post(g, 25, "image_downloading", Map.of());
        post(g, 40, "image_failed", Map.of("reason", imageFailure));
      } else {
        post(g, 25, originalEventNames ? "b2g_downloading" : "image_downloading", Map.of());
        post(g, 85, originalEventNames ? "android_extracting" : "image_extracting", Map.of());
        post(g, 205, originalEventNames ? "b2g_rebooting" : "image_rebooting", Map.of());
        if (originalEventNames) {
          post(g, 210, "sut_verify_ok", Map.of());
        }
      }
    }

    private void post(int g, int seconds, String event, Map<String, Object> args) {
      Instant at = tk.now().plus(second.multipliedBy(seconds));
      tk.schedule(at, () -> {
        synchronized (this) {
          if (generation != g || silentGeneration == g) {
            return; // power-cycled since (that boot is gone), or gone silent
          }
          posted.add(event);
          if (event.equals(silentAfter)) {
            silentGeneration = g;
          }
        }
        Map<String, Object> sent = new HashMap<>(args);
        String reading = temperature;
        if (reading != null) {
          sent.putIfAbsent("temperature", reading);
        }
        lifeguard.get().deviceEvent(name, event, sent);
      });
    }
  }
}
