package org.mozpool.spi;

import java.time.Instant;

/**
 * One failure in a device's history: when, and where. {@code state} is the failed state the
 * device entered, or, for a failure that Lifeguard records without leaving the workflow, the state
 * it happened in: a {@linkplain RelayFaultException relay fault} in a power-cycling state, a failed
 * idle health probe in {@code ready}. A {@code failed_quarantined} entry is the problem-child
 * verdict on the failures before it, not a failure that counts towards the next one.
 */
public record DeviceFailure(String device, String state, Instant at) {}
