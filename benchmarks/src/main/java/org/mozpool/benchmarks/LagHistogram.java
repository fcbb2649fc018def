package org.mozpool.benchmarks;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Lags (non-negative durations) in fixed buckets, so that a million timeouts cost a few hundred
 * kilobytes and the heap figure stays the pool's: 10 µs resolution up to 100 ms, then 1 ms up to
 * 10 s. Negative lags (a timer that fired before its deadline) are counted apart. Thread safe.
 */
final class LagHistogram {
  private static final int FINE = 10_000; // 10 µs × 10,000 = 100 ms
  private static final int COARSE = 10_000; // 1 ms × 10,000 = 10 s, then one overflow bucket
  private final AtomicLongArray fine = new AtomicLongArray(FINE);
  private final AtomicLongArray coarse = new AtomicLongArray(COARSE + 1);
  private final java.util.concurrent.atomic.AtomicLong early = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong count = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong maxNanos = new java.util.concurrent.atomic.AtomicLong();

  void add(long nanos) {
    count.incrementAndGet();
    if (nanos < 0) {
      early.incrementAndGet();
      return;
    }
    maxNanos.accumulateAndGet(nanos, Math::max);
    long micros10 = nanos / 10_000;
    if (micros10 < FINE) {
      fine.incrementAndGet((int) micros10);
    } else {
      coarse.incrementAndGet((int) Math.min(COARSE, nanos / 1_000_000));
    }
  }

  long count() {
    return count.get();
  }

  long early() {
    return early.get();
  }

  /** Upper bound of the bucket holding the p-th percentile of the non-negative lags, in ns. */
  double percentile(double p) {
    long n = count.get() - early.get();
    if (n == 0) {
      return Double.NaN;
    }
    long rank = (long) Math.ceil(p / 100.0 * n);
    long seen = 0;
    for (int i = 0; i < FINE; i++) {
      seen += fine.get(i);
      if (seen >= rank) {
        return (i + 1) * 10_000.0;
      }
    }
    for (int i = 0; i <= COARSE; i++) {
      seen += coarse.get(i);
      if (seen >= rank) {
        return (i + 1) * 1_000_000.0;
      }
    }
    return maxNanos.get();
  }

  String summary() {
    return "p50 " + Report.ms(percentile(50)) + ", p99 " + Report.ms(percentile(99)) + ", p99.9 "
        + Report.ms(percentile(99.9)) + ", max " + Report.ms(maxNanos.get()) + " (n=" + count()
        + ", fired early: " + early() + ")";
  }
}
