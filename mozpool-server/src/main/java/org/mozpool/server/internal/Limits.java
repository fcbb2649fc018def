package org.mozpool.server.internal;

/** The HTTP server's limits. */
public final class Limits {
  /** The largest request body accepted. */
  public static final long MAX_BODY_BYTES = 1024 * 1024;

  private Limits() {
  }
}
