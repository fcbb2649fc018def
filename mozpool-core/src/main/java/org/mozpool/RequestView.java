package org.mozpool;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A read-only snapshot of a request.
 *
 * @param id the request id
 * @param spec what was asked
 * @param state request state (see {@link RequestStates})
 * @param device the device currently claimed, if any
 * @param imagingResult the last imaging result reported for the claim, if any
 * @param createdAt when the request was made
 * @param expiresAt when the lease expires unless renewed
 * @param devicesTried every device claimed so far, in order
 * @param failureReason why it failed, when it did
 */
public record RequestView(
    String id, RequestSpec spec, String state, Optional<String> device,
    Optional<ImagingResult> imagingResult, Instant createdAt, Instant expiresAt,
    List<String> devicesTried, Optional<String> failureReason) {

  public RequestView {
    devicesTried = List.copyOf(devicesTried);
  }

  /** Whether the request has finished (closed or failed). */
  public boolean isTerminal() {
    return RequestStates.isTerminal(state);
  }
}
