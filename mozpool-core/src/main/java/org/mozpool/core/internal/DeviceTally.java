package org.mozpool.core.internal;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.mozpool.DeviceStatistics;
import org.mozpool.DeviceStates;
import org.mozpool.Image;
import org.mozpool.spi.DeviceStatisticsRecord;
import org.mozpool.spi.StoreTransaction;

/**
 * A device's statistics while one step changes them: read from the store once, counted into, and
 * written back once when the step commits (only if something changed). Also the arithmetic that
 * turns a stored record into a {@link DeviceStatistics} snapshot, and the state families.
 *
 * <p>Time in a family is accounted when the device leaves it (the interval is closed, added to the
 * family's total and split over the UTC days it spans); the open interval is added by readers. Per
 * day figures are kept for {@value #DAYS_KEPT} days, enough for a seven-day window that starts at
 * midnight six days ago.
 *
 * <p>Not thread safe: one per step. Unsupported: public only for Mozpool's own modules.
 */
public final class DeviceTally {
  static final int DAYS_KEPT = 8;
  /** The window of {@link DeviceStatistics#timeInFamilyLast7Days()}: today and six days before. */
  static final int WINDOW_DAYS = 7;

  private final String device;
  private final Instant since;
  private String family;
  private Instant familySince;
  private final Map<String, Long> imaged;
  private long powerCycles;
  private final Map<String, Long> failures;
  private long selfTestsPassed;
  private long selfTestsFailed;
  private long quarantines;
  private Instant lastHealthy;
  private final Map<String, Duration> familyTime;
  private final TreeMap<LocalDate, Map<String, Duration>> daily = new TreeMap<>();
  private boolean changed;

  private DeviceTally(DeviceStatisticsRecord r, boolean fresh) {
    device = r.device();
    since = r.since();
    family = r.family();
    familySince = r.familySince();
    imaged = new TreeMap<>(r.imaged());
    powerCycles = r.powerCycles();
    failures = new TreeMap<>(r.failures());
    selfTestsPassed = r.selfTestsPassed();
    selfTestsFailed = r.selfTestsFailed();
    quarantines = r.quarantines();
    lastHealthy = r.lastHealthy();
    familyTime = new HashMap<>(r.familyTime());
    r.dailyFamilyTime().forEach((day, times) -> daily.put(day, new HashMap<>(times)));
    changed = fresh;
  }

  /**
   * The device's stored statistics, or (a device registered before statistics existed, or a store
   * that keeps none) statistics that begin at {@code now} in {@code familyNow}.
   */
  public static DeviceTally read(StoreTransaction tx, String device, Instant now,
      String familyNow) {
    Optional<DeviceStatisticsRecord> stored = tx.deviceStatistics(device);
    return stored.map(r -> new DeviceTally(r, false)).orElseGet(() -> new DeviceTally(
        DeviceStatisticsRecord.starting(device, now, familyNow), true));
  }

  /**
   * The state family of a device in {@code state} that is installing {@code nextImage} (empty if
   * none), {@code selfTesting} or not; one of {@link DeviceStatistics#FAMILIES}.
   */
  public static String familyOf(String state, String nextImage, boolean selfTesting) {
    if (DeviceStates.FAILED_QUARANTINED.equals(state)) {
      return DeviceStatistics.QUARANTINED;
    }
    if (DeviceStates.isFailed(state)) {
      return DeviceStatistics.FAILED;
    }
    return switch (state) {
      case DeviceStates.READY, DeviceStates.OPERATION_COMPLETE -> DeviceStatistics.READY;
      case DeviceStates.RETIRED -> DeviceStatistics.RETIRED;
      case DeviceStates.NEW, DeviceStates.UNKNOWN -> DeviceStatistics.OTHER;
      case DeviceStates.MAINTENANCE_MODE, DeviceStates.TROUBLESHOOTING, DeviceStates.LOCKED_OUT,
          DeviceStates.START_MAINTENANCE -> DeviceStatistics.MAINTENANCE;
      case DeviceStates.START_SELF_TEST, DeviceStates.SELF_TEST_RUNNING ->
          DeviceStatistics.SELF_TEST;
      case DeviceStates.PC_POWER_CYCLING, DeviceStates.PC_REBOOTING, DeviceStates.PC_PINGING ->
          selfTesting ? DeviceStatistics.SELF_TEST : DeviceStatistics.POWER_CYCLING;
      default -> {
        // the PXE workflow: what it boots tells what it is for
        if (Image.MAINTENANCE.equals(nextImage)) {
          yield DeviceStatistics.MAINTENANCE;
        }
        yield selfTesting || Image.SELF_TEST.equals(nextImage) ? DeviceStatistics.SELF_TEST
            : DeviceStatistics.IMAGING;
      }
    };
  }

