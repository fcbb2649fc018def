package org.mozpool.testkit.report;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.mozpool.DeviceStates;
import org.mozpool.PoolListener;
import org.mozpool.RequestStates;

/**
 * Listens to a pool during a simulation and keeps what the {@link LabReport} needs about devices:
 * which failed, which came back by themselves, which went to humans or quarantine, and how many
 * devices were in each kind of state over time. Request metrics are kept by the workload, which
 * knows when it asked.
 *
 * <p>Thread safe (listener calls come from the pool's workers).
 */
public final class LabRecorder implements PoolListener {
  /** Occupancy categories, in chart order. */
  public static final List<String> CATEGORIES = List.of(
      "in use", "idle", "imaging", "self-test", "failed (auto)", "failed (humans)",
      "quarantined", "other");

  private final Clock clock;
  private final Instant start;
  private final Map<String, String> deviceState = new HashMap<>();
  private final Map<String, Integer> categoryCounts = new HashMap<>();
  private final Set<String> everFailed = new HashSet<>();
  private final Set<String> recovered = new HashSet<>();
  private final Set<String> noticed = new HashSet<>();
  private final Set<String> everQuarantined = new HashSet<>();
  private final Map<String, Integer> failedEntries = new TreeMap<>();
  private final List<LabReport.Sample> samples = new ArrayList<>();
  private int requestsInUse;

  /** A recorder reading {@code clock}; the run starts now. */
  public LabRecorder(Clock clock) {
    this.clock = clock;
    this.start = clock.instant();
  }

  @Override
  public synchronized void deviceStateChanged(String device, String from, String to) {
    String previous = deviceState.put(device, to);
    if (previous != null) {
      categoryCounts.merge(category(previous), -1, Integer::sum);
    }
    categoryCounts.merge(category(to), 1, Integer::sum);
    if (DeviceStates.READY.equals(previous) && to.equals(DeviceStates.START_SELF_TEST)) {
      noticed.add(device); // an idle health probe failed
    }
    if (DeviceStates.isFailed(to) && !to.equals(previous)) {
      everFailed.add(device);
      noticed.add(device);
      failedEntries.merge(to, 1, Integer::sum);
      if (to.equals(DeviceStates.FAILED_QUARANTINED)) {
        everQuarantined.add(device);
      }
    }
    if (to.equals(DeviceStates.READY) && everFailed.contains(device)) {
      recovered.add(device);
    }
  }

  @Override
  public synchronized void requestStateChanged(String requestId, String from, String to) {
    if (to.equals(RequestStates.READY) && !from.equals(RequestStates.READY)) {
      requestsInUse++;
    } else if (from.equals(RequestStates.READY) && !to.equals(RequestStates.READY)) {
      requestsInUse--;
    }
  }

  /**
   * A listener that forwards to a recorder set later: state changes heard before {@link #to} are
   * kept and replayed to the recorder when it is set. Lets a recorder that needs a lab's clock
   * hear the registrations that happen while the lab is built. Thread safe.
   */
  public static final class Forwarder implements PoolListener {
    private final List<String[]> early = new ArrayList<>();
    private PoolListener target;

    /** Starts forwarding to {@code recorder}, after replaying what was heard so far. */
    public synchronized void to(PoolListener recorder) {
      for (String[] e : early) {
        if (e[0].equals("d")) {
          recorder.deviceStateChanged(e[1], e[2], e[3]);
        } else {
          recorder.requestStateChanged(e[1], e[2], e[3]);
        }
      }
      early.clear();
      target = recorder;
    }

    @Override
    public synchronized void deviceStateChanged(String device, String from, String to) {
      if (target == null) {
        early.add(new String[] {"d", device, from, to});
      } else {
        target.deviceStateChanged(device, from, to);
      }
    }

    @Override
    public synchronized void requestStateChanged(String id, String from, String to) {
      if (target == null) {
        early.add(new String[] {"r", id, from, to});
      } else {
        target.requestStateChanged(id, from, to);
      }
    }
  }

  private static String category(String state) {
    if (state.equals(DeviceStates.READY)) {
      return "ready";
    }
    if (state.equals(DeviceStates.FAILED_QUARANTINED)) {
      return "quarantined";
    }
    if (DeviceStates.FAILED_FOR_HUMANS.contains(state)) {
      return "failed (humans)";
    }
    if (DeviceStates.isFailed(state)) {
      return "failed (auto)";
    }
    if (state.equals(DeviceStates.SELF_TEST_RUNNING) || state.equals(DeviceStates.START_SELF_TEST)
        || state.equals(DeviceStates.NEW)) {
      return "self-test";
    }
    if (state.startsWith("pc_") || state.startsWith("pxe_") || state.startsWith("image_")
        || state.startsWith("start_") || state.equals(DeviceStates.LIVE_INIT_STARTED)
        || state.contains("verif") || state.equals(DeviceStates.OPERATION_COMPLETE)) {
      return "imaging";
    }
    return "other";
  }

  /** Records one occupancy sample at the current time. */
  public synchronized void sample() {
    Map<String, Integer> counts = new LinkedHashMap<>();
    int ready = categoryCounts.getOrDefault("ready", 0);
    int inUse = Math.min(Math.max(requestsInUse, 0), ready);
    for (String c : CATEGORIES) {
      counts.put(c, switch (c) {
        case "in use" -> inUse;
        case "idle" -> ready - inUse;
        default -> categoryCounts.getOrDefault(c, 0);
      });
    }
    samples.add(new LabReport.Sample(Duration.between(start, clock.instant()), counts));
  }

  /** Occupancy samples so far. */
  public synchronized List<LabReport.Sample> samples() {
    return List.copyOf(samples);
  }

  /** Devices that entered a failed state at least once. */
  public synchronized Set<String> everFailed() {
    return Set.copyOf(everFailed);
  }

  /** Devices that entered a failed state or failed an idle health probe at least once. */
  public synchronized Set<String> noticed() {
    return Set.copyOf(noticed);
  }

  /** Devices that failed and later came back to {@code ready} without a human. */
  public synchronized Set<String> recovered() {
    return Set.copyOf(recovered);
  }

  /** Devices that were quarantined at least once. */
  public synchronized Set<String> everQuarantined() {
    return Set.copyOf(everQuarantined);
  }

  /** Devices whose current state waits for a human (quarantine included). */
  public synchronized Set<String> withHumans() {
    Set<String> out = new HashSet<>();
    deviceState.forEach((d, s) -> {
      if (DeviceStates.FAILED_FOR_HUMANS.contains(s)) {
        out.add(d);
      }
    });
    return out;
  }

  /** How many times each failed state was entered. */
  public synchronized Map<String, Integer> failedStateEntries() {
    return Map.copyOf(failedEntries);
  }

  /** Each device's current state as last heard. */
  public synchronized Map<String, String> deviceStates() {
    return Map.copyOf(deviceState);
  }
}
