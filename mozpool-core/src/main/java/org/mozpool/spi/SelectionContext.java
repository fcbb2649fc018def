package org.mozpool.spi;

import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Everything a {@link DeviceChooser} sees when a request looks for a device: immutable, read in the
 * transaction that will claim the chosen device.
 *
 * @param now the pool's current time
 * @param request the request looking for a device
 * @param candidates the free devices that could serve it, by name; never empty, possibly one
 * @param queue the other requests waiting on this pool instance, in the default queue order
 *     (priority, then age); the request itself is not in it. Unmodifiable; the pool reads it from
 *     the queue only if the chooser looks at it, so it is wrapped, not copied: pass a list that
 *     does not change
 */
public record SelectionContext(
    Instant now, WaitingRequest request, List<Candidate> candidates, List<WaitingRequest> queue) {

  /** Checks for nulls, copies the candidates and wraps the queue. */
  public SelectionContext {
    Objects.requireNonNull(now, "now");
    Objects.requireNonNull(request, "request");
    candidates = List.copyOf(candidates);
    queue = Collections.unmodifiableList(Objects.requireNonNull(queue, "queue"));
  }
}
