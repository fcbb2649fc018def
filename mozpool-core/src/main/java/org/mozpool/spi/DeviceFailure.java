package org.mozpool.spi;

import java.time.Instant;

/** One failure in a device's history: when, and the failed state it entered. */
public record DeviceFailure(String device, String state, Instant at) {}
