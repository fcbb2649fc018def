package org.mozpool.testkit.sim;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;
import org.mozpool.DeviceStates;
import org.mozpool.DeviceView;
import org.mozpool.Lease;
import org.mozpool.LeaseException;
import org.mozpool.MozpoolException;
import org.mozpool.Pool;
import org.mozpool.PoolListener;
import org.mozpool.RequestSpec;
import org.mozpool.RequestStates;
import org.mozpool.core.VirtualTimekeeper;

/**
 * A CI-like client population for a {@link VirtualLab}: requests arrive at random (Poisson) at a
 * rate sized for a target utilisation; each holds its device for a job of random length under a
 * 30-minute lease that it renews as needed, then returns it. Most ask for any panda with
 * {@code b2g} (a few builds, so reusable images are often already in place) or {@code android};
 * some name a device; a share of {@code b2g} requests name a broken build.
 *
 * <p>It keeps the request metrics of the report: requests filed, served, failed by reason, and
 * time to ready. Drive it from the lab's thread; it is not thread safe otherwise.
 */
public final class CiWorkload implements PoolListener {

  /**
   * The workload's shape.
   *
   * @param utilisation target share of devices in use, in {@code (0, 1]}
   * @param lease lease duration, renewed while the job runs
   * @param meanJob mean time a job holds its device once ready
   * @param androidShare share of requests for {@code android} (the rest want {@code b2g})
   * @param namedShare share of requests naming a currently free device
   * @param b2gBuilds how many distinct {@code b2g} builds are in use
   * @param badImages share of {@code b2g} requests that name a broken build
   * @param waitBudget how long a request waits for a device
   * @param giveUpOnSubstitution the naive client: a request whose first device fails is closed
   *     and counted as failed instead of being served by another device
   */
  public record Spec(double utilisation, Duration lease, Duration meanJob, double androidShare,
      double namedShare, int b2gBuilds, double badImages, Duration waitBudget,
      boolean giveUpOnSubstitution) {
    public Spec {
      if (!(utilisation > 0 && utilisation <= 1)) {
        throw new IllegalArgumentException("utilisation must be in (0, 1], got " + utilisation);
      }
      if (androidShare < 0 || namedShare < 0 || androidShare + namedShare > 1) {
        throw new IllegalArgumentException("androidShare and namedShare must be >= 0 and add up"
            + " to at most 1, got " + androidShare + " and " + namedShare);
      }
      if (b2gBuilds < 1) {
        throw new IllegalArgumentException("b2gBuilds must be at least 1, got " + b2gBuilds);
      }
      Objects.requireNonNull(lease, "lease");
      Objects.requireNonNull(meanJob, "meanJob");
      Objects.requireNonNull(waitBudget, "waitBudget");
    }

    /** 70 % utilisation, 30-minute leases, 45-minute jobs, 25 % android, 10 % named, 4 builds. */
    public static Spec ciDefaults() {
      return new Spec(0.7, Duration.ofMinutes(30), Duration.ofMinutes(45), 0.25, 0.10, 4, 0.0,
          Duration.ofMinutes(10), false);
    }

    /** A copy with another bad-image share. */
    public Spec withBadImages(double share) {
      return new Spec(utilisation, lease, meanJob, androidShare, namedShare, b2gBuilds, share,
          waitBudget, giveUpOnSubstitution);
    }

    /** A copy with the naive client's behaviour on or off. */
    public Spec withGiveUpOnSubstitution(boolean naive) {
      return new Spec(utilisation, lease, meanJob, androidShare, namedShare, b2gBuilds, badImages,
          waitBudget, naive);
    }

    /** A copy with another utilisation target. */
    public Spec withUtilisation(double u) {
      return new Spec(u, lease, meanJob, androidShare, namedShare, b2gBuilds, badImages,
          waitBudget, giveUpOnSubstitution);
    }
  }

