package org.mozpool.spi;

import java.time.Duration;

/**
 * Decides which free device a request gets, seeing the whole {@link SelectionContext}: the request
 * (id, spec, age, priority, requester), every candidate with its current image, whether it already
 * carries the requested image, its recent failures and when it was last claimed, and the other
 * waiting requests. It may also answer {@linkplain Selection#noneNow "none of these now"}.
 *
 * <p>This is the full-context form of {@link DeviceSelector}. A pool configured with a
 * {@code DeviceSelector} (or with neither) uses
 * {@link org.mozpool.core.DeviceSelectors#preferringReuse(DeviceSelector)}: devices that already
 * carry the image first, then the selector among them — the behaviour of DESIGN §6. A chooser is
 * consulted even when there is a single candidate, for {@code any} and named requests alike.
 *
 * <p>Contract: thread safe, quick, no I/O (it runs inside the store transaction that claims the
 * device). What happens when it misbehaves: an exception, a {@code null} answer or a device that is
 * not among the candidates is logged as a warning (with the request id) and treated as "none now"
 * — the request is never lost; it keeps waiting, is asked again when a device frees or at the next
 * queue re-check, and fails with {@code failed_device_not_found} after its wait budget, the
 * failure reason quoting the chooser's fault.
 */
@FunctionalInterface
public interface DeviceChooser {

  /** The candidate to claim for {@code context.request()}, or none now. */
  Selection choose(SelectionContext context);

  /**
   * How far back each {@link Candidate#recentFailures()} reaches (default: 24 hours).
   * {@link Duration#ZERO} means "not needed": no failure history is read, which saves one store
   * read per candidate on a SQL store.
   */
  default Duration failureWindow() {
    return Duration.ofDays(1);
  }
}