  /** The family the device is in, as far as this tally knows. */
  public String family() {
    return family;
  }

  /** Whether anything changed since it was read (a new tally counts as changed). */
  public boolean changed() {
    return changed;
  }

  /** A power cycle completed. */
  public void powerCycled() {
    powerCycles++;
    changed = true;
  }

  /** An install of {@code image} completed. */
  public void imaged(String image) {
    imaged.merge(image, 1L, Long::sum);
    changed = true;
  }

  /** A failure was recorded in {@code state}; a {@code failed_quarantined} one is a quarantine. */
  public void failed(String state) {
    if (DeviceStates.FAILED_QUARANTINED.equals(state)) {
      quarantines++;
    } else {
      failures.merge(state, 1L, Long::sum);
    }
    changed = true;
  }

  /** A self-test passed. */
  public void selfTestPassed() {
    selfTestsPassed++;
    changed = true;
  }

  /** A self-test ended in a failed state. */
  public void selfTestFailed() {
    selfTestsFailed++;
    changed = true;
  }

  /** The device proved healthy at {@code at}. */
  public void seenHealthy(Instant at) {
    if (lastHealthy == null || at.isAfter(lastHealthy)) {
      lastHealthy = at;
      changed = true;
    }
  }

  /**
   * The device is in {@code next} from {@code at} on: if that is another family, the time in the
   * one it leaves is accounted.
   */
  public void enterFamily(String next, Instant at) {
    if (next.equals(family)) {
      return;
    }
    accountInterval(familyTime, daily, family, familySince, at);
    LocalDate oldest = day(at).minusDays(DAYS_KEPT - 1);
    daily.headMap(oldest).clear();
    family = next;
    familySince = at;
    changed = true;
  }

  /** The statistics to store. */
  public DeviceStatisticsRecord record() {
    return new DeviceStatisticsRecord(device, since, family, familySince, imaged, powerCycles,
        failures, selfTestsPassed, selfTestsFailed, quarantines, lastHealthy, familyTime, daily);
  }

  /** Writes the statistics if they changed. */
  public void writeTo(StoreTransaction tx) {
    if (changed) {
      tx.putDeviceStatistics(record());
      changed = false;
    }
  }

  /** A snapshot of {@code r} as of {@code now}: the open interval is added up to {@code now}. */
  public static DeviceStatistics view(DeviceStatisticsRecord r, Instant now) {
    Map<String, Duration> totals = new HashMap<>(r.familyTime());
    TreeMap<LocalDate, Map<String, Duration>> days = new TreeMap<>();
    r.dailyFamilyTime().forEach((day, times) -> days.put(day, new HashMap<>(times)));
    accountInterval(totals, days, r.family(), r.familySince(), now);
    Map<String, Duration> window = new HashMap<>();
    days.tailMap(day(now).minusDays(WINDOW_DAYS - 1), true).headMap(day(now), true)
        .values().forEach(times -> times.forEach((f, d) -> window.merge(f, d, Duration::plus)));
    totals.values().removeIf(Duration::isZero);
    window.values().removeIf(Duration::isZero);
    return new DeviceStatistics(r.device(), r.since(), now, r.family(), r.familySince(),
        r.imaged(),
        r.powerCycles(), r.failures(), r.selfTestsPassed(), r.selfTestsFailed(), r.quarantines(),
        totals, window, Optional.ofNullable(r.lastHealthy()));
  }

  /**
   * Adds the interval [{@code from}, {@code to}) in {@code family} to {@code totals} and, split at
   * UTC midnights, to the kept days of {@code days}. A clock that went back adds nothing.
   */
  private static void accountInterval(Map<String, Duration> totals,
      TreeMap<LocalDate, Map<String, Duration>> days, String family, Instant from, Instant to) {
    if (!to.isAfter(from)) {
      return;
    }
    totals.merge(family, Duration.between(from, to), Duration::plus);
    LocalDate first = day(to).minusDays(DAYS_KEPT - 1);
    Instant start = from.isBefore(startOf(first)) ? startOf(first) : from;
    for (LocalDate d = day(start); start.isBefore(to); d = d.plusDays(1)) {
      Instant end = startOf(d.plusDays(1));
      if (end.isAfter(to)) {
        end = to;
      }
      days.computeIfAbsent(d, k -> new HashMap<>())
          .merge(family, Duration.between(start, end), Duration::plus);
      start = end;
    }
  }

  private static LocalDate day(Instant at) {
    return LocalDate.ofInstant(at, ZoneOffset.UTC);
  }

  private static Instant startOf(LocalDate day) {
    return day.atStartOfDay(ZoneOffset.UTC).toInstant();
  }
}
