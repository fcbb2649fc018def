package org.mozpool.spi;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * The persisted part of a state machine.
 *
 * @param state current state name
 * @param counters named retry counters (absent = 0)
 * @param deadline when the state times out, or {@code null} for never
 * @param version incremented by every committed step; the optimistic-lock check
 * @param attempt state-entry sequence number; tags asynchronous operations so that completions
 *     from an earlier entry are recognised as stale
 */
public record MachineRecord(
    String state, Map<String, Integer> counters, Instant deadline, long version, long attempt) {

  public MachineRecord {
    Objects.requireNonNull(state, "state");
    counters = Map.copyOf(counters == null ? Map.of() : counters);
  }

  /** A machine just created in {@code state}, timing out at {@code deadline}. */
  public static MachineRecord initial(String state, Instant deadline) {
    return new MachineRecord(state, Map.of(), deadline, 0, 0);
  }

  /** The counter's value, 0 if unset. */
  public int counter(String name) {
    return counters.getOrDefault(name, 0);
  }
}
