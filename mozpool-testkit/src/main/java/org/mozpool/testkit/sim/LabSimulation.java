package org.mozpool.testkit.sim;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.mozpool.DeviceStates;
import org.mozpool.PoolPolicy;
import org.mozpool.lifeguard.LifeguardPolicy;
import org.mozpool.spi.PoolStore;
import org.mozpool.testkit.faults.Fault;
import org.mozpool.testkit.faults.FaultProfile;
import org.mozpool.testkit.report.LabRecorder;
import org.mozpool.testkit.report.LabReport;

/**
 * The lab simulation: a {@link VirtualLab} under a {@link CiWorkload} for a stretch of virtual
 * time, summed up in a {@link LabReport}. {@link #run()} runs Mozpool as configured;
 * {@link #runNaive()} runs a naive pool on the same seed, lab and workload; {@link #compare()} runs
 * both.
 *
 * <p>The naive pool is the same code with the safety nets taken away: Lifeguard never retries a
 * failed step (retry limits 0, except the {@code verifying} and {@code pc_pinging} polls that wait
 * for a board to boot), never quarantines, ignores temperature readings, gives an image one device before calling it bad, and
 * the client abandons a request as soon as its first device fails instead of letting the pool
 * substitute another.
 *
 * <pre>{@code
 * LabReport report = LabSimulation.builder().devices(200).duration(Duration.ofDays(1)).seed(7)
 *     .build().run();
 * System.out.println(report.text());
 * }</pre>
 */
public final class LabSimulation {

  /** Hears how far a run has got. */
  @FunctionalInterface
  public interface Progress {
    /** {@code run} has simulated {@code fraction} (0 to 1) of its duration. */
    void progress(String run, double fraction);
  }

  private final int devices;
  private final int chassisSize;
  private final Duration duration;
  private final long seed;
  private final FaultProfile faults;
  private final String faultProfileName;
  private final CiWorkload.Spec workload;
  private final Supplier<PoolStore> mozpoolStore;
  private final Supplier<PoolStore> naiveStore;
  private final Duration sampleEvery;
  private final Progress progress;

  private LabSimulation(Builder b) {
    this.devices = b.devices;
    this.chassisSize = b.chassisSize;
    this.duration = b.duration;
    this.seed = b.seed;
    this.faults = b.faults;
    this.faultProfileName = b.faultProfileName;
    this.workload = b.workload;
    this.mozpoolStore = b.mozpoolStore;
    this.naiveStore = b.naiveStore;
    this.sampleEvery = b.sampleEvery;
    this.progress = b.progress;
  }

  /** A simulation of 800 pandas for 7 days under the realistic profile, seed 1, in memory. */
  public static Builder builder() {
    return new Builder();
  }

  /** Runs Mozpool with its standard policies. */
  public LabReport run() {
    return run("Mozpool", LifeguardPolicy.defaults(), PoolPolicy.defaults(), workload,
        mozpoolStore);
  }

  /** Runs the naive pool (see the class description) on the same seed and workload. */
  public LabReport runNaive() {
    PoolPolicy d = PoolPolicy.defaults();
    PoolPolicy oneDevicePerImage = new PoolPolicy(d.contactTimeout(), d.contactTries(),
        d.pendingPoll(), d.pendingPolls(), d.queueRecheck(), 1, d.logRetention());
    return run("naive pool", naivePolicy(), oneDevicePerImage,
        workload.withGiveUpOnSubstitution(true), naiveStore);
  }

  /** Runs Mozpool, then the naive pool; the reports in that order. */
  public List<LabReport> compare() {
    return List.of(run(), runNaive());
  }

