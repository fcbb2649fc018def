package org.mozpool;

import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.mozpool.spi.Lifeguard;

/**
 * Hardware on demand: the entry point for clients. A client {@linkplain #request(RequestSpec)
 * requests} a device and gets a {@link Lease}; the pool finds a matching device, claims it,
 * asks Lifeguard to image or power-cycle it, substitutes another device on failure, and reports
 * {@code ready} or a clear failure.
 *
 * <p>Thread safe. Create one with {@link Mozpool#builder()}; {@link #close()} stops its threads
 * and timers (state stays in the store, and a new pool over the same store resumes it).
 */
public interface Pool extends AutoCloseable {

  /**
   * Files a request and returns its lease handle without waiting for the device to be ready; the
   * request proceeds in the background. Filing runs the request's first step in the same store
   * transaction, as the original Mozpool's request handler looked for a device before it answered:
   * when a matching device is free, the request leaves this call holding it ({@code
   * contacting_lifeguard}); when none is, it is queued ({@code finding_device}); a named device
   * held by another request has already failed it ({@code failed_device_busy}).
   *
   * @throws NoSuchImageException if the image is unknown
   * @throws NoSuchDeviceException if a named device is unknown
   * @throws InvalidRequestException if the request can never be satisfied as asked
   */
  Lease request(RequestSpec spec);

  /**
   * Re-attaches to an existing request, e.g. after the client restarted.
   *
   * @throws NoSuchRequestException if the id is unknown
   * @throws LeaseException if the token is not the request's lease token
   */
  Lease lease(String requestId, String token);

  /** A snapshot of one request. */
  Optional<RequestView> findRequest(String requestId);

  /** Snapshots of every request this pool's store knows, oldest first. */
  List<RequestView> requests();

  /** The request's log, oldest first. */
  List<LogEntry> requestLog(String requestId);

  /** Registration and inspection of hardware types, images, PXE configs and devices. */
  Inventory inventory();

  /** Lifeguard, for operators' please-events and conditional state changes. */
  Lifeguard lifeguard();

  /** Adds a listener that hears every request and device state change this pool drives. */
  void addListener(PoolListener listener);

  /** The clock all of this pool's decisions read. */
  Clock clock();

  /** Stops threads and timers. Idempotent. */
  @Override
  void close();
}
