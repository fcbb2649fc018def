package org.mozpool.testkit.faults;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Every fault a simulated lab injected, in injection order. Reports compare it with what Mozpool
 * detected. Thread safe.
 */
public final class FaultLog {
  private final List<InjectedFault> faults = new ArrayList<>();

  /** Records one injected fault. */
  public synchronized void record(Instant at, String target, Fault fault, String detail) {
    faults.add(new InjectedFault(at, target, fault, detail));
  }

  /** A snapshot of every fault so far. */
  public synchronized List<InjectedFault> all() {
    return List.copyOf(faults);
  }

  /** How many faults of each kind were injected (kinds never injected are absent). */
  public synchronized Map<Fault, Integer> counts() {
    Map<Fault, Integer> counts = new EnumMap<>(Fault.class);
    for (InjectedFault f : faults) {
      counts.merge(f.fault(), 1, Integer::sum);
    }
    return counts;
  }

  /** The devices (or boards) that carry or suffered {@code fault}, sorted. */
  public synchronized Set<String> targets(Fault fault) {
    Set<String> targets = new TreeSet<>();
    for (InjectedFault f : faults) {
      if (f.fault() == fault) {
        targets.add(f.target());
      }
    }
    return targets;
  }

  /** The devices with at least one persistent defect, sorted. */
  public synchronized Set<String> defectiveDevices() {
    Set<String> targets = new TreeSet<>();
    for (InjectedFault f : faults) {
      if (f.fault().persistent()) {
        targets.add(f.target());
      }
    }
    return targets;
  }
}
