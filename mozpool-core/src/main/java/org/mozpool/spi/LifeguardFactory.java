package org.mozpool.spi;

/**
 * Creates the {@link Lifeguard} of a pool from the pool's context. This is how core's builder
 * takes the device layer without depending on it; {@code mozpool-lifeguard} provides the standard
 * one.
 */
@FunctionalInterface
public interface LifeguardFactory {

  /** A new, not yet started Lifeguard. */
  Lifeguard create(LifeguardContext context);
}
