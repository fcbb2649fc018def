package org.mozpool.spi;

/** The two kinds of persisted state machine: one per device (Lifeguard), one per request (Pool). */
public enum MachineKind {
  DEVICE,
  REQUEST
}
