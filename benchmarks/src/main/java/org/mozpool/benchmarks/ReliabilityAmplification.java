package org.mozpool.benchmarks;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.mozpool.testkit.report.LabReport;
import org.mozpool.testkit.sim.LabSimulation;

/**
 * Benchmark 4: reliability amplification. The testkit's lab simulation (virtual time, the
 * realistic fault profile, the CI workload at 70 % utilisation, i.e. 30 % spare devices) runs
 * Mozpool and the naive pool on the same seed and workload, and this prints, for each: the share of
 * finished requests that reached {@code ready} within their wait budget, failures by reason, human
 * interventions (devices waiting for a human at the end), and quarantine precision and recall.
 *
 * <p>Definitions: a device is <em>defective</em> when the fault model gave it a persistent defect.
 * Quarantine precision = defective devices among those quarantined; quarantine recall = quarantined
 * devices among the defective. The same pair is printed for "taken out of service" (waiting for a
 * human at the end, quarantined or not), and detection recall (defective devices Mozpool noticed:
 * a failed state or a failed idle probe).
 *
 * <p>Arguments: {@code devices=800}, {@code days=7}, {@code seed=1}.
 */
public final class ReliabilityAmplification {
  private ReliabilityAmplification() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
    Report.header(ReliabilityAmplification.class, args);
    int devices = Report.intArg(args, "devices", 800);
    double days = Double.parseDouble(Report.arg(args, "days", "7"));
    long seed = Long.parseLong(Report.arg(args, "seed", "1"));
    LabSimulation sim = LabSimulation.builder().devices(devices)
        .duration(Duration.ofMinutes(Math.round(days * 24 * 60))).seed(seed).faults("realistic")
        .build();
    long t0 = System.nanoTime();
    ExecutorService two = Executors.newFixedThreadPool(2);
    Future<LabReport> mozpool = two.submit(sim::run);
    Future<LabReport> naive = two.submit(sim::runNaive);
    List<LabReport> reports = List.of(mozpool.get(), naive.get());
    two.shutdown();
    double wall = (System.nanoTime() - t0) / 1e9;
    for (LabReport r : reports) {
      print(r);
    }
    Report.note("wall-clock time for both runs side by side: " + Report.fmt(wall) + " s");
    System.out.println();
    System.out.print(LabReport.sideBySide(reports));
    System.exit(0);
  }

  static void print(LabReport r) {
    String p = "reliability." + (r.label().startsWith("naive") ? "naive" : "mozpool");
    int defective = r.defects().stream().mapToInt(LabReport.DefectOutcome::devices).sum();
    int detected = r.defects().stream().mapToInt(LabReport.DefectOutcome::detected).sum();
    Report.figure(p + ".requests", r.requests() + " (served " + r.served() + ", failed " + r.failed()
        + ", unfinished " + r.unfinished() + ")");
    Report.figure(p + ".served_percent", String.format(java.util.Locale.ROOT, "%.3f %%", r.servedPercent()));
    // A request for a broken build can be served by no device: failing it (failed_bad_image) is
    // the right answer. The share of the rest is the pool's own reliability.
    int badImage = r.failures().getOrDefault("failed_bad_image", 0);
    int servable = r.served() + r.failed() - badImage;
    Report.figure(p + ".served_percent_of_servable", String.format(java.util.Locale.ROOT,
        "%.3f %% (%d of %d finished requests that did not ask for a broken build)",
        servable == 0 ? 0 : 100.0 * r.served() / servable, r.served(), servable));
    Report.figure(p + ".failures", r.failures());
    Report.figure(p + ".time_to_ready", "p50 " + r.ttrP50() + ", p95 " + r.ttrP95() + ", p99 " + r.ttrP99());
    Report.figure(p + ".human_interventions", r.sentToHumans() + " devices waiting for a human at the end ("
        + r.trueToHumans() + " defective, " + r.falseToHumans() + " healthy)");
    Report.figure(p + ".defective_devices", defective + " (detected " + detected + ")");
    Report.figure(p + ".quarantined", r.quarantined() + " (" + r.trueQuarantines() + " defective, "
        + r.falseQuarantines() + " healthy)");
    Report.figure(p + ".quarantine_precision", pct(r.trueQuarantines(), r.quarantined()));
    Report.figure(p + ".quarantine_recall", pct(r.trueQuarantines(), defective));
    Report.figure(p + ".out_of_service_precision", pct(r.trueToHumans(), r.sentToHumans()));
    Report.figure(p + ".out_of_service_recall", pct(r.trueToHumans(), defective));
    Report.figure(p + ".detection_recall", pct(detected, defective));
  }

  static String pct(int part, int whole) {
    return whole == 0 ? "n/a (0 of 0)" : String.format(java.util.Locale.ROOT, "%.1f %% (%d of %d)",
        100.0 * part / whole, part, whole);
  }
}
