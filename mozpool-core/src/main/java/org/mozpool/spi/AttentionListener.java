package org.mozpool.spi;

import java.util.List;
import org.mozpool.DeviceView;
import org.mozpool.LogEntry;

/**
 * Hears when a device needs a human: it entered a failed state that does not recover by itself
 * (e.g. {@code failed_power_cycling}, {@code failed_quarantined}). Called after the state change
 * is committed, on a worker thread: keep it quick (queue an e-mail, open a ticket).
 */
@FunctionalInterface
public interface AttentionListener {

  /** {@code device} needs a human; {@code recentLog} is its latest log lines, oldest first. */
  void deviceNeedsAttention(DeviceView device, List<LogEntry> recentLog);
}
