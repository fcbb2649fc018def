package org.mozpool.spi;

import org.mozpool.MozpoolException;

/**
 * Thrown by a store when a machine's stored version is not the one a step read: another step
 * (possibly on another instance) committed first. The engine retries the step from fresh state.
 */
public class StaleStateException extends MozpoolException {
  private static final long serialVersionUID = 1L;

  public StaleStateException(MachineKind kind, String id, long expected, long actual) {
    super(kind.name().toLowerCase(java.util.Locale.ROOT) + " " + id + " changed underneath:"
        + " expected version " + expected + ", found " + actual);
  }
}
