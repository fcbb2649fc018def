package org.mozpool.bmm;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * One TCP connection to a ProXR board, every step bounded by both a per-step timeout and the
 * operation's overall deadline. Before its first command goes out it asks whether the operation
 * is still wanted (see {@link #open}); if not, nothing is sent. Not thread safe: used by one
 * board queue thread.
 */
final class ProxrSession implements AutoCloseable {

  static final int REPLY_OK = 0x55;

  /**
   * The interlock forbade a command: nothing of it was written (this instance may not act on the
   * hardware now).
   */
  static final class InterlockOpen extends IOException {
    private static final long serialVersionUID = 1L;

    InterlockOpen(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** The board did not connect or answer in time (a hang), as opposed to answering wrongly. */
  static final class TimedOut extends IOException {
    private static final long serialVersionUID = 1L;

    TimedOut(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final long deadlineNanos;
  private final Duration deadline;
  private final Duration ioTimeout;
  private final BooleanSupplier reachBoard;
  private final BooleanSupplier interlock;
  private boolean reached;

  private ProxrSession(Socket socket, long deadlineNanos, Duration deadline, Duration ioTimeout,
      BooleanSupplier reachBoard, BooleanSupplier interlock) throws IOException {
    this.socket = socket;
    this.reachBoard = reachBoard;
    this.interlock = interlock;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
    this.deadlineNanos = deadlineNanos;
    this.deadline = deadline;
    this.ioTimeout = ioTimeout;
  }

  /**
   * Connects within {@code min(connectTimeout, time left)}; {@code socketHolder} sees the socket.
   *
   * @param reachBoard asked once, just before the first command's bytes go out: {@code true} if
   *     the operation is still wanted (from then on it can no longer be called off), {@code false}
   *     to send nothing and fail the command with a {@link CancellationException}
   * @param localAddress the address to bind the connection to, or null for the system's choice
   * @param interlock asked just before every command's bytes are written: {@code false} (or an
   *     exception) writes nothing and fails the command with {@link InterlockOpen}
   */
  static ProxrSession open(String host, int port, long deadlineNanos, Duration deadline,
      Duration connectTimeout, Duration ioTimeout, java.util.function.Consumer<Socket> socketHolder,
      BooleanSupplier reachBoard, InetAddress localAddress, BooleanSupplier interlock)
      throws IOException {
    Socket socket = new Socket();
    socketHolder.accept(socket);
    try {
      socket.setTcpNoDelay(true);
      if (localAddress != null) {
        socket.bind(new InetSocketAddress(localAddress, 0));
      }
      long left = millisLeft(deadlineNanos, deadline, "connecting");
      int timeout = (int) Math.max(1, Math.min(connectTimeout.toMillis(), left));
      try {
        socket.connect(new InetSocketAddress(host, port), timeout);
      } catch (SocketTimeoutException e) {
        throw new TimedOut("no connection within " + timeout + " ms", e);
      }
      return new ProxrSession(socket, deadlineNanos, deadline, ioTimeout, reachBoard, interlock);
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /** Sends {@code command} and returns the board's one-byte reply. */
  int command(String what, int... command) throws IOException {
    millisLeft(deadlineNanos, deadline, what);
    if (!reached) {
      if (!reachBoard.getAsBoolean()) {
        throw new CancellationException("called off before " + what + " was sent");
      }
      reached = true;
    }
    checkInterlock(what);
    byte[] bytes = new byte[command.length];
    for (int i = 0; i < command.length; i++) {
      bytes[i] = (byte) command[i];
    }
    out.write(bytes);
    out.flush();
    long left = millisLeft(deadlineNanos, deadline, what);
    boolean deadlineBound = left < ioTimeout.toMillis();
    socket.setSoTimeout((int) Math.max(1, Math.min(ioTimeout.toMillis(), left)));
    int reply;
    try {
      reply = in.read();
    } catch (SocketTimeoutException e) {
      throw new TimedOut(deadlineBound
          ? "deadline of " + deadline + " passed waiting for the answer to " + what
          : "no answer to " + what + " within " + ioTimeout, e);
    }
    if (reply < 0) {
      throw new IOException("board closed the connection before answering " + what);
    }
    return reply;
  }

  private void checkInterlock(String what) throws InterlockOpen {
    boolean mayAct;
    try {
      mayAct = interlock.getAsBoolean();
    } catch (RuntimeException e) {
      throw new InterlockOpen("interlock is open (it failed: " + e + "): " + what
          + " not sent", e);
    }
    if (!mayAct) {
      throw new InterlockOpen("interlock is open: this instance may not act on the hardware now"
          + " (its heartbeat lapsed, or its pool is not running); " + what + " not sent", null);
    }
  }

  /** Sends {@code command} and fails unless the board answers {@code expected}. */
  void expect(int expected, String what, int... command) throws IOException {
    int reply = command(what, command);
    if (reply != expected) {
      throw new IOException(String.format("board answered 0x%02x to %s, expected 0x%02x",
          reply, what, expected));
    }
  }

  /** Sleeps {@code pause}, but never past the deadline (the next step then fails). */
  void pause(Duration pause) throws InterruptedException {
    long left = deadlineNanos - System.nanoTime();
    long nanos = Math.min(pause.toNanos(), Math.max(0, left));
    if (nanos > 0) {
      Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
    }
  }

  private static long millisLeft(long deadlineNanos, Duration deadline, String what)
      throws IOException {
    long left = (deadlineNanos - System.nanoTime()) / 1_000_000;
    if (left <= 0) {
      throw new TimedOut("deadline of " + deadline + " passed before " + what, null);
    }
    return left;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
