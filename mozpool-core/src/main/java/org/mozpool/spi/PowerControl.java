package org.mozpool.spi;

import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * Switches devices' power (relay boards, PDUs, a simulator).
 *
 * <p>Contract: implementations are thread safe. Each call returns at once or blocks briefly;
 * Lifeguard calls them on its I/O executor, never inside a state-machine step. The returned stage
 * completes normally when the operation succeeded and exceptionally when it failed; it must
 * complete within {@code deadline} counted from when the operation actually starts on the hardware
 * (time spent queued behind other operations on the same board does not count). Lifeguard also
 * bounds every call by the state's own timeout, so a stage that never completes is not fatal, but
 * it is a bug.
 *
 * <p>What a failure means: when the hardware answered but this device's own relay read back the
 * wrong state after being switched, fail the stage with a {@link RelayFaultException} (directly or
 * as the cause of a driver-specific exception). Lifeguard records such a fault in the device's
 * failure history, so a relay that keeps missing makes its device a problem child (DESIGN §5.6).
 * Any other failure (board unreachable, hung, answering garbage, deadline passed) is a fault of
 * the board or the network, hits every device behind it, and is only retried, never counted
 * against the device.
 *
 * <p>Cancellation: Lifeguard cancels the returned stage ({@code toCompletableFuture().cancel(…)})
 * as soon as nothing waits for it any more: its deadline passed, or the device's state machine
 * left the state that started it or began a newer attempt. A stage cancelled before the operation
 * reached the hardware must never reach it: a queued operation is dropped, and one that has
 * already connected sends nothing. An operation that has already reached the hardware may run to
 * its end (half a power cycle would leave the device unpowered); its stage then refuses the
 * cancellation ({@code cancel} returns {@code false}) or completes as cancelled, and Lifeguard
 * ignores its outcome either way. An implementation that queues or defers operations must return a
 * stage whose {@code toCompletableFuture()} is that stage itself, so that the cancellation reaches
 * it.
 */
public interface PowerControl {

  /** Turns the device off, waits about a second, turns it on; verified where the hardware can. */
  CompletionStage<Void> powerCycle(DeviceTarget device, Duration deadline);

  /** Powers the device on. */
  default CompletionStage<Void> powerOn(DeviceTarget device, Duration deadline) {
    return java.util.concurrent.CompletableFuture.failedFuture(
        new UnsupportedOperationException("powerOn is not supported by " + getClass().getName()));
  }

  /** Powers the device off. */
  default CompletionStage<Void> powerOff(DeviceTarget device, Duration deadline) {
    return java.util.concurrent.CompletableFuture.failedFuture(
        new UnsupportedOperationException("powerOff is not supported by " + getClass().getName()));
  }

  /** Whether the device is powered. */
  default CompletionStage<Boolean> isPowered(DeviceTarget device, Duration deadline) {
    return java.util.concurrent.CompletableFuture.failedFuture(
        new UnsupportedOperationException("isPowered is not supported by " + getClass().getName()));
  }
}
