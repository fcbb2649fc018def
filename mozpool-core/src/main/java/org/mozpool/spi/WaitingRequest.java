package org.mozpool.spi;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.mozpool.RequestSpec;

/**
 * A request looking for a device ({@code finding_device}), as schedulers see it: immutable, with
 * no lease token.
 *
 * @param id the request id
 * @param spec what it asked for, including its {@linkplain RequestSpec#priority() priority} and
 *     {@linkplain RequestSpec#requester() requester}
 * @param createdAt when it was filed
 */
public record WaitingRequest(String id, RequestSpec spec, Instant createdAt) {

  /** Checks that no field is null. */
  public WaitingRequest {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(createdAt, "createdAt");
  }

  /** Who asked (may be empty). */
  public String requester() {
    return spec.requester();
  }

  /** Its priority: higher is served first by the default queue order. */
  public int priority() {
    return spec.priority();
  }

  /** How long it has existed at {@code now} (zero if {@code now} is earlier). */
  public Duration age(Instant now) {
    Duration d = Duration.between(createdAt, now);
    return d.isNegative() ? Duration.ZERO : d;
  }
}
