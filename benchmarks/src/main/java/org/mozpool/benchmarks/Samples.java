package org.mozpool.benchmarks;

import java.util.Arrays;

/** A growable array of latency samples (nanoseconds) with exact percentiles. Thread safe. */
final class Samples {
  private long[] values = new long[1024];
  private int size;

  synchronized void add(long nanos) {
    if (size == values.length) {
      values = Arrays.copyOf(values, size * 2);
    }
    values[size++] = nanos;
  }

  synchronized int count() {
    return size;
  }

  /** The {@code p}-th percentile (0–100), nearest rank; NaN when empty. */
  synchronized double percentile(double p) {
    if (size == 0) {
      return Double.NaN;
    }
    long[] sorted = Arrays.copyOf(values, size);
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * size);
    return sorted[Math.min(size - 1, Math.max(0, rank - 1))];
  }

  synchronized double max() {
    long m = Long.MIN_VALUE;
    for (int i = 0; i < size; i++) {
      m = Math.max(m, values[i]);
    }
    return size == 0 ? Double.NaN : m;
  }

  /** {@code p50 / p99 / max (n)} in milliseconds. */
  String summary() {
    return "p50 " + Report.ms(percentile(50)) + ", p99 " + Report.ms(percentile(99)) + ", max "
        + Report.ms(max()) + " (n=" + count() + ")";
  }
}
