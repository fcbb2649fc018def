package org.mozpool;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a device has been through since Mozpool started counting for it (its registration, or,
 * for a device registered by a release without statistics, its first state change after the
 * upgrade): times imaged by image, power cycles, failures by state, self-tests passed and failed,
 * quarantines, time spent in each state family and when it was last seen healthy. Lifeguard keeps
 * them in the store, in the same transaction as the state change that causes them, so they
 * survive restarts and agree with the device's state and failure history.
 *
 * <p>What each number counts:
 *
 * <ul>
 *   <li>{@code timesImaged}: installs that completed ({@code operation_complete} with the new
 *       image), by image; self-tests and maintenance boots are not installs.
 *   <li>{@code powerCycles}: power cycles that Lifeguard completed, whatever the workflow asked
 *       for them ({@code please_power_cycle}, an install, a self-test, an agent that would not
 *       answer); one that failed or timed out is not counted (a relay fault is a failure).
 *   <li>{@code failuresByState}: every entry in the device's failure history (the failed state it
 *       entered, or the state a relay fault, an unanswered idle probe or a bad-device return
 *       happened in), except the {@code failed_quarantined} verdicts, which are {@code
 *       quarantines}.
 *   <li>{@code selfTestsPassed} / {@code selfTestsFailed}: self-tests (automatic or requested) that
 *       ended passed, or ended in a failed state other than quarantine. A passed self-test of a
 *       problem child counts as passed and its quarantine as a quarantine.
 *   <li>{@code timeInFamily}: time in each {@linkplain #FAMILIES state family} since {@code
 *       since}, including the time in the current family up to {@code asOf};
 *       {@code timeInFamilyLast7Days} the same within the current UTC day and the six before it.
 *       Families with no time are absent.
 *   <li>{@code lastSeenHealthy}: the last passed self-test, completed workflow ({@code
 *       operation_complete}) or answered idle health probe.
 * </ul>
 *
 * <p>Immutable; a snapshot as of {@code asOf}: read again for fresh numbers.
 *
 * @param device the device's name
 * @param since when counting began
 * @param asOf the moment the snapshot was taken (the pool's clock)
 * @param family the device's state family at {@code asOf} (one of {@link #FAMILIES})
 * @param familySince when the device entered {@code family} (moves within one family, such as
 *     from one failed state to another, do not change it)
 * @param timesImaged completed installs by image name
 * @param powerCycles completed power cycles
 * @param failuresByState failures by the state they were recorded in
 * @param selfTestsPassed self-tests that passed
 * @param selfTestsFailed self-tests that ended in a failed state
 * @param quarantines times the device was quarantined as a problem child
 * @param timeInFamily time per state family since {@code since}
 * @param timeInFamilyLast7Days time per state family in the current UTC day and the six before
 * @param lastSeenHealthy when the device last proved healthy, if ever since {@code since}
 */
public record DeviceStatistics(
    String device, Instant since, Instant asOf, String family, Instant familySince,
    Map<String, Long> timesImaged,
    long powerCycles, Map<String, Long> failuresByState, long selfTestsPassed,
    long selfTestsFailed, long quarantines, Map<String, Duration> timeInFamily,
    Map<String, Duration> timeInFamilyLast7Days, Optional<Instant> lastSeenHealthy) {

  /** {@code ready} and {@code operation_complete}: available (or in use by its holder). */
  public static final String READY = "ready";
  /** The install workflow of an image other than self-test or maintenance. */
  public static final String IMAGING = "imaging";
  /** A self-test, through the self-test image or a power cycle. */
  public static final String SELF_TEST = "self-test";
  /** The {@code please_power_cycle} workflow ({@code pc_*} states outside a self-test). */
  public static final String POWER_CYCLING = "power-cycling";
  /** Maintenance, troubleshooting, locked out, or booting the maintenance image. */
  public static final String MAINTENANCE = "maintenance";
  /** A {@code failed_*} state other than {@code failed_quarantined}. */
  public static final String FAILED = "failed";
  /** {@code failed_quarantined}. */
  public static final String QUARANTINED = "quarantined";
  /** {@code retired}. */
  public static final String RETIRED = "retired";
  /** {@code new} (waiting for the first self-test) and {@code unknown}. */
  public static final String OTHER = "other";
  /** Every state family, in the order a report lists them. */
  public static final List<String> FAMILIES = List.of(READY, IMAGING, SELF_TEST, POWER_CYCLING,
      MAINTENANCE, FAILED, QUARANTINED, RETIRED, OTHER);
  /**
   * The families in which a device is in service, for {@link #meanTimeBetweenFailures()}: ready,
   * imaging, self-test and power-cycling.
   */
  public static final List<String> IN_SERVICE = List.of(READY, IMAGING, SELF_TEST, POWER_CYCLING);

  public DeviceStatistics {
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(since, "since");
    Objects.requireNonNull(asOf, "asOf");
    Objects.requireNonNull(family, "family");
    Objects.requireNonNull(familySince, "familySince");
    timesImaged = Map.copyOf(timesImaged);
    failuresByState = Map.copyOf(failuresByState);
    timeInFamily = Map.copyOf(timeInFamily);
    timeInFamilyLast7Days = Map.copyOf(timeInFamilyLast7Days);
    Objects.requireNonNull(lastSeenHealthy, "lastSeenHealthy");
  }

  /** All completed installs, whatever the image. */
  public long imagings() {
    return timesImaged.values().stream().mapToLong(Long::longValue).sum();
  }

  /** All failures (quarantine verdicts excluded). */
  public long failures() {
    return failuresByState.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Time in service: the sum of {@link #timeInFamily} over the {@link #IN_SERVICE} families. */
  public Duration timeInService() {
    return IN_SERVICE.stream().map(f -> timeInFamily.getOrDefault(f, Duration.ZERO))
        .reduce(Duration.ZERO, Duration::plus);
  }

  /**
   * Mean time between failures: {@linkplain #timeInService() time in service} divided by {@link
   * #failures()}; empty while the device has not failed.
   */
  public Optional<Duration> meanTimeBetweenFailures() {
    long failures = failures();
    return failures == 0 ? Optional.empty()
        : Optional.of(timeInService().dividedBy(failures));
  }
}