  /** Reason recorded when the naive client abandons a request whose first device failed. */
  public static final String GAVE_UP = "failed_bad_device (no substitution)";
  /** Reason recorded when a lease expired before its request was ready. */
  public static final String EXPIRED = "lease_expired_before_ready";

  private static final Duration SETUP = Duration.ofMinutes(4);

  private final VirtualLab lab;
  private final Pool pool;
  private final VirtualTimekeeper time;
  private final Spec spec;
  private final Random arrivals;
  private final long seed;
  private final double arrivalsPerSecond;
  private final Map<String, Client> clients = new HashMap<>();
  private final Map<String, Integer> failures = new TreeMap<>();
  private final List<Long> timeToReadyMillis = new ArrayList<>();
  private Instant stopAt = Instant.MAX;
  private int filed;
  private int served;

  private final class Client {
    final Lease lease;
    final Instant filedAt;
    final Duration job;
    boolean ready;
    boolean done;
    Instant jobEnd;

    Client(Lease lease, Instant filedAt, Duration job) {
      this.lease = lease;
      this.filedAt = filedAt;
      this.job = job;
    }
  }

  /** A workload for {@code lab}, with random choices drawn from {@code seed}. */
  public CiWorkload(VirtualLab lab, Spec spec, long seed) {
    this.lab = Objects.requireNonNull(lab, "lab");
    this.pool = lab.pool();
    this.time = lab.time();
    this.spec = Objects.requireNonNull(spec, "spec");
    this.seed = seed;
    this.arrivals = new Random(seed);
    int devices = lab.devices().size();
    double holdSeconds = spec.meanJob().plus(SETUP).toSeconds();
    this.arrivalsPerSecond = spec.utilisation() * devices / holdSeconds;
  }

  /** Starts filing requests now; none are filed at or after {@code stopAt}. */
  public void start(Instant stopAt) {
    this.stopAt = Objects.requireNonNull(stopAt, "stopAt");
    pool.addListener(this);
    scheduleNextArrival();
  }

  private void scheduleNextArrival() {
    double gap = -Math.log(1 - arrivals.nextDouble()) / arrivalsPerSecond;
    Instant at = time.now().plusMillis(Math.max(1, Math.round(gap * 1000)));
    if (at.isBefore(stopAt)) {
      time.schedule(at, () -> {
        arrive();
        scheduleNextArrival();
      });
    }
  }

  private void arrive() {
    // Each request draws from its own source, so that two pools given the same seed see the same
    // requests with the same jobs, whatever happens to earlier requests.
    Random random = new Random(seed * 1_000_003L + filed);
    RequestSpec request = nextRequest(random);
    Duration job = drawJob(random);
    filed++;
    try {
      Lease lease = pool.request(request);
      clients.put(lease.id(), new Client(lease, time.now(), job));
    } catch (MozpoolException | IllegalArgumentException e) {
      failures.merge("refused: " + e.getClass().getSimpleName(), 1, Integer::sum);
    }
  }

  private RequestSpec nextRequest(Random random) {
    double r = random.nextDouble();
    RequestSpec.Builder b;
    if (r < spec.namedShare()) {
      String device = freeDevice(random);
      b = device == null ? RequestSpec.any() : RequestSpec.device(device);
      b.image("android");
    } else if (r < spec.namedShare() + spec.androidShare()) {
      b = RequestSpec.any().image("android");
    } else {
      String build = random.nextDouble() < spec.badImages()
          ? "http://builds.lab/b2g/" + VirtualLab.BROKEN_BUILD_MARK + "-" + random.nextInt(100)
          : "http://builds.lab/b2g/nightly-" + (1 + random.nextInt(spec.b2gBuilds()));
      b = RequestSpec.any().image("b2g").bootConfig("b2gbase", build);
    }
    return b.leaseDuration(spec.lease()).waitBudget(spec.waitBudget()).requester("ci").build();
  }

