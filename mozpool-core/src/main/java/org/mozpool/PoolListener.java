package org.mozpool;

/**
 * Hears state changes after they are committed. Called on the pool's worker threads: keep it
 * quick and never block; an exception it throws is logged and otherwise ignored.
 */
public interface PoolListener {

  /** A device moved from {@code from} to {@code to} (possibly the same state, re-entered). */
  default void deviceStateChanged(String device, String from, String to) {}

  /** A request moved from {@code from} to {@code to}. */
  default void requestStateChanged(String requestId, String from, String to) {}
}
