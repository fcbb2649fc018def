package org.mozpool.spi;

import java.util.List;
import org.mozpool.DeviceView;
import org.mozpool.RequestSpec;

/**
 * Picks one device among the free, matching candidates for a request. The pool has already
 * filtered by name, environment, hardware, tags, installability and its {@link QueuePolicy}, and
 * has preferred devices that already carry a reusable image; with a single such device the
 * selector is not asked.
 *
 * <p>This is the narrow form, kept for simple policies: it sees only the candidates' views and
 * the spec. The pool runs it through
 * {@link org.mozpool.core.DeviceSelectors#preferringReuse(DeviceSelector)}. A scheduler that needs
 * failure history, last use, the request's id or age, the queue, or that may decline ("none of
 * these now") implements {@link DeviceChooser} instead.
 *
 * <p>Contract: thread safe, quick, no I/O; {@code candidates} is never empty; the result must be
 * one of them (otherwise, as for a throwing selector, the pool logs it and the request keeps
 * waiting, see {@link DeviceChooser}).
 */
@FunctionalInterface
public interface DeviceSelector {

  /** The device to claim for {@code request}. */
  DeviceView select(List<DeviceView> candidates, RequestSpec request);
}
