package org.mozpool.bmm;

import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.mozpool.spi.RelayFaultException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The FIFO of operations for one relay board. A ProXR board serves one connection at a time and
 * needs a pause after each disconnect, so every operation on a board runs on one thread, in
 * submission order, each on its own connection, separated by the cool-down. An operation's
 * deadline starts when it reaches the board (after the cool-down), not when it was queued.
 *
 * <p>An operation whose stage is cancelled (or otherwise completed, e.g. by a caller's timeout)
 * before its first command goes out never reaches the board: a queued one is dropped, one in its
 * cool-down does not connect, and one already connected sends nothing. From its first command on
 * it runs to its end, so that a power cycle never leaves a device unpowered; cancelling it then
 * returns {@code false}.
 */
final class RelayBoardQueue {

  private static final Logger LOG = LoggerFactory.getLogger(ProxrPowerControl.class);

  /** The body of one operation, run on an open session. */
  interface Operation<T> {
    T run(ProxrSession session) throws IOException, InterruptedException;
  }

  private final String host;
  private final int port;
  private final ProxrPowerControl.Settings settings;
  private final ThreadPoolExecutor executor;
  private final DaemonThreads threads;
  private volatile Socket current;
  private volatile long lastClosedNanos;
  private volatile boolean used;

  RelayBoardQueue(String host, int port, ProxrPowerControl.Settings settings) {
    this.host = host;
    this.port = port;
    this.settings = settings;
    this.threads = DaemonThreads.named("proxr-" + host + ":" + port);
    this.executor = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
        threads);
    // an idle board costs no thread
    executor.allowCoreThreadTimeOut(true);
  }

  String board() {
    return host + ":" + port;
  }

  <T> CompletableFuture<T> submit(String what, int bank, int relay, String device,
      Duration deadline, Operation<T> operation) {
    Task<T> task = new Task<>(what, bank, relay, device, deadline, operation);
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      task.fail("power control is closed", null);
    }
    return task.result;
  }

  /** Stops the thread, fails every queued operation and aborts the running one. */
  void close() {
    List<Runnable> pending = executor.shutdownNow();
    for (Runnable r : pending) {
      ((Task<?>) r).fail("power control was closed before it ran", null);
    }
    Socket s = current;
    if (s != null) {
      try {
        s.close();
      } catch (IOException e) {
        // aborting anyway
      }
    }
  }

  boolean awaitTermination(Duration timeout) throws InterruptedException {
    return executor.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)
        && threads.joinAll(timeout);
  }

  /**
   * An operation's stage: cancellable until its first command goes out, then not (the operation
   * runs to its end and completes the stage as usual).
   */
  static final class Result<T> extends CompletableFuture<T> {
    private boolean reachedBoard;
    private boolean cancelling;

    /** Whether the operation may send its first command; once true, cancel refuses. */
    synchronized boolean reachBoard() {
      if (cancelling || isDone()) {
        return false;
      }
      reachedBoard = true;
      return true;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      synchronized (this) {
        if (reachedBoard) {
          return false;
        }
        cancelling = true;
      }
      // Outside the lock: completing runs the caller's callbacks.
      return super.cancel(mayInterruptIfRunning);
    }
  }

  private final class Task<T> implements Runnable {
    final String what;
    final int bank;
    final int relay;
    final String device;
    final Duration deadline;
    final Operation<T> operation;
    final Result<T> result = new Result<>();

    Task(String what, int bank, int relay, String device, Duration deadline,
        Operation<T> operation) {
      this.what = what;
      this.bank = bank;
      this.relay = relay;
      this.device = device;
      this.deadline = deadline;
      this.operation = operation;
    }

    @Override
    public void run() {
      if (result.isDone()) {
        LOG.debug("{}: {} dropped, called off while queued", where(), what);
        return;
      }
      try {
        waitForCoolDown();
        if (result.isDone()) {
          LOG.debug("{}: {} dropped, called off during the cool-down", where(), what);
          return;
        }
        long started = System.nanoTime();
        long deadlineNanos = started + deadline.toNanos();
        String outcome = "error";
        try (ProxrSession session = ProxrSession.open(host, port, deadlineNanos, deadline,
            settings.connectTimeout(), settings.ioTimeout(), s -> current = s,
            result::reachBoard, settings.localAddress(), settings.interlock())) {
          T value;
          try {
            value = operation.run(session);
          } catch (ProxrSession.TimedOut e) {
            outcome = "timeout";
            throw e;
          } catch (ProxrSession.InterlockOpen e) {
            outcome = "interlock";
            throw e;
          } catch (RelayFaultException e) {
            outcome = "relay_fault";
            throw e;
          } catch (InterruptedException e) {
            outcome = "aborted";
            throw e;
          } catch (CancellationException e) {
            outcome = null; // called off before anything was sent: not an operation
            throw e;
          }
          LOG.debug("{}: {} ok", where(), what);
          // measured before the caller hears of it, so that its meter is up to date by then
          outcome = null;
          settings.meters().relayOperation(board(), operationTag(), "ok",
              System.nanoTime() - started);
          result.complete(value);
        } catch (ProxrSession.TimedOut e) {
          outcome = "timeout"; // connecting
          throw e;
        } catch (java.net.ConnectException e) {
          outcome = "refused";
          throw e;
        } finally {
          if (outcome != null) {
            settings.meters().relayOperation(board(), operationTag(), outcome,
                System.nanoTime() - started);
          }
          current = null;
          used = true;
          lastClosedNanos = System.nanoTime();
        }
      } catch (CancellationException e) {
        LOG.debug("{}: {} dropped, called off after connecting; nothing sent", where(), what);
      } catch (IOException e) {
        fail(e.getMessage(), e);
      } catch (InterruptedException e) {
        fail("interrupted (power control closing)", e);
      } catch (RelayFaultException e) {
        // Keep the relay fault as the cause, now naming the device and where its relay is.
        fail(e.getMessage(), new RelayFaultException(device, where() + ": " + e.getMessage()));
      } catch (RuntimeException e) {
        fail(e.toString(), e);
      }
    }

    private void waitForCoolDown() throws InterruptedException {
      if (!used) {
        return;
      }
      long wait = lastClosedNanos + settings.coolDown().toNanos() - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
    }

    /** The operation as a tag value: power_cycle, power_on, power_off, status, two_way_test. */
    String operationTag() {
      return what.replace(' ', '_').replace('-', '_');
    }

    String where() {
      StringBuilder sb = new StringBuilder("relay board ").append(board());
      if (bank > 0) {
        sb.append(" bank ").append(bank).append(" relay ").append(relay);
      }
      if (device != null) {
        sb.append(" (device ").append(device).append(')');
      }
      return sb.toString();
    }

    void fail(String reason, Throwable cause) {
      String message = where() + ": " + what + " failed: " + reason;
      LOG.warn(message);
      result.completeExceptionally(new RelayBoardException(board(), bank, relay, message, cause));
    }
  }
}
