package org.mozpool.spi;

import java.util.Objects;

/**
 * Which instance drives a device or request, read together with that instance's current epoch and
 * liveness, so that a step can check in its own transaction that it may still write (fencing).
 *
 * @param instance the driving instance's id; empty when no instance in particular drives it
 * @param epoch the instance's current epoch (0 if the instance has no record)
 * @param live whether the instance is live (false: declared dead, or no record)
 */
public record MachineDriver(String instance, long epoch, boolean live) {
  public MachineDriver {
    instance = Objects.requireNonNullElse(instance, "");
  }
}
