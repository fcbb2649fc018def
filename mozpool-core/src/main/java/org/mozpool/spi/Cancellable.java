package org.mozpool.spi;

/** A scheduled task that can be called off. */
@FunctionalInterface
public interface Cancellable {

  /** Prevents the task from running if it has not started. Idempotent. */
  void cancel();
}
