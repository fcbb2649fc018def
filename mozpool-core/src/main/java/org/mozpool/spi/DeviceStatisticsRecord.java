package org.mozpool.spi;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A device's statistics as stored: running counts, the time in each state family of the
 * intervals already closed, and the family the device is in now with the moment it entered it
 * (the open interval, which readers add up to their own clock). Written by Lifeguard in the
 * transaction of the step that changes it; see {@link org.mozpool.DeviceStatistics} for what each
 * number means. A store persists it as it is and hands back an equal record.
 *
 * @param device the device's name
 * @param since when counting began
 * @param family the state family entered at {@code familySince}
 * @param familySince when the device entered {@code family}
 * @param imaged completed installs by image
 * @param powerCycles completed power cycles
 * @param failures failures by state (quarantine verdicts excluded)
 * @param selfTestsPassed passed self-tests
 * @param selfTestsFailed failed self-tests
 * @param quarantines quarantines
 * @param lastHealthy when the device last proved healthy, or {@code null}
 * @param familyTime time per family in closed intervals since {@code since}
 * @param dailyFamilyTime time per family in closed intervals, per UTC day, for the recent days
 *     only (Lifeguard keeps eight)
 */
public record DeviceStatisticsRecord(
    String device, Instant since, String family, Instant familySince, Map<String, Long> imaged,
    long powerCycles, Map<String, Long> failures, long selfTestsPassed, long selfTestsFailed,
    long quarantines, Instant lastHealthy, Map<String, Duration> familyTime,
    Map<LocalDate, Map<String, Duration>> dailyFamilyTime) {

  public DeviceStatisticsRecord {
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(since, "since");
    Objects.requireNonNull(family, "family");
    Objects.requireNonNull(familySince, "familySince");
    imaged = Map.copyOf(imaged);
    failures = Map.copyOf(failures);
    familyTime = Map.copyOf(familyTime);
    Map<LocalDate, Map<String, Duration>> days = new TreeMap<>();
    dailyFamilyTime.forEach((day, times) -> days.put(day, Map.copyOf(times)));
    dailyFamilyTime = Map.copyOf(days);
  }

  /** Statistics that begin at {@code at}, with the device in {@code family}. */
  public static DeviceStatisticsRecord starting(String device, Instant at, String family) {
    return new DeviceStatisticsRecord(device, at, family, at, Map.of(), 0, Map.of(), 0, 0, 0,
        null, Map.of(), Map.of());
  }
}
