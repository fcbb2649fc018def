package org.mozpool.spi;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.mozpool.RequestSpec;

/**
 * A request as stored.
 *
 * @param id unique id
 * @param token secret lease token
 * @param spec what was asked
 * @param server the instance that drives it
 * @param createdAt when it was filed
 * @param expiresAt when the lease expires unless renewed
 * @param devicesTried devices claimed so far, in order
 * @param failureReason why it failed, empty otherwise
 * @param machine the request state machine
 */
public record RequestRecord(
    String id, String token, RequestSpec spec, String server, Instant createdAt,
    Instant expiresAt, List<String> devicesTried, String failureReason, MachineRecord machine) {

  public RequestRecord {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(spec, "spec");
    server = Objects.requireNonNullElse(server, "");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
    devicesTried = List.copyOf(devicesTried == null ? List.of() : devicesTried);
    failureReason = Objects.requireNonNullElse(failureReason, "");
    Objects.requireNonNull(machine, "machine");
  }
}
