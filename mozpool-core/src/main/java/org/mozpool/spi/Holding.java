package org.mozpool.spi;

import java.time.Instant;
import java.util.Objects;

/**
 * A device held by a request (a claim), as {@link QueuePolicy} sees it.
 *
 * @param device the claimed device's name
 * @param environment the device's environment (may be empty)
 * @param requestId the holding request
 * @param requester who filed that request (may be empty)
 * @param since when the claim was taken
 */
public record Holding(
    String device, String environment, String requestId, String requester, Instant since) {

  /** Checks that no field is null. */
  public Holding {
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(environment, "environment");
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(requester, "requester");
    Objects.requireNonNull(since, "since");
  }
}
