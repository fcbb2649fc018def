package org.mozpool.spi;

import java.util.Map;
import java.util.Objects;

/**
 * An event for a device or request that another instance drives, waiting in the store's outbox
 * (DESIGN §9) until the driving instance takes it in a step of that machine.
 *
 * @param seq position in the outbox; events of one machine are taken in this order
 * @param kind device or request
 * @param machine the device name or request id
 * @param sender the instance that posted it
 * @param event what to do (a please-event, a device callback event, an imaging result…)
 * @param args its arguments
 */
public record MachineEvent(long seq, MachineKind kind, String machine, String sender, String event,
    Map<String, String> args) {

  public MachineEvent {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(machine, "machine");
    sender = Objects.requireNonNullElse(sender, "");
    Objects.requireNonNull(event, "event");
    args = Map.copyOf(args == null ? Map.of() : args);
  }
}
