package org.mozpool;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * A client's handle on one request: wait for its device, renew it, return it. The
 * {@linkplain #token() token} proves that the holder filed the request; only the holder may renew
 * or return it.
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
   * Sets the remaining lease time to {@code duration} from now.
   *
   * @throws LeaseException if the lease is closed or failed
   * @throws NullPointerException if {@code duration} is null
   * @throws IllegalArgumentException if {@code duration} is not between
   *     {@link RequestSpec#MIN_LEASE} and {@link RequestSpec#MAX_LEASE}, as for a new request
   */
  void renew(Duration duration);

  /**
   * Returns the device and closes the request.
   *
   * @throws LeaseException if it was already returned, expired or failed
   */
  void returnDevice();

  /** Returns the device if the lease is still open; does nothing otherwise. */
  @Override
  void close();
}
