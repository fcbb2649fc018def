package org.mozpool.testkit.report;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.mozpool.DeviceStatistics;
import org.mozpool.testkit.faults.Fault;

/**
 * What one lab simulation run produced: requests served and failed by reason, time to ready,
 * faults injected against detected, devices recovered automatically against sent to humans, and
 * device-state occupancy over time, and the per-device statistics Lifeguard kept in the store
 * (totals, time per state family, the devices that failed most). Immutable; equal runs (same seed, workload and code) give equal
 * reports. Render with {@link #text()}, {@link #sideBySide(List)} or {@link HtmlReport}.
 *
 * @param label what ran ({@code Mozpool}, {@code naive pool})
 * @param devices how many devices the lab had
 * @param simulated how much virtual time passed
 * @param seed the seed of the run
 * @param faultProfile the fault profile's name
 * @param requests requests filed
 * @param served requests that reached {@code ready}
 * @param failures requests that ended without reaching {@code ready}, by reason
 * @param unfinished requests still waiting when the run ended
 * @param ttrP50 median time from request to ready
 * @param ttrP95 95th percentile time to ready
 * @param ttrP99 99th percentile time to ready
 * @param faultsInjected faults injected, by kind (persistent defects count devices)
 * @param defects how each kind of persistent defect was detected
 * @param devicesFailed devices that entered a failed state at least once
 * @param recoveredAutomatically of those, devices that came back to {@code ready} by themselves
 * @param sentToHumans devices waiting for a human at the end
 * @param trueToHumans of those, devices with a persistent defect
 * @param falseToHumans of those, healthy devices
 * @param quarantined devices quarantined at least once
 * @param trueQuarantines of those, devices with a persistent defect
 * @param falseQuarantines of those, healthy devices
 * @param failedStateEntries how many times each failed state was entered
 * @param occupancy device-state samples over time
 * @param deviceStatistics every device's statistics as the store kept them at the end of the run,
 *     by name (empty when they were not read)
 */
