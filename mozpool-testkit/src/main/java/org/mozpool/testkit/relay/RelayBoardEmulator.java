package org.mozpool.testkit.relay;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An NCD ProXR relay board on a real loopback TCP socket, for tests of power drivers.
 *
 * <p>It understands the commands a ProXR board answers (all start with {@code 0xFE}): the two-way
 * test {@code FE 21 → 55}, relay {@code R} of bank {@code B} on {@code FE (107+R) B → 55}, off
 * {@code FE (99+R) B → 55}, and read {@code FE (115+R) B → 01} (relay on) or {@code 00}. Boards
 * are wired normally closed: a relay that is on leaves its device unpowered. All relays start
 * off (devices powered).
 *
 * <p>Like the real board it serves <b>one connection at a time</b>: a connection that arrives
 * while another is open is closed at once and counted ({@link #maxConcurrentConnections()} then
 * exceeds 1). Optionally ({@link #requireCoolDown}) it also closes connections that arrive too soon
 * after the previous one ended. Every complete command received is recorded in order
 * ({@link #commands()}), with its time and sender. {@link Fault}s make it hang, answer garbage or
 * refuse.
 *
 * <p>Thread safe. {@link #close()} stops every thread and socket; it is idempotent.
 */
public final class RelayBoardEmulator implements AutoCloseable {

  /** How the emulated board misbehaves. */
  public enum Fault {
    /** Behaves like a healthy board. */
    NONE,
    /** Accepts connections and reads commands but never answers. */
    HANG,
    /** Answers every command with a wrong byte ({@code 0x42}). */
    GARBAGE,
    /** Closes every connection as soon as it is accepted. */
    REFUSE,
    /** Acknowledges switching commands with {@code 0x55} but its relays never move. */
    STUCK
  }

  /**
   * A command the board received, with when it arrived ({@link System#nanoTime()}) and who sent
   * it: the remote address of the connection it came on, so that a test with several clients
   * bound to their own loopback addresses (127.0.1.1, 127.0.1.2, ...) sees which one acted.
   *
   * @param sender the connection's remote address; {@code null} when not known (a command made by
   *     hand with the two-argument constructor)
   */
  public record Command(byte[] bytes, long receivedNanos, InetAddress sender) {
    /** A command whose sender is not known. */
    public Command(byte[] bytes, long receivedNanos) {
      this(bytes, receivedNanos, null);
    }

    /** The bytes as lower-case hex separated by spaces, e.g. {@code "fe 6c 01"}. */
    public String hex() {
      return HexFormat.ofDelimiter(" ").formatHex(bytes);
    }

    @Override
    public String toString() {
      return hex();
    }
  }

  /** One accepted connection: when it opened and closed ({@link System#nanoTime()}). */
  public record Connection(long openedNanos, long closedNanos, boolean served) {}

  private static final int REPLY_OK = 0x55;
  private static final int GARBAGE = 0x42;
  private static final Duration RECOVERY_LIMIT = Duration.ofSeconds(5);

  private final int banks;
  private final boolean[][] relays;
  private final double[][] missChance;
  private final java.util.Random[][] missRandom;
  private final ServerSocket server;
  private final Thread acceptor;
  private final List<Command> commands = new CopyOnWriteArrayList<>();
  private final List<Connection> connections = new CopyOnWriteArrayList<>();
  private final List<RelayListener> listeners = new CopyOnWriteArrayList<>();
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private final AtomicInteger active = new AtomicInteger();
  private final AtomicInteger maxActive = new AtomicInteger();
  private final AtomicInteger rejected = new AtomicInteger();
  private volatile Fault fault = Fault.NONE;
  private volatile Duration coolDown = Duration.ZERO;
  private volatile long lastClosedNanos = Long.MIN_VALUE;
  private volatile boolean closed;

  private RelayBoardEmulator(int banks) throws IOException {
    if (banks < 1 || banks > 4) {
      throw new IllegalArgumentException("a ProXR board has 1 to 4 banks, got " + banks);
    }
    this.banks = banks;
    this.relays = new boolean[banks + 1][9];
    this.missChance = new double[banks + 1][9];
    this.missRandom = new java.util.Random[banks + 1][9];
    this.server = new ServerSocket();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    this.acceptor = new Thread(this::acceptLoop, "relay-board-emulator-" + server.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Starts a board with 4 banks of 8 relays on 127.0.0.1 and an ephemeral port. */
  public static RelayBoardEmulator start() {
    return start(4);
  }

  /** Starts a board with {@code banks} banks (1 to 4) of 8 relays on 127.0.0.1, ephemeral port. */
  public static RelayBoardEmulator start(int banks) {
    try {
      return new RelayBoardEmulator(banks);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start relay board emulator", e);
    }
  }

  /** The host the board listens on ({@code 127.0.0.1}). */
  public String host() {
    return server.getInetAddress().getHostAddress();
  }

  /** The port the board listens on. */
  public int port() {
    return server.getLocalPort();
  }

  /** {@code host:port}, the form operators type. */
  public String hostAndPort() {
    return host() + ":" + port();
  }

  /** The power address of a relay: {@code proxr://host:port/bank/B/relay/R}. */
  public String powerAddress(int bank, int relay) {
    checkRelay(bank, relay);
    return "proxr://" + hostAndPort() + "/bank/" + bank + "/relay/" + relay;
  }

  /** Makes the board misbehave (or behave again with {@link Fault#NONE}) from the next command on. */
  public RelayBoardEmulator fault(Fault fault) {
    this.fault = java.util.Objects.requireNonNull(fault, "fault");
    return this;
  }

  /**
   * The board is power-cycled by hand, as one does with a hung board: every open connection drops
   * (its client sees the connection closed) and the board behaves again ({@link Fault#NONE}).
   * Relay states and records stay. Returns once the dropped connections have ended on the board's
   * side too, so a connection opened afterwards is served rather than turned away as a second one.
   */
  public void recover() {
    fault = Fault.NONE;
    for (Socket s : open) {
      closeQuietly(s);
    }
    long end = System.nanoTime() + RECOVERY_LIMIT.toNanos();
    while (!open.isEmpty() && System.nanoTime() < end) {
      java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
    }
    if (!open.isEmpty()) {
      throw new IllegalStateException("connections still open " + RECOVERY_LIMIT + " after recovery");
    }
  }

  /**
   * Makes one relay flaky (a fault of its device's power path, not of the board): each command
   * switching it is acknowledged with {@code 0x55} as usual, but with probability {@code chance}
   * the relay does not move, so a read-back shows the old state. {@code 1} makes it stuck, {@code
   * 0} healthy again. The other relays and the board's answers are unaffected. Draws come from a
   * random source seeded with {@code seed}, so a run is reproducible.
   */
  public synchronized RelayBoardEmulator flakyRelay(int bank, int relay, double chance, long seed) {
    checkRelay(bank, relay);
    if (!(chance >= 0 && chance <= 1)) {
      throw new IllegalArgumentException("chance must be between 0 and 1, got " + chance);
    }
    missChance[bank][relay] = chance;
    missRandom[bank][relay] = new java.util.Random(seed);
    return this;
  }

  /**
   * Closes connections that arrive less than {@code coolDown} after the previous connection was
   * closed, like a real board that needs about a second between connections. Default zero.
   */
  public RelayBoardEmulator requireCoolDown(Duration coolDown) {
    this.coolDown = java.util.Objects.requireNonNull(coolDown, "coolDown");
    return this;
  }

  /** Adds a listener told about every relay change. */
  public void addListener(RelayListener listener) {
    listeners.add(java.util.Objects.requireNonNull(listener, "listener"));
  }

  /** Whether the relay is on (its device unpowered). */
  public synchronized boolean relayOn(int bank, int relay) {
    checkRelay(bank, relay);
    return relays[bank][relay];
  }

  /** Whether the relay's device is powered (normally closed wiring: relay off). */
  public boolean devicePowered(int bank, int relay) {
    return !relayOn(bank, relay);
  }

  /** Sets a relay directly, as if someone had flipped it (listeners are told). */
  public void setRelay(int bank, int relay, boolean on) {
    checkRelay(bank, relay);
    switchRelay(bank, relay, on);
  }

  /** Every complete command received, in order. */
  public List<Command> commands() {
    return List.copyOf(commands);
  }

  /** The received commands as hex strings, in order (e.g. {@code "fe 6c 01"}). */
  public List<String> commandsHex() {
    List<String> hex = new ArrayList<>();
    for (Command c : commands) {
      hex.add(c.hex());
    }
    return hex;
  }

  /** Forgets the recorded commands and connections (relay states stay). */
  public void clearRecords() {
    commands.clear();
    connections.clear();
  }

  /** Every connection served or turned away, in the order they ended. */
  public List<Connection> connections() {
    return List.copyOf(connections);
  }

  /**
   * Waits until no connection is open, so that a client's last connection is in {@link
   * #connections()} (the client may see the last answer before the board sees the close).
   *
   * @return false if a connection was still open after {@code timeout}
   */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (active.get() > 0) {
      if (System.nanoTime() > end) {
        return false;
      }
      Thread.sleep(5);
    }
    return true;
  }

  /**
   * Waits until the board has received at least {@code count} commands in all.
   *
   * @return false if fewer had arrived after {@code timeout}
   */
  public boolean awaitCommands(int count, Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (commands.size() < count) {
      if (System.nanoTime() > end) {
        return false;
      }
      Thread.sleep(5);
    }
    return true;
  }

  /** The most connections that were open at once (1 for a well-behaved client). */
  public int maxConcurrentConnections() {
    return maxActive.get();
  }

  /** How many connections were closed at once for breaking the one-connection or cool-down rule. */
  public int rejectedConnections() {
    return rejected.get();
  }

  private void acceptLoop() {
    while (!closed) {
      Socket socket;
      try {
        socket = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      long now = System.nanoTime();
      int nowActive = active.incrementAndGet();
      maxActive.accumulateAndGet(nowActive, Math::max);
      boolean tooSoon = lastClosedNanos != Long.MIN_VALUE
          && now - lastClosedNanos < coolDown.toNanos();
      if (nowActive > 1 || tooSoon || fault == Fault.REFUSE) {
        if (nowActive > 1 || tooSoon) {
          rejected.incrementAndGet();
        }
        closeQuietly(socket);
        active.decrementAndGet();
        connections.add(new Connection(now, System.nanoTime(), false));
        continue;
      }
      open.add(socket);
      Thread t = new Thread(() -> serve(socket, now), "relay-board-emulator-conn-" + port());
      t.setDaemon(true);
      t.start();
    }
  }

  private void serve(Socket socket, long openedNanos) {
    InetAddress sender = socket.getInetAddress();
    try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
      while (!closed) {
        int first = in.read();
        if (first < 0) {
          return;
        }
        if (first != 0xFE) {
          commands.add(new Command(new byte[] {(byte) first}, System.nanoTime(), sender));
          continue; // a real board ignores bytes outside a command
        }
        int op = in.read();
        if (op < 0) {
          return;
        }
        if (op == 0x21) {
          commands.add(new Command(new byte[] {(byte) 0xFE, 0x21}, System.nanoTime(), sender));
          answer(out, REPLY_OK);
          continue;
        }
        int bank = in.read();
        if (bank < 0) {
          return;
        }
        commands.add(new Command(new byte[] {(byte) 0xFE, (byte) op, (byte) bank},
            System.nanoTime(), sender));
        handleRelayCommand(out, op, bank);
      }
    } catch (SocketException e) {
      // peer or close() closed the socket
    } catch (IOException e) {
      // a broken connection ends the session, as on the real board
    } finally {
      lastClosedNanos = System.nanoTime();
      connections.add(new Connection(openedNanos, lastClosedNanos, true));
      active.decrementAndGet();
      open.remove(socket); // last: recover() waits for this
    }
  }

  private void handleRelayCommand(OutputStream out, int op, int bank) throws IOException {
    boolean validBank = bank >= 1 && bank <= banks;
    if (op >= 108 && op <= 115 && validBank) {
      switchRelay(bank, op - 107, true);
      answer(out, REPLY_OK);
    } else if (op >= 100 && op <= 107 && validBank) {
      switchRelay(bank, op - 99, false);
      answer(out, REPLY_OK);
    } else if (op >= 116 && op <= 123 && validBank) {
      answer(out, relayOn(bank, op - 115) ? 0x01 : 0x00);
    }
    // anything else: the board stays silent, the client's read times out
  }

  private void answer(OutputStream out, int reply) throws IOException {
    switch (fault) {
      case HANG, REFUSE -> {
        return;
      }
      case GARBAGE -> out.write(GARBAGE);
      case NONE, STUCK -> out.write(reply);
      default -> throw new IllegalStateException("unexpected fault " + fault);
    }
    out.flush();
  }

  private void switchRelay(int bank, int relay, boolean on) {
    if (fault != Fault.NONE) {
      return; // a misbehaving board does not switch
    }
    boolean changed;
    synchronized (this) {
      double miss = missChance[bank][relay];
      if (miss > 0 && missRandom[bank][relay].nextDouble() < miss) {
        return; // a flaky relay: acknowledged, but it did not move
      }
      changed = relays[bank][relay] != on;
      relays[bank][relay] = on;
    }
    if (changed) {
      for (RelayListener l : listeners) {
        l.relayChanged(bank, relay, on);
      }
    }
  }

  private void checkRelay(int bank, int relay) {
    if (bank < 1 || bank > banks) {
      throw new IllegalArgumentException("bank must be 1.." + banks + ", got " + bank);
    }
    if (relay < 1 || relay > 8) {
      throw new IllegalArgumentException("relay must be 1..8, got " + relay);
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // nothing more to do
    }
  }

  /** Stops the board: closes the listening socket and every open connection. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
    for (Socket s : open) {
      closeQuietly(s);
    }
    try {
      acceptor.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
