package org.mozpool.spi;

import java.time.Instant;

/** Which machine times out when; used to re-arm timers at start-up. */
public record MachineDeadline(MachineKind kind, String id, Instant deadline) {}