  /** A device that is ready and unclaimed now, chosen at random, or null. */
  private String freeDevice(Random random) {
    List<String> free = new ArrayList<>();
    for (DeviceView d : pool.inventory().devices()) {
      if (d.state().equals(DeviceStates.READY) && d.claimedBy().isEmpty()) {
        free.add(d.name());
      }
    }
    return free.isEmpty() ? null : free.get(random.nextInt(free.size()));
  }

  @Override
  public void requestStateChanged(String id, String from, String to) {
    Client c = clients.get(id);
    if (c == null || c.done) {
      return;
    }
    if (to.equals(RequestStates.READY) && !c.ready) {
      c.ready = true;
      served++;
      timeToReadyMillis.add(Duration.between(c.filedAt, time.now()).toMillis());
      c.jobEnd = time.now().plus(c.job);
      time.schedule(time.now(), () -> keepAlive(c));
    } else if (to.equals(RequestStates.FINDING_DEVICE) && spec.giveUpOnSubstitution()
        && (from.equals(RequestStates.PENDING) || from.equals(RequestStates.CONTACTING_LIFEGUARD))) {
      finish(c, GAVE_UP);
      time.schedule(time.now(), c.lease::close);
    } else if (RequestStates.isTerminal(to)) {
      if (!c.ready) {
        finish(c, to.equals(RequestStates.CLOSED) ? EXPIRED : to);
      } else {
        c.done = true;
        clients.remove(id);
      }
    }
  }

  private void finish(Client c, String reason) {
    c.done = true;
    failures.merge(reason, 1, Integer::sum);
    clients.remove(c.lease.id());
  }

  /** Renews the lease while the job runs; returns the device when it ends. */
  private void keepAlive(Client c) {
    if (c.done) {
      return;
    }
    Instant now = time.now();
    if (!now.isBefore(c.jobEnd)) {
      c.done = true;
      clients.remove(c.lease.id());
      c.lease.close();
      return;
    }
    try {
      if (Duration.between(now, c.jobEnd).compareTo(spec.lease()) > 0
          || Duration.between(now, c.lease.expiresAt()).compareTo(Duration.between(now, c.jobEnd)) < 0) {
        c.lease.renew(spec.lease());
      }
    } catch (LeaseException e) {
      c.done = true;
      clients.remove(c.lease.id());
      return;
    }
    Duration untilEnd = Duration.between(now, c.jobEnd);
    Duration nextCheck = spec.lease().multipliedBy(5).dividedBy(6);
    time.schedule(now.plus(untilEnd.compareTo(nextCheck) < 0 ? untilEnd : nextCheck),
        () -> keepAlive(c));
  }

  private Duration drawJob(Random random) {
    // A floor of 5 minutes plus an exponential tail, capped at four times the mean.
    long mean = spec.meanJob().toSeconds();
    long floor = Math.min(300, mean / 2);
    double tail = -Math.log(1 - random.nextDouble()) * (mean - floor);
    return Duration.ofSeconds(Math.min(4 * mean, floor + Math.round(tail)));
  }

  /** Requests filed so far. */
  public int filed() {
    return filed;
  }

  /** Requests that reached {@code ready}. */
  public int served() {
    return served;
  }

  /** Requests that ended without reaching {@code ready}, by reason. */
  public Map<String, Integer> failures() {
    return Map.copyOf(failures);
  }

  /** Requests neither served nor failed yet. */
  public int unfinished() {
    return filed - served - failures.values().stream().mapToInt(Integer::intValue).sum();
  }

  /** The {@code q}-quantile ({@code 0 < q <= 1}) of time to ready, or null if none was served. */
  public Duration timeToReady(double q) {
    if (timeToReadyMillis.isEmpty()) {
      return null;
    }
    long[] sorted = timeToReadyMillis.stream().mapToLong(Long::longValue).sorted().toArray();
    int index = (int) Math.ceil(q * sorted.length) - 1;
    return Duration.ofMillis(sorted[Math.max(0, Math.min(sorted.length - 1, index))]);
  }

  /** The lab this workload drives. */
  public VirtualLab lab() {
    return lab;
  }
}
