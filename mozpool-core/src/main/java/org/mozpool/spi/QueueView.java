package org.mozpool.spi;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The state of the queue that a {@link QueuePolicy} decides on: read-only, and valid only during
 * the call it is passed to.
 */
public interface QueueView {

  /** The pool's current time. */
  Instant now();

  /**
   * The requests waiting on this pool instance ({@code finding_device}), in the default order:
   * priority (highest first), then age (oldest first).
   */
  List<WaitingRequest> waiting();

  /**
   * Every device currently claimed, by device name. Read from the store the first time it is
   * asked for within a call (one read per claimed device on a SQL store), so policies that do not
   * need it cost nothing.
   */
  List<Holding> holdings();

  /**
   * When this pool instance last gave a device to a request of {@code requester}, if it did since
   * it started (kept in memory, per instance).
   */
  Optional<Instant> lastServed(String requester);
}