  /**
   * Lifeguard without retries (but still polling for boots), without quarantine and without a
   * temperature limit (only the live image's own self-test still fails a hot board).
   */
  public static LifeguardPolicy naivePolicy() {
    LifeguardPolicy p = LifeguardPolicy.defaults();
    for (String state : p.retryLimits().keySet()) {
      if (!state.equals(DeviceStates.VERIFYING) && !state.equals(DeviceStates.PC_PINGING)) {
        p = p.withRetryLimit(state, 0);
      }
    }
    return p.withPcPingingRounds(1).withQuarantine(Integer.MAX_VALUE, Duration.ofSeconds(1))
        .withoutTemperatureLimit();
  }

  private LabReport run(String label, LifeguardPolicy lifeguardPolicy, PoolPolicy poolPolicy,
      CiWorkload.Spec spec, Supplier<PoolStore> store) {
    VirtualLab.Builder lb = VirtualLab.builder().devices(devices).chassisSize(chassisSize)
        .seed(seed).faults(faults).lifeguardPolicy(lifeguardPolicy).policy(poolPolicy);
    if (store != null) {
      lb.store(store.get());
    }
    LabRecorder[] recorder = new LabRecorder[1];
    // The recorder needs the lab's clock, which exists once the lab does; a forwarding listener
    // lets it hear the registrations that happen while the lab is built.
    LabRecorder.Forwarder forward = new LabRecorder.Forwarder();
    lb.listener(forward);
    try (VirtualLab lab = lb.build()) {
      recorder[0] = new LabRecorder(lab.time().clock());
      forward.to(recorder[0]);
      CiWorkload load = new CiWorkload(lab, spec, seed * 31 + 17);
      Instant end = lab.time().now().plus(duration);
      load.start(end);
      recorder[0].sample();
      while (lab.time().now().isBefore(end)) {
        Instant next = lab.time().now().plus(sampleEvery);
        lab.time().advanceTo(next.isAfter(end) ? end : next);
        recorder[0].sample();
        if (progress != null) {
          progress.progress(label, (double) Duration.between(end.minus(duration),
              lab.time().now()).toMillis() / duration.toMillis());
        }
      }
      return report(label, lab, load, recorder[0]);
    }
  }

  private LabReport report(String label, VirtualLab lab, CiWorkload load, LabRecorder rec) {
    Set<String> defective = lab.faultLog().defectiveDevices();
    Set<String> failed = rec.everFailed();
    Set<String> noticed = rec.noticed();
    Set<String> humans = rec.withHumans();
    Set<String> quarantined = rec.everQuarantined();
    java.util.List<LabReport.DefectOutcome> outcomes = new java.util.ArrayList<>();
    for (Fault f : Fault.values()) {
      if (f.persistent()) {
        List<String> carriers = lab.devicesWith(f);
        outcomes.add(new LabReport.DefectOutcome(f, carriers.size(),
            (int) carriers.stream().filter(noticed::contains).count(),
            (int) carriers.stream().filter(humans::contains).count()));
      }
    }
    Map<Fault, Integer> injected = new TreeMap<>(lab.faultLog().counts());
    int trueHumans = (int) humans.stream().filter(defective::contains).count();
    int trueQuarantines = (int) quarantined.stream().filter(defective::contains).count();
    return new LabReport(label, devices, duration, seed, faultProfileName,
        load.filed(), load.served(), load.failures(), load.unfinished(),
        load.timeToReady(0.50), load.timeToReady(0.95), load.timeToReady(0.99),
        injected, outcomes, failed.size(), rec.recovered().size(),
        humans.size(), trueHumans, humans.size() - trueHumans,
        quarantined.size(), trueQuarantines, quarantined.size() - trueQuarantines,
        rec.failedStateEntries(), rec.samples(), lab.pool().inventory().statistics());
  }

  /**
   * Fluent configuration of a {@link LabSimulation}. Each setter checks its value at once and
   * throws naming the setting and the value. Not thread safe.
   */
  public static final class Builder {
    private int devices = 800;
    private int chassisSize = 16;
    private Duration duration = Duration.ofDays(7);
    private long seed = 1;
    private FaultProfile faults = FaultProfile.realistic();
    private String faultProfileName = "realistic";
    private CiWorkload.Spec workload;
    private Supplier<PoolStore> mozpoolStore;
    private Supplier<PoolStore> naiveStore;
    private Duration sampleEvery = Duration.ofMinutes(30);
    private Progress progress;

