package org.mozpool.bmm;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Makes named daemon threads and remembers them, so that {@code close()} methods can wait until
 * every thread they started has really ended (an executor reports termination a moment before its
 * last thread dies).
 */
final class DaemonThreads implements ThreadFactory {
  private final String prefix;
  private final boolean numbered;
  private final AtomicInteger ids = new AtomicInteger();
  private final Set<Thread> threads = ConcurrentHashMap.newKeySet();

  /** Threads named {@code prefix-1}, {@code prefix-2}… */
  static DaemonThreads numbered(String prefix) {
    return new DaemonThreads(prefix, true);
  }

  /** Threads all named {@code name}. */
  static DaemonThreads named(String name) {
    return new DaemonThreads(name, false);
  }

  private DaemonThreads(String prefix, boolean numbered) {
    this.prefix = prefix;
    this.numbered = numbered;
  }

  @Override
  public Thread newThread(Runnable r) {
    threads.removeIf(t -> !t.isAlive() && t.getState() == Thread.State.TERMINATED);
    Thread t = new Thread(r, numbered ? prefix + "-" + ids.incrementAndGet() : prefix);
    t.setDaemon(true);
    threads.add(t);
    return t;
  }

  /**
   * Waits for every thread made here to end.
   *
   * @return false if some thread was still alive after {@code timeout}
   */
  boolean joinAll(Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    for (Thread t : threads) {
      long left = (end - System.nanoTime()) / 1_000_000;
      if (left > 0) {
        t.join(left);
      }
    }
    return threads.stream().noneMatch(Thread::isAlive);
  }
}
