package org.mozpool.bmm;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.BooleanSupplier;
import org.mozpool.spi.DeviceTarget;
import org.mozpool.spi.PowerControl;
import org.mozpool.spi.RelayFaultException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Switches device power through NCD ProXR relay boards (DESIGN §7.1).
 *
 * <p>Devices' {@linkplain DeviceTarget#powerAddress() power addresses} are parsed by {@link
 * RelayAddress#parse}. Boards are wired normally closed: turning a relay <em>on</em> turns its
 * device <em>off</em>. A power cycle runs on one connection: relay on, read back, wait {@linkplain
 * Builder#cycleDelay the cycle delay} (1 s), relay off, read back; any reply other than the
 * expected one fails it.
 *
 * <p>Every board has its own FIFO queue served by one thread, so a board sees one connection at a
 * time, separated by {@linkplain Builder#coolDown a cool-down} (1 s), and different boards work in
 * parallel. An operation's deadline counts from when it reaches the board; connect and each
 * read are further bounded by their own timeouts. A board that refuses, hangs, closes early or
 * answers garbage completes the stage exceptionally with a {@link RelayBoardException} naming the
 * board, bank and relay (also logged at WARN); no thread is ever stuck. When the board answers
 * but a relay reads back the wrong state after being switched, the {@link RelayBoardException}'s
 * cause is a {@link RelayFaultException}: the fault is that one relay's, and Lifeguard counts it
 * against the device (see {@link PowerControl}).
 *
 * <p>Cancelling a returned stage before the operation's first command goes out calls it off: a
 * queued operation is dropped and one already connected sends nothing, so a power cycle nobody
 * waits for any more never reaches the relay, even when its board recovers from a hang much later.
 * From the first command on the operation runs to its end (a power cycle is never left with the
 * device unpowered) and {@code cancel} returns {@code false}.
 *
 * <p>With several instances driving one lab (DESIGN §9), each binds its board connections to its
 * own {@linkplain Builder#localAddress source address}, so a board (and its emulator) sees which
 * instance sends, and each sets an {@linkplain Builder#interlock interlock} that is asked just
 * before every command is written: while it forbids acting (the instance's heartbeat lapsed, its
 * devices may be someone else's by now), nothing reaches any board and operations fail with a
 * {@link RelayBoardException} saying the interlock is open.
 *
 * <p>Thread safe. {@link #close()} fails queued operations, aborts running ones and stops every
 * thread; it is idempotent.
 */
public final class ProxrPowerControl implements PowerControl, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ProxrPowerControl.class);

  /** Interlock of a power control built without one: always lets commands through. */
  static final BooleanSupplier NO_INTERLOCK = () -> true;

  /**
   * Effective settings, shared with the board queues.
   *
   * @param localAddress the source address of board connections, or null for the system's choice
   * @param interlock asked before every command's bytes are written; false stops the operation
   */
  record Settings(Duration coolDown, Duration cycleDelay, Duration connectTimeout,
      Duration ioTimeout, BmmMeters meters, InetAddress localAddress, BooleanSupplier interlock) {
    /** Without meters, source address or interlock. */
    Settings(Duration coolDown, Duration cycleDelay, Duration connectTimeout,
        Duration ioTimeout) {
      this(coolDown, cycleDelay, connectTimeout, ioTimeout, BmmMeters.NONE, null, NO_INTERLOCK);
    }
  }

  private final Settings settings;
  private final ConcurrentMap<String, RelayBoardQueue> boards = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private ProxrPowerControl(Settings settings) {
    this.settings = settings;
  }

  /** A power control with the default settings. */
  public static ProxrPowerControl create() {
    return builder().build();
  }

  /** Starts configuring a power control. */
  public static Builder builder() {
    return new Builder();
  }

  // ---- PowerControl ----

  @Override
  public CompletionStage<Void> powerCycle(DeviceTarget device, Duration deadline) {
    return withAddress(device, deadline, a -> powerCycle(a, deadline, device.device()));
  }

  @Override
  public CompletionStage<Void> powerOn(DeviceTarget device, Duration deadline) {
    return withAddress(device, deadline, a -> setPower(a, true, deadline, device.device()));
  }

  @Override
  public CompletionStage<Void> powerOff(DeviceTarget device, Duration deadline) {
    return withAddress(device, deadline, a -> setPower(a, false, deadline, device.device()));
  }

  @Override
  public CompletionStage<Boolean> isPowered(DeviceTarget device, Duration deadline) {
    return withAddress(device, deadline, a -> isPowered(a, deadline, device.device()));
  }

  // ---- by relay address ----

  /** Power-cycles the device on {@code relay}: relay on, read back, wait, relay off, read back. */
  public CompletionStage<Void> powerCycle(RelayAddress relay, Duration deadline) {
    return powerCycle(relay, deadline, null);
  }

  /** Powers the device on {@code relay} on (turns the relay off) and reads the relay back. */
  public CompletionStage<Void> powerOn(RelayAddress relay, Duration deadline) {
    return setPower(relay, true, deadline, null);
  }

  /** Powers the device on {@code relay} off (turns the relay on) and reads the relay back. */
  public CompletionStage<Void> powerOff(RelayAddress relay, Duration deadline) {
    return setPower(relay, false, deadline, null);
  }

  /** Whether the device on {@code relay} is powered (its relay reads off). */
  public CompletionStage<Boolean> isPowered(RelayAddress relay, Duration deadline) {
    return isPowered(relay, deadline, null);
  }

  /**
   * The two-way test: sends {@code FE 21} to the board at {@code hostAndPort} (port defaults to
   * 2101) and expects {@code 0x55}.
   */
  public CompletionStage<Void> testBoard(String hostAndPort, Duration deadline) {
    RelayAddress.Board board;
    try {
      board = RelayAddress.Board.parse(hostAndPort);
      checkDeadline(deadline);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
    return queue(board.host(), board.port()).submit("two-way test", 0, 0, null, deadline,
        s -> {
          s.expect(ProxrSession.REPLY_OK, "two-way test FE 21", 0xFE, 0x21);
          return null;
        });
  }

  private CompletionStage<Void> powerCycle(RelayAddress a, Duration deadline, String device) {
    return submit(a, "power cycle", device, deadline, s -> {
      relayOn(s, a);
      expectRelay(s, a, true);
      s.pause(settings.cycleDelay());
      relayOff(s, a);
      expectRelay(s, a, false);
      return null;
    });
  }

  private CompletionStage<Void> setPower(RelayAddress a, boolean powered, Duration deadline,
      String device) {
    return submit(a, powered ? "power on" : "power off", device, deadline, s -> {
      if (powered) {
        relayOff(s, a);
      } else {
        relayOn(s, a);
      }
      expectRelay(s, a, !powered);
      return null;
    });
  }

  private CompletionStage<Boolean> isPowered(RelayAddress a, Duration deadline, String device) {
    return submit(a, "status", device, deadline, s -> !readRelay(s, a));
  }

  private static void relayOn(ProxrSession s, RelayAddress a) throws java.io.IOException {
    s.expect(ProxrSession.REPLY_OK, "relay-on", 0xFE, 107 + a.relay(), a.bank());
  }

  private static void relayOff(ProxrSession s, RelayAddress a) throws java.io.IOException {
    s.expect(ProxrSession.REPLY_OK, "relay-off", 0xFE, 99 + a.relay(), a.bank());
  }

  private static boolean readRelay(ProxrSession s, RelayAddress a) throws java.io.IOException {
    int reply = s.command("relay read", 0xFE, 115 + a.relay(), a.bank());
    if (reply != 0x00 && reply != 0x01) {
      throw new java.io.IOException(String.format(
          "board answered 0x%02x to relay read, expected 0x00 or 0x01", reply));
    }
    return reply == 0x01;
  }

  private static void expectRelay(ProxrSession s, RelayAddress a, boolean on)
      throws java.io.IOException {
    boolean actual = readRelay(s, a);
    if (actual != on) {
      // The board answered sensibly: this one relay did not switch. A fault of its device.
      throw new RelayFaultException(null, "relay reads " + (actual ? "on" : "off")
          + " after switching it " + (on ? "on" : "off"));
    }
  }

  private <T> CompletionStage<T> submit(RelayAddress a, String what, String device,
      Duration deadline, RelayBoardQueue.Operation<T> operation) {
    try {
      checkDeadline(deadline);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
    return queue(a.host(), a.port()).submit(what, a.bank(), a.relay(), device, deadline, operation);
  }

  private <T> CompletionStage<T> withAddress(DeviceTarget device, Duration deadline,
      java.util.function.Function<RelayAddress, CompletionStage<T>> operation) {
    Objects.requireNonNull(device, "device");
    RelayAddress address;
    try {
      address = RelayAddress.parse(device.powerAddress());
    } catch (IllegalArgumentException e) {
      LOG.warn("device {}: {}", device.device(), e.getMessage());
      return CompletableFuture.failedFuture(new IllegalArgumentException(
          "device " + device.device() + ": " + e.getMessage(), e));
    }
    return operation.apply(address);
  }

  private static void checkDeadline(Duration deadline) {
    Objects.requireNonNull(deadline, "deadline");
    if (deadline.isNegative() || deadline.isZero()) {
      throw new IllegalArgumentException("deadline must be positive, got " + deadline);
    }
  }

  private RelayBoardQueue queue(String host, int port) {
    String key = host.toLowerCase(Locale.ROOT) + ":" + port;
    RelayBoardQueue q = boards.computeIfAbsent(key, k -> new RelayBoardQueue(host, port, settings));
    if (closed) {
      q.close();
    }
    return q;
  }

  /** Fails queued operations, aborts running ones and stops every board thread. Idempotent. */
  @Override
  public void close() {
    closed = true;
    for (RelayBoardQueue q : boards.values()) {
      q.close();
    }
    for (RelayBoardQueue q : boards.values()) {
      try {
        if (!q.awaitTermination(Duration.ofSeconds(5))) {
          LOG.warn("relay board {}: thread did not stop within 5 s", q.board());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * Configures a {@link ProxrPowerControl}. Defaults: cool-down 1 s, cycle delay 1 s, connect
   * timeout 5 s, I/O timeout 5 s. Setters validate eagerly and throw naming the setting and the
   * value. Not thread safe.
   */
  public static final class Builder {
    private Duration coolDown = Duration.ofSeconds(1);
    private Duration cycleDelay = Duration.ofSeconds(1);
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration ioTimeout = Duration.ofSeconds(5);
    private io.micrometer.core.instrument.MeterRegistry meterRegistry;
    private InetAddress localAddress;
    private BooleanSupplier interlock = NO_INTERLOCK;

    private Builder() {}

    /**
     * The local address every board connection is bound to before connecting (default: none, the
     * system picks one). With several instances on one lab, giving each its own address (on one
     * host, loopback aliases such as {@code 127.0.1.3} — on Linux all of 127.0.0.0/8 is local)
     * lets a board or its emulator see which instance sends. The port stays ephemeral.
     *
     * @throws NullPointerException if {@code address} is null
     */
    public Builder localAddress(InetAddress address) {
      this.localAddress = Objects.requireNonNull(address, "localAddress");
      return this;
    }

    /**
     * A check asked immediately before every command's bytes are written to a board (default:
     * always true). When it answers {@code false} nothing is written and the operation fails with
     * a {@link RelayBoardException} saying the interlock is open: this instance may not act on the
     * hardware now, typically because its heartbeat lapsed and another instance may be adopting
     * its devices (see {@code MachineEngine.Fence#mayAct}). A power cycle stopped between its
     * commands leaves the relay as the last written command left it. It is called on the board
     * threads, so it must be fast and thread safe; if it throws, the operation fails the same way.
     *
     * @throws NullPointerException if {@code interlock} is null
     */
    public Builder interlock(BooleanSupplier interlock) {
      this.interlock = Objects.requireNonNull(interlock, "interlock");
      return this;
    }

    /**
     * Where to time every board operation as {@code mozpool.relay.operations}, tagged with the
     * board ({@code host:port}), the operation and its outcome (see {@code METRICS.md}); default
     * none.
     *
     * @throws NullPointerException if {@code registry} is null
     */
    public Builder meterRegistry(io.micrometer.core.instrument.MeterRegistry registry) {
      this.meterRegistry = Objects.requireNonNull(registry, "meterRegistry");
      return this;
    }

    /**
     * The pause a board needs between one connection closing and the next opening (default 1 s;
     * zero for none).
     *
     * @throws NullPointerException if {@code coolDown} is null
     * @throws IllegalArgumentException if it is negative
     */
    public Builder coolDown(Duration coolDown) {
      this.coolDown = nonNegative(coolDown, "cool-down");
      return this;
    }

    /**
     * How long a power cycle leaves the device unpowered (default 1 s; zero for no pause).
     *
     * @throws NullPointerException if {@code cycleDelay} is null
     * @throws IllegalArgumentException if it is negative
     */
    public Builder cycleDelay(Duration cycleDelay) {
      this.cycleDelay = nonNegative(cycleDelay, "cycle delay");
      return this;
    }

    /**
     * The longest a TCP connect may take (default 5 s; also bounded by the operation's deadline).
     *
     * @throws NullPointerException if {@code connectTimeout} is null
     * @throws IllegalArgumentException if it is zero or negative
     */
    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = positive(connectTimeout, "connect timeout");
      return this;
    }

    /**
     * The longest the board may take to answer one command (default 5 s; also bounded by the
     * deadline).
     *
     * @throws NullPointerException if {@code ioTimeout} is null
     * @throws IllegalArgumentException if it is zero or negative
     */
    public Builder ioTimeout(Duration ioTimeout) {
      this.ioTimeout = positive(ioTimeout, "I/O timeout");
      return this;
    }

    /** The interlock set so far (for {@link LabHardware}, which adds the pool's fence to it). */
    BooleanSupplier interlock() {
      return interlock;
    }

    /** Builds the power control; its board threads start on first use. */
    public ProxrPowerControl build() {
      return new ProxrPowerControl(new Settings(coolDown, cycleDelay, connectTimeout, ioTimeout,
          BmmMeters.of(meterRegistry), localAddress, interlock));
    }

    private static Duration nonNegative(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isNegative()) {
        throw new IllegalArgumentException(what + " must not be negative, got " + d);
      }
      return d;
    }

    private static Duration positive(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive, got " + d);
      }
      return d;
    }
  }
}
