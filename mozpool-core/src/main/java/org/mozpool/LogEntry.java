package org.mozpool;

import java.time.Instant;
import java.util.Objects;

/**
 * One line of a device's or request's log.
 *
 * @param timestamp when it happened (UTC)
 * @param source who or what caused it: {@code lifeguard}, {@code pool}, {@code bmm},
 *     {@code device}, {@code sut}, {@code api}
 * @param message what happened
 */
public record LogEntry(Instant timestamp, String source, String message) {
  public LogEntry {
    Objects.requireNonNull(timestamp, "timestamp");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(message, "message");
  }

  @Override
  public String toString() {
    return timestamp + " [" + source + "] " + message;
  }
}
