package org.mozpool;

import java.util.Set;

/** The documented names of the request ("Mozpool layer") states (DESIGN §6). */
public final class RequestStates {
  public static final String NEW = "new";
  public static final String FINDING_DEVICE = "finding_device";
  public static final String CONTACTING_LIFEGUARD = "contacting_lifeguard";
  public static final String PENDING = "pending";
  public static final String READY = "ready";
  public static final String CLOSED = "closed";
  public static final String FAILED_DEVICE_NOT_FOUND = "failed_device_not_found";
  public static final String FAILED_DEVICE_BUSY = "failed_device_busy";
  public static final String FAILED_BAD_DEVICE = "failed_bad_device";
  public static final String FAILED_BAD_IMAGE = "failed_bad_image";

  /** States from which a request never moves again. */
  public static final Set<String> TERMINAL = Set.of(
      CLOSED, FAILED_DEVICE_NOT_FOUND, FAILED_DEVICE_BUSY, FAILED_BAD_DEVICE, FAILED_BAD_IMAGE);

  private RequestStates() {}

  /** Whether a request in {@code state} is finished. */
  public static boolean isTerminal(String state) {
    return TERMINAL.contains(state);
  }
}
