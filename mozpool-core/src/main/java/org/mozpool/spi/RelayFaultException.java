package org.mozpool.spi;

import java.util.Optional;
import org.mozpool.MozpoolException;

/**
 * A device's own relay (or other per-device power switch) was commanded and then read back the
 * wrong state: a fault of that one device's power path, not of the relay board that carries it.
 *
 * <p>{@link PowerControl} implementations fail an operation's stage with this exception, or with
 * an exception whose cause chain contains it, only when the hardware answered sensibly and
 * reported that this device's relay did not switch. A board that is unreachable, hangs, answers
 * garbage or runs out of time affects every device on it and must fail the stage with some other
 * exception. Lifeguard counts a relay fault in the device's failure history (DESIGN §5.6); it
 * never counts other power failures against the device.
 */
public class RelayFaultException extends MozpoolException {
  private static final long serialVersionUID = 1L;
  private final String device;

  /**
   * @param device the device on the relay, or {@code null} when the operation was addressed by
   *     relay rather than by device
   * @param message what was commanded and what was read back
   */
  public RelayFaultException(String device, String message) {
    super(message);
    this.device = device;
  }

  /** The device on the relay, when the operation named one. */
  public Optional<String> device() {
    return Optional.ofNullable(device);
  }

  /**
   * Whether {@code failure} (typically the exception a power-control stage completed with) is,
   * or was caused by, a relay fault.
   */
  public static boolean isRelayFault(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof RelayFaultException) {
        return true;
      }
    }
    return false;
  }
}
