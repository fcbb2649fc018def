package org.mozpool;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * A client's handle on one request: wait for its device, renew it, return it. The
 * {@linkplain #token() token} proves that the holder filed the request; only the holder may renew
 * or return it.
 *
 * <p>Wait for the device by blocking ({@link #awaitReady(Duration)}) or with a stage ({@link
 * #whenReady()}).
 *
 * <p>Thread safe. {@link #close()} returns the device if the lease is still open and is
 * idempotent; {@link #returnDevice()} insists that it is open.
 */
public interface Lease extends AutoCloseable {

  /** The request id. */
  String id();

  /** The secret lease token. */
  String token();

  /** A fresh snapshot of the request. */
  RequestView view();

  /** The request's current state (see {@link RequestStates}). */
  default String state() {
    return view().state();
  }

  /** The device currently assigned, if any. */
  default Optional<String> device() {
    return view().device();
  }

  /** When the lease expires unless renewed. */
  default Instant expiresAt() {
    return view().expiresAt();
  }

  /**
   * Waits until the request is {@code ready} and returns its device. On a virtual clock the wait is
   * in virtual time: the simulation runs until the request settles or {@code timeout} passes.
   *
   * @throws RequestFailedException if it ended in a failure state or was closed
   * @throws WaitTimedOutException if it is still in progress after {@code timeout}
   */
  DeviceView awaitReady(Duration timeout);

  /**
   * The request's readiness, without blocking: a stage that completes with the device when the
   * request is {@code ready}, or exceptionally with a {@link RequestFailedException} when it ends
   * (in a failure state, or closed) without having been ready, or with a {@link
   * NoSuchRequestException} if the request ended so long ago that it has been pruned. Each call
   * returns a new stage; cancelling it stops only that stage. Dependent actions may run on the
   * pool's threads, so they must not block.
   *
   * <p>On a virtual clock, the stage's {@code join()} and {@code get()} run the simulation until it
   * completes (see {@code VirtualTimekeeper}), so {@code whenReady().toCompletableFuture().join()}
   * works there as well as on the system clock.
   */
  CompletionStage<DeviceView> whenReady();

  /**
   * Sets the remaining lease time to {@code duration} from now.
   *
   * @throws LeaseException if the lease is closed or failed
   * @throws NotDrivenHereException if, with several instances on one store, the request was
   *     adopted away from this one and no live instance drives it now (a lease of an adopted
   *     request is otherwise renewed by its new driver, through the store's outbox)
   * @throws NullPointerException if {@code duration} is null
   * @throws IllegalArgumentException if {@code duration} is not between
   *     {@link RequestSpec#MIN_LEASE} and {@link RequestSpec#MAX_LEASE}, as for a new request
   */
  void renew(Duration duration);

  /**
   * Returns the device as good and closes the request; the same as
   * {@code returnDevice(ReturnOutcome.good())}.
   *
   * @throws LeaseException if it was already returned, expired or failed
   */
  default void returnDevice() {
    returnDevice(ReturnOutcome.good());
  }

  /**
   * Returns the device with what the client saw of it, and closes the request. A
   * {@linkplain ReturnOutcome#badDevice bad-device} outcome is written to the request's log with
   * the requester's name; the device stays claimed until Lifeguard has recorded the failure in its
   * history and started its self-test, so no other request is handed it untested. The outcome is
   * the client's word: it only matters if the request holds a device (in {@code finding_device} it
   * is logged and otherwise ignored).
   *
   * @throws LeaseException if it was already returned, expired or failed
   * @throws NotDrivenHereException if the request was adopted away from this instance and no live
   *     instance drives it now (else its new driver returns it)
   * @throws NullPointerException if {@code outcome} is null
   */
  void returnDevice(ReturnOutcome outcome);

  /** Returns the device if the lease is still open; does nothing otherwise. */
  @Override
  void close();
}
