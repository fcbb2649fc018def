package org.mozpool.benchmarks;

import java.time.Duration;
import org.mozpool.testkit.report.LabReport;
import org.mozpool.testkit.sim.LabSimulation;

/**
 * Benchmark 5: simulation speed. One Mozpool run of the testkit's lab simulation in virtual mode
 * (realistic faults, CI workload, in-memory store), timed on the wall clock: device-days simulated
 * per wall-clock second. Goal: 800 devices × 7 days in at most 30 s.
 *
 * <p>Arguments: {@code devices=800}, {@code days=7}, {@code seed=1}, {@code runs=1} (the best and
 * every run are printed; the first includes JIT warm-up).
 */
public final class SimulationSpeed {
  private SimulationSpeed() {}

  public static void main(String[] args) {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
    Report.header(SimulationSpeed.class, args);
    int devices = Report.intArg(args, "devices", 800);
    double days = Double.parseDouble(Report.arg(args, "days", "7"));
    long seed = Long.parseLong(Report.arg(args, "seed", "1"));
    int runs = Report.intArg(args, "runs", 1);
    double best = Double.MAX_VALUE;
    for (int i = 1; i <= runs; i++) {
      LabSimulation sim = LabSimulation.builder().devices(devices)
          .duration(Duration.ofMinutes(Math.round(days * 24 * 60))).seed(seed)
          .faults("realistic").build();
      long t0 = System.nanoTime();
      LabReport r = sim.run();
      double wall = (System.nanoTime() - t0) / 1e9;
      best = Math.min(best, wall);
      Report.note("run " + i + ": " + Report.fmt(wall) + " s wall, " + r.requests()
          + " requests, served " + String.format(java.util.Locale.ROOT, "%.3f %%", r.servedPercent()));
    }
    Report.figure("simulation.devices_x_days", devices + " x " + days);
    Report.figure("simulation.wall_seconds", Report.fmt(best));
    Report.figure("simulation.device_days_per_second", Report.fmt(devices * days / best));
    System.exit(0);
  }
}
