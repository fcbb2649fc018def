package org.mozpool.spi;

import java.util.List;
import org.mozpool.DeviceView;
import org.mozpool.RequestSpec;

/**
 * Picks one device among the free, matching candidates for a request. The pool has already
 * filtered by name, environment, hardware, tags and installability, and has preferred devices
 * that already carry a reusable image.
 *
 * <p>Contract: thread safe, quick, no I/O; {@code candidates} is never empty; the result must be
 * one of them.
 */
@FunctionalInterface
public interface DeviceSelector {

  /** The device to claim for {@code request}. */
  DeviceView select(List<DeviceView> candidates, RequestSpec request);
}
