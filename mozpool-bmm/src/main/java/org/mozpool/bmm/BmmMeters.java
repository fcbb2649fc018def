package org.mozpool.bmm;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The hardware drivers' Micrometer meters (see {@code METRICS.md}): relay operations per board,
 * TFTP transfers and device callbacks. Every method is a no-op without a registry. Meters are
 * cached per tag set; every tag has a bounded set of values (a lab's relay boards, fixed outcome
 * and status words), never a device name.
 */
final class BmmMeters {
  static final BmmMeters NONE = new BmmMeters(null);

  private final MeterRegistry registry;
  private final Map<String, Timer> relayOperations = new ConcurrentHashMap<>();
  private final Map<String, Timer> tftpTransfers = new ConcurrentHashMap<>();
  private final Map<String, Counter> callbacks = new ConcurrentHashMap<>();

  private BmmMeters(MeterRegistry registry) {
    this.registry = registry;
  }

  static BmmMeters of(MeterRegistry registry) {
    return registry == null ? NONE : new BmmMeters(registry);
  }

  /**
   * One relay board operation ended: {@code board} is {@code host:port}, {@code operation} one of
   * power_cycle, power_on, power_off, status, two_way_test; {@code outcome} see {@link
   * RelayBoardQueue}.
   */
  void relayOperation(String board, String operation, String outcome, long nanos) {
    if (registry == null) {
      return;
    }
    relayOperations.computeIfAbsent(board + '\0' + operation + '\0' + outcome,
        k -> Timer.builder("mozpool.relay.operations")
            .description("Relay board operations, from the first connect to the last reply, by"
                + " board, operation and outcome (ok, relay_fault, timeout, refused, error,"
                + " aborted)")
            .tag("board", board).tag("operation", operation).tag("outcome", outcome)
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(1))
            .register(registry))
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  /** One TFTP read request ended with {@code outcome} after {@code nanos}. */
  void tftpTransfer(String outcome, long nanos) {
    if (registry == null) {
      return;
    }
    tftpTransfers.computeIfAbsent(outcome, o -> Timer.builder("mozpool.tftp.transfers")
            .description("TFTP read requests by outcome: sent, not_found, refused (access"
                + " violation), abandoned (the client stopped or was too slow), busy (too many"
                + " transfers), error")
            .tag("outcome", o)
            .register(registry))
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  /** One device callback of {@code kind} (event, boot_config) was answered {@code status}. */
  void callback(String kind, int status) {
    if (registry == null) {
      return;
    }
    callbacks.computeIfAbsent(kind + '\0' + status, k -> Counter.builder("mozpool.callbacks")
            .description("Device callbacks (events, boot config fetches) by HTTP status")
            .tag("kind", kind).tag("status", Integer.toString(status))
            .register(registry))
        .increment();
  }
}