    private Builder() {}

    /**
     * How many pandas (default 800).
     *
     * @throws IllegalArgumentException if {@code devices} is less than 1
     */
    public Builder devices(int devices) {
      if (devices < 1) {
        throw new IllegalArgumentException("devices must be at least 1, got " + devices);
      }
      this.devices = devices;
      return this;
    }

    /**
     * Boards per chassis and relay board (default 16, at most 32).
     *
     * @throws IllegalArgumentException if {@code size} is not 1 to 32
     */
    public Builder chassisSize(int size) {
      if (size < 1 || size > 32) {
        throw new IllegalArgumentException("a chassis holds 1 to 32 boards, got " + size);
      }
      this.chassisSize = size;
      return this;
    }

    /**
     * How much virtual time to simulate (default 7 days).
     *
     * @throws IllegalArgumentException if {@code duration} is null, zero or negative
     */
    public Builder duration(Duration duration) {
      if (duration == null || duration.isNegative() || duration.isZero()) {
        throw new IllegalArgumentException("duration must be positive, got " + duration);
      }
      this.duration = duration;
      return this;
    }

    /** The seed of the lab, the faults and the workload (default 1; any value). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * A named fault profile: {@code none} or {@code realistic} (the default), shown by that name
     * in the report.
     *
     * @throws NullPointerException if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is neither {@code none} nor {@code
     *     realistic}
     */
    public Builder faults(String name) {
      return faults(name, FaultProfile.named(name));
    }

    /**
     * A fault profile, and the name the report shows for it (default {@link
     * FaultProfile#realistic()}, named {@code realistic}).
     *
     * @throws NullPointerException if either is null, naming which
     */
    public Builder faults(String name, FaultProfile profile) {
      this.faultProfileName = Objects.requireNonNull(name, "name");
      this.faults = Objects.requireNonNull(profile, "profile");
      return this;
    }

    /**
     * The workload (default {@link CiWorkload.Spec#ciDefaults()} with the fault profile's share
     * of {@linkplain FaultProfile#badImages() bad images}).
     *
     * @throws NullPointerException if {@code spec} is null
     */
    public Builder workload(CiWorkload.Spec spec) {
      this.workload = Objects.requireNonNull(spec, "spec");
      return this;
    }

    /**
     * Where each run keeps its state (default in memory): {@code mozpool} for {@link #run()},
     * {@code naive} for {@link #runNaive()}. Each supplier is called once per run; the run closes
     * what it gets.
     *
     * @throws NullPointerException if either is null, naming which
     */
    public Builder stores(Supplier<PoolStore> mozpool, Supplier<PoolStore> naive) {
      this.mozpoolStore = Objects.requireNonNull(mozpool, "mozpool");
      this.naiveStore = Objects.requireNonNull(naive, "naive");
      return this;
    }

    /**
     * How often device-state occupancy is sampled (default 30 minutes).
     *
     * @throws IllegalArgumentException if {@code every} is null, zero or negative
     */
    public Builder sampleEvery(Duration every) {
      if (every == null || every.isNegative() || every.isZero()) {
        throw new IllegalArgumentException("sample interval must be positive, got " + every);
      }
      this.sampleEvery = every;
      return this;
    }

    /** Who hears about progress (default nobody; {@code null} returns to it). */
    public Builder progress(Progress progress) {
      this.progress = progress;
      return this;
    }

    /** Makes the simulation; nothing runs until {@link LabSimulation#run()} or the like. */
    public LabSimulation build() {
      if (workload == null) {
        workload = CiWorkload.Spec.ciDefaults().withBadImages(faults.badImages());
      }
      return new LabSimulation(this);
    }
  }
}
