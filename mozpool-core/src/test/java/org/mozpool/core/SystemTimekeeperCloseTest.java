package org.mozpool.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Closing a {@link SystemTimekeeper} ends its steps before it returns: whoever closes the store
 * next (a server, a test's temporary directory) must not be written to by a step that outlived
 * its pool.
 */
class SystemTimekeeperCloseTest {

  @Test
  void closeWaitsForAStepInFlightThatIgnoresInterruption() throws Exception {
    SystemTimekeeper timekeeper = new SystemTimekeeper();
    CountDownLatch running = new CountDownLatch(1);
    AtomicBoolean ended = new AtomicBoolean();
    timekeeper.workers().execute(() -> {
      running.countDown();
      long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
      while (System.nanoTime() < end) {
        Thread.onSpinWait(); // a step in the middle of a database write does not stop at once
      }
      ended.set(true);
    });
    assertThat(running.await(5, TimeUnit.SECONDS)).isTrue();

    timekeeper.close();

    assertThat(ended).as("the step ended before close returned").isTrue();
  }

  @Test
  void aStepThatClosesItsOwnTimekeeperDoesNotWaitForItself() throws Exception {
    SystemTimekeeper timekeeper = new SystemTimekeeper();
    CountDownLatch closed = new CountDownLatch(1);
    long[] took = new long[1];
    timekeeper.workers().execute(() -> {
      long start = System.nanoTime();
      timekeeper.close();
      took[0] = System.nanoTime() - start;
      closed.countDown();
    });

    assertThat(closed.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(Duration.ofNanos(took[0])).isLessThan(Duration.ofSeconds(5));
  }
}
