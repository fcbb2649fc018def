package org.mozpool;

import java.time.Duration;

/** Thrown when a wait (such as {@link Lease#awaitReady(Duration)}) ends before its condition. */
public class WaitTimedOutException extends MozpoolException {
  private static final long serialVersionUID = 1L;

  public WaitTimedOutException(String what, Duration waited) {
    super(what + " did not happen within " + waited);
  }
}
