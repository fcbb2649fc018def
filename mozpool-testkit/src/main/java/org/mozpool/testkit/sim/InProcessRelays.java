package org.mozpool.testkit.sim;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.mozpool.spi.DeviceTarget;
import org.mozpool.spi.PowerControl;
import org.mozpool.spi.RelayFaultException;
import org.mozpool.spi.Timekeeper;
import org.mozpool.testkit.faults.Fault;
import org.mozpool.testkit.faults.FaultLog;
import org.mozpool.testkit.faults.FaultProfile;

/**
 * Relay boards in process, on the timekeeper's clock: one FIFO per board, a power cycle that
 * takes about a second on the board plus a second of cool-down, deadlines counted from the start
 * on the board, and the relay-board faults of the profile (hangs, garbage, flaky relays). A flaky
 * relay's miss fails with a {@link RelayFaultException}, as the ProXR driver's read-back does; a
 * hung or garbage-speaking board fails otherwise, for every device on it.
 *
 * <p>As the ProXR driver does, a power cycle whose stage is cancelled before it starts on its
 * board never touches the device; from its start on it runs to its end and {@code cancel} returns
 * {@code false}. (The board's time stays booked for it: the next operation does not move up.)
 */
final class InProcessRelays implements PowerControl {
  private static final Duration OFF_TIME = Duration.ofSeconds(1);
  private static final Duration READ_BACK = Duration.ofMillis(200);
  private static final Duration COOL_DOWN = Duration.ofSeconds(1);

  private final Timekeeper time;
  private final Function<String, SimulatedDevice> devices;
  private final FaultProfile faults;
  private final FaultLog log;
  private final Random random;
  private final Map<String, Board> boards = new HashMap<>();

  private static final class Board {
    Instant busyUntil = Instant.MIN;
    Instant hungUntil = Instant.MIN;
  }

  InProcessRelays(Timekeeper time, Function<String, SimulatedDevice> devices, FaultProfile faults,
      FaultLog log, Random random) {
    this.time = time;
    this.devices = devices;
    this.faults = faults;
    this.log = log;
    this.random = random;
  }

  @Override
  public synchronized CompletionStage<Void> powerCycle(DeviceTarget target, Duration deadline) {
    SimulatedDevice device = devices.apply(target.device());
    if (device == null || !target.powerAddress().startsWith("proxr://")) {
      return CompletableFuture.failedFuture(new IllegalStateException(
          "no relay for device " + target.device() + " at '" + target.powerAddress() + "'"));
    }
    String name = LabInventory.relayBoard(target.powerAddress());
    Board board = boards.computeIfAbsent(name, n -> new Board());
    Instant now = time.now();
    Instant start = board.busyUntil.isAfter(now) ? board.busyUntil : now;
    RelayStage done = new RelayStage();

    if (!board.hungUntil.isAfter(start) && chance(faults.relayBoardHang())) {
      board.hungUntil = start.plus(faults.relayBoardHangFor());
      log.record(start, name, Fault.RELAY_BOARD_HUNG, "for " + faults.relayBoardHangFor());
    }
    if (board.hungUntil.isAfter(start)) {
      Instant fail = start.plus(deadline);
      board.busyUntil = fail.plus(COOL_DOWN);
      time.schedule(fail, () -> done.completeExceptionally(new IllegalStateException(
          "relay board " + name + " did not answer within " + deadline)));
      return done;
    }
    if (chance(faults.relayBoardGarbage())) {
      log.record(start, name, Fault.RELAY_BOARD_GARBAGE, "while cycling " + target.device());
      board.busyUntil = start.plus(READ_BACK).plus(COOL_DOWN);
      time.schedule(start.plus(READ_BACK), () -> done.completeExceptionally(
          new IllegalStateException("relay board " + name + " answered garbage")));
      return done;
    }
    Instant end = start.plus(OFF_TIME).plus(READ_BACK);
    board.busyUntil = end.plus(COOL_DOWN);
    if (device.defects().contains(Fault.FLAKY_RELAY) && chance(faults.relayMiss())) {
      log.record(start, target.device(), Fault.RELAY_MISSED, "relay did not switch");
      time.schedule(end, () -> done.completeExceptionally(new RelayFaultException(
          target.device(), "relay of " + target.device() + " read back the wrong state")));
      return done;
    }
    time.schedule(start, () -> {
      if (done.reachBoard()) {
        device.setPower(false);
      }
    });
    time.schedule(start.plus(OFF_TIME), () -> {
      if (done.reachedBoard()) {
        device.setPower(true);
      }
    });
    time.schedule(end, () -> done.complete(null));
    return done;
  }

  /** A power cycle's stage: cancellable until the cycle starts on its board, then not. */
  static final class RelayStage extends CompletableFuture<Void> {
    private boolean reached;
    private boolean cancelling;

    /** Whether the cycle may start; once true, cancel refuses. */
    synchronized boolean reachBoard() {
      if (cancelling || isDone()) {
        return false;
      }
      reached = true;
      return true;
    }

    synchronized boolean reachedBoard() {
      return reached;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      synchronized (this) {
        if (reached) {
          return false;
        }
        cancelling = true;
      }
      return super.cancel(mayInterruptIfRunning);
    }
  }

  @Override
  public CompletionStage<Void> powerOn(DeviceTarget target, Duration deadline) {
    return switchPower(target, true);
  }

  @Override
  public CompletionStage<Void> powerOff(DeviceTarget target, Duration deadline) {
    return switchPower(target, false);
  }

  @Override
  public CompletionStage<Boolean> isPowered(DeviceTarget target, Duration deadline) {
    SimulatedDevice device = devices.apply(target.device());
    return device == null
        ? CompletableFuture.failedFuture(new IllegalStateException("no device " + target.device()))
        : CompletableFuture.completedFuture(device.powered());
  }

  private CompletionStage<Void> switchPower(DeviceTarget target, boolean on) {
    SimulatedDevice device = devices.apply(target.device());
    if (device == null) {
      return CompletableFuture.failedFuture(new IllegalStateException("no device " + target.device()));
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    time.schedule(time.now().plus(READ_BACK), () -> {
      device.setPower(on);
      done.complete(null);
    });
    return done;
  }

  private boolean chance(double p) {
    return p > 0 && random.nextDouble() < p;
  }
}