public record LabReport(
    String label, int devices, Duration simulated, long seed, String faultProfile,
    int requests, int served, Map<String, Integer> failures, int unfinished,
    Duration ttrP50, Duration ttrP95, Duration ttrP99,
    Map<Fault, Integer> faultsInjected, List<DefectOutcome> defects,
    int devicesFailed, int recoveredAutomatically,
    int sentToHumans, int trueToHumans, int falseToHumans,
    int quarantined, int trueQuarantines, int falseQuarantines,
    Map<String, Integer> failedStateEntries, List<Sample> occupancy,
    List<DeviceStatistics> deviceStatistics) {

  public LabReport {
    Objects.requireNonNull(label, "label");
    failures = Map.copyOf(failures);
    faultsInjected = Map.copyOf(faultsInjected);
    defects = List.copyOf(defects);
    failedStateEntries = Map.copyOf(failedStateEntries);
    occupancy = List.copyOf(occupancy);
    deviceStatistics = List.copyOf(deviceStatistics);
  }

  /** How many devices {@link #worstDevices} lists at most. */
  public static final int WORST_DEVICES = 5;

  /** The sum of one count over every device's statistics. */
  public long total(ToLongFunction<DeviceStatistics> count) {
    return deviceStatistics.stream().mapToLong(count).sum();
  }

  /**
   * The share of all device time spent in each state family (percent, in the order of {@link
   * DeviceStatistics#FAMILIES}; families nobody was in are left out).
   */
  public Map<String, Double> familyShares() {
    Map<String, Duration> sums = new LinkedHashMap<>();
    for (String f : DeviceStatistics.FAMILIES) {
      Duration sum = deviceStatistics.stream()
          .map(d -> d.timeInFamily().getOrDefault(f, Duration.ZERO))
          .reduce(Duration.ZERO, Duration::plus);
      if (!sum.isZero()) {
        sums.put(f, sum);
      }
    }
    double all = sums.values().stream().mapToDouble(Duration::toMillis).sum();
    Map<String, Double> shares = new LinkedHashMap<>();
    sums.forEach((f, d) -> shares.put(f, all == 0 ? 0 : 100.0 * d.toMillis() / all));
    return shares;
  }

  /**
   * The devices that failed most, most failures first (then most quarantines, then name), at most
   * {@link #WORST_DEVICES}; devices that never failed are left out.
   */
  public List<DeviceStatistics> worstDevices() {
    return deviceStatistics.stream().filter(d -> d.failures() + d.quarantines() > 0)
        .sorted(Comparator.comparingLong(DeviceStatistics::failures).reversed()
            .thenComparing(Comparator.comparingLong(DeviceStatistics::quarantines).reversed())
            .thenComparing(DeviceStatistics::device))
        .limit(WORST_DEVICES).toList();
  }

  /**
   * How one kind of persistent defect fared.
   *
   * @param defect the defect
   * @param devices devices carrying it
   * @param detected of those, devices Mozpool noticed: they entered a failed state or failed an
   *     idle health probe at least once
   * @param withHumans of those, devices waiting for a human at the end
   */
  public record DefectOutcome(Fault defect, int devices, int detected, int withHumans) {}

  /**
   * Device counts per occupancy category at one moment.
   *
   * @param at time since the start of the run
   * @param counts devices per category of {@link LabRecorder#CATEGORIES}
   */
  public record Sample(Duration at, Map<String, Integer> counts) {
    public Sample {
      counts = Map.copyOf(counts);
    }
  }

  /** Requests that failed, all reasons together. */
  public int failed() {
    return failures.values().stream().mapToInt(Integer::intValue).sum();
  }

  /** Served requests as a share of finished ones, in percent. */
  public double servedPercent() {
    int finished = served + failed();
    return finished == 0 ? 0 : 100.0 * served / finished;
  }

  /** The mean of occupancy category {@code category} over the run. */
  public double meanOccupancy(String category) {
    return occupancy.stream().mapToInt(s -> s.counts().getOrDefault(category, 0)).average()
        .orElse(0);
  }

  /** This report as text. */
  public String text() {
    return sideBySide(List.of(this));
  }

  /** Several reports of the same lab as text, one column each. */
  public static String sideBySide(List<LabReport> reports) {
    if (reports.isEmpty()) {
      throw new IllegalArgumentException("at least one report is required");
    }
    LabReport first = reports.get(0);
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "Lab simulation: %d pandas, %s simulated, seed %d,"
        + " fault profile %s%n%n", first.devices, human(first.simulated), first.seed,
        first.faultProfile));
    List<String[]> rows = new ArrayList<>();
    Function<Function<LabReport, String>, String[]> row = f -> reports.stream().map(f)
        .toArray(String[]::new);
    rows.add(concat("", row.apply(LabReport::label)));
    rows.add(concat("requests filed", row.apply(r -> Integer.toString(r.requests))));
    rows.add(concat("  served (reached ready)", row.apply(r -> String.format(Locale.ROOT,
        "%d (%.1f%%)", r.served, r.servedPercent()))));
    rows.add(concat("  failed", row.apply(r -> Integer.toString(r.failed()))));
    TreeSet<String> reasons = new TreeSet<>();
    reports.forEach(r -> reasons.addAll(r.failures.keySet()));
    for (String reason : reasons) {
      rows.add(concat("    " + reason,
          row.apply(r -> Integer.toString(r.failures.getOrDefault(reason, 0)))));
    }
    rows.add(concat("  still waiting at the end", row.apply(r -> Integer.toString(r.unfinished))));
    rows.add(concat("time to ready p50 / p95 / p99", row.apply(r -> human(r.ttrP50) + " / "
        + human(r.ttrP95) + " / " + human(r.ttrP99))));
    rows.add(new String[] {""});
    rows.add(concat("faults injected", row.apply(r -> Integer.toString(
        r.faultsInjected.values().stream().mapToInt(Integer::intValue).sum()))));
    TreeSet<Fault> kinds = new TreeSet<>();
    reports.forEach(r -> kinds.addAll(r.faultsInjected.keySet()));
    for (Fault f : kinds) {
      if (!f.persistent()) {
        rows.add(concat("  " + f.label(),
            row.apply(r -> Integer.toString(r.faultsInjected.getOrDefault(f, 0)))));
      }
    }
    rows.add(concat("defective boards: detected / with humans / carrying",
        row.apply(r -> "")));
    for (Fault f : Fault.values()) {
      if (f.persistent() && reports.stream().anyMatch(r -> r.defects.stream()
          .anyMatch(d -> d.defect() == f && d.devices() > 0))) {
        rows.add(concat("  " + f.label(), row.apply(r -> r.defects.stream()
            .filter(d -> d.defect() == f).findFirst()
            .map(d -> d.detected() + " / " + d.withHumans() + " / " + d.devices()).orElse("-"))));
      }
    }
    rows.add(new String[] {""});
    rows.add(concat("devices that failed at least once",
        row.apply(r -> Integer.toString(r.devicesFailed))));
    rows.add(concat("  recovered automatically",
        row.apply(r -> Integer.toString(r.recoveredAutomatically))));
    rows.add(concat("  with humans at the end (true / false)", row.apply(r ->
        r.sentToHumans + " (" + r.trueToHumans + " / " + r.falseToHumans + ")")));
    rows.add(concat("  quarantined (true / false)", row.apply(r ->
        r.quarantined + " (" + r.trueQuarantines + " / " + r.falseQuarantines + ")")));
    rows.add(new String[] {""});
    rows.add(concat("mean devices per state", row.apply(r -> "")));
    for (String c : LabRecorder.CATEGORIES) {
      rows.add(concat("  " + c, row.apply(r -> String.format(Locale.ROOT, "%.1f %s",
          r.meanOccupancy(c), sparkline(r, c, 24)))));
    }
    if (reports.stream().anyMatch(r -> !r.deviceStatistics.isEmpty())) {
      rows.add(new String[] {""});
      rows.add(concat("per-device statistics (summed)", row.apply(r -> "")));
      rows.add(concat("  installs completed",
          row.apply(r -> Long.toString(r.total(DeviceStatistics::imagings)))));
      rows.add(concat("  power cycles",
          row.apply(r -> Long.toString(r.total(DeviceStatistics::powerCycles)))));
      rows.add(concat("  failures (quarantines)", row.apply(r -> r.total(DeviceStatistics::failures)
          + " (" + r.total(DeviceStatistics::quarantines) + ")")));
      rows.add(concat("  self-tests passed / failed", row.apply(r ->
          r.total(DeviceStatistics::selfTestsPassed) + " / "
              + r.total(DeviceStatistics::selfTestsFailed))));
      rows.add(concat("  devices never seen healthy", row.apply(r -> Long.toString(
          r.deviceStatistics.stream().filter(d -> d.lastSeenHealthy().isEmpty()).count()))));
      rows.add(concat("  device time per state family", row.apply(r -> "")));
      for (String f : DeviceStatistics.FAMILIES) {
        if (reports.stream().anyMatch(r -> r.familyShares().containsKey(f))) {
          rows.add(concat("    " + f, row.apply(r -> String.format(Locale.ROOT, "%.1f%%",
              r.familyShares().getOrDefault(f, 0.0)))));
        }
      }
    }
    int labelWidth = rows.stream().mapToInt(r -> r[0].length()).max().orElse(0) + 2;
    int colWidth = rows.stream().filter(r -> r.length > 1)
        .flatMap(r -> java.util.Arrays.stream(r, 1, r.length)).mapToInt(String::length).max()
        .orElse(0) + 3;
    for (String[] r : rows) {
      StringBuilder line = new StringBuilder(pad(r[0], labelWidth));
      for (int i = 1; i < r.length; i++) {
        line.append(pad(r[i], colWidth));
      }
      out.append(line.toString().stripTrailing()).append('\n');
    }
    for (LabReport r : reports) {
      out.append(r.worstDevicesText());
    }
    return out.toString();
  }

  /** The {@link #worstDevices()} as a table, or nothing when no device failed. */
  String worstDevicesText() {
    List<DeviceStatistics> worst = worstDevices();
    if (worst.isEmpty()) {
      return "";
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"device", "failures", "self-tests failed", "quarantines", "MTBF",
        "ready", "by state"});
    for (DeviceStatistics d : worst) {
      Duration all = d.timeInFamily().values().stream().reduce(Duration.ZERO, Duration::plus);
      Duration ready = d.timeInFamily().getOrDefault(DeviceStatistics.READY, Duration.ZERO);
      List<String> byState = new ArrayList<>();
      d.failuresByState().entrySet().stream()
          .sorted(Map.Entry.<String, Long>comparingByValue().reversed()
              .thenComparing(Map.Entry.comparingByKey()))
          .forEach(e -> byState.add(e.getKey() + " " + e.getValue()));
      rows.add(new String[] {d.device(), Long.toString(d.failures()),
          Long.toString(d.selfTestsFailed()), Long.toString(d.quarantines()),
          d.meanTimeBetweenFailures().map(LabReport::human).orElse("-"),
          all.isZero() ? "-" : String.format(Locale.ROOT, "%.0f%%",
              100.0 * ready.toMillis() / all.toMillis()),
          byState.isEmpty() ? "-" : String.join(", ", byState)});
    }
    int[] widths = new int[rows.get(0).length];
    rows.forEach(r -> {
      for (int i = 0; i < r.length; i++) {
        widths[i] = Math.max(widths[i], r[i].length());
      }
    });
    StringBuilder out = new StringBuilder("\nDevices that failed most (" + label + ")\n");
    for (String[] r : rows) {
      StringBuilder line = new StringBuilder("  ");
      for (int i = 0; i < r.length; i++) {
        line.append(pad(r[i], widths[i] + 2));
      }
      out.append(line.toString().stripTrailing()).append('\n');
    }
    return out.toString();
  }

  private static String[] concat(String head, String[] tail) {
    String[] out = new String[tail.length + 1];
    out[0] = head;
    System.arraycopy(tail, 0, out, 1, tail.length);
    return out;
  }

  private static String pad(String s, int width) {
    return s.length() >= width ? s + " " : s + " ".repeat(width - s.length());
  }

  /** A text sparkline of {@code category} over the run, scaled to its own peak. */
  static String sparkline(LabReport r, String category, int width) {
    if (r.occupancy.isEmpty()) {
      return "";
    }
    String bars = "▁▂▃▄▅▆▇█";
    int n = r.occupancy.size();
    double[] means = new double[width];
    double peak = 0;
    for (int i = 0; i < width; i++) {
      int from = i * n / width;
      int to = Math.max(from + 1, (i + 1) * n / width);
      double sum = 0;
      int count = 0;
      for (int j = from; j < to && j < n; j++) {
        sum += r.occupancy.get(j).counts().getOrDefault(category, 0);
        count++;
      }
      means[i] = count == 0 ? 0 : sum / count;
      peak = Math.max(peak, means[i]);
    }
    StringBuilder s = new StringBuilder();
    for (double m : means) {
      int level = peak == 0 ? 0 : (int) Math.round(m / peak * (bars.length() - 1));
      s.append(bars.charAt(level));
    }
    return s.toString();
  }

  /** {@code 3m12s}, {@code 7d}, {@code 1h05m}… */
  public static String human(Duration d) {
    if (d == null) {
      return "-";
    }
    long s = d.getSeconds();
    if (s >= 86_400 && s % 86_400 == 0) {
      return (s / 86_400) + "d";
    }
    if (s >= 3600) {
      return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
    }
    if (s >= 60) {
      return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
    return s + "s";
  }
}
