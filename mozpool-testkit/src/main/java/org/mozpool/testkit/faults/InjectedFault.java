package org.mozpool.testkit.faults;

import java.time.Instant;
import java.util.Objects;

/**
 * One fault the simulation injected.
 *
 * @param at simulated time of injection (the start of the run for persistent defects)
 * @param target the device, or the relay board for relay-board faults
 * @param fault what was injected
 * @param detail free text ({@code "during download of b2g"})
 */
public record InjectedFault(Instant at, String target, Fault fault, String detail) {
  public InjectedFault {
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(fault, "fault");
    detail = Objects.requireNonNullElse(detail, "");
  }
}
