package org.mozpool;

import java.time.Duration;
import java.util.Objects;

/** Range checks of the durations the API accepts, with messages that name the field. */
final class Durations {
  private Durations() {}

  /**
   * Returns {@code d} if it is at least {@code min} and at most {@code max}.
   *
   * @throws NullPointerException if {@code d} is null
   * @throws IllegalArgumentException otherwise, naming {@code what} and both bounds
   */
  static Duration requireBetween(Duration d, String what, Duration min, Duration max) {
    Objects.requireNonNull(d, () -> what + " must not be null");
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      throw new IllegalArgumentException(what + " must be between " + describe(min) + " and "
          + describe(max) + ", got " + d);
    }
    return d;
  }

  /**
   * Returns {@code d} if it is positive and at most {@code max}.
   *
   * @throws NullPointerException if {@code d} is null
   * @throws IllegalArgumentException otherwise, naming {@code what} and the bound
   */
  static Duration requirePositiveAtMost(Duration d, String what, Duration max) {
    Objects.requireNonNull(d, () -> what + " must not be null");
    if (d.isNegative() || d.isZero() || d.compareTo(max) > 0) {
      throw new IllegalArgumentException(what + " must be positive and at most " + describe(max)
          + ", got " + d);
    }
    return d;
  }

  /** {@code PT87600H (3650 days)}: ISO-8601 as {@link Duration#toString()} writes it, plus days. */
  static String describe(Duration d) {
    long days = d.toDays();
    return days > 0 && d.equals(Duration.ofDays(days)) ? d + " (" + days + " days)" : d.toString();
  }
}
