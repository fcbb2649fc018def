package org.mozpool;

/**
 * Thrown when Lifeguard refuses a please-event: the device's current state does not accept it,
 * or the image has no PXE config for the device's hardware type. Nothing changed.
 */
public class RefusedException extends MozpoolException {
  private static final long serialVersionUID = 1L;
  private final String device;
  private final String event;
  private final String state;
  private final String reason;

  public RefusedException(String device, String event, String state, String reason) {
    super("device " + device + " refused " + event + " in state " + state + ": " + reason);
    this.device = device;
    this.event = event;
    this.state = state;
    this.reason = reason;
  }

  /** Why, without the device, event and state. */
  public String reason() {
    return reason;
  }

  /** The device that refused. */
  public String device() {
    return device;
  }

  /** The please-event that was refused. */
  public String event() {
    return event;
  }

  /** The device's state when it refused. */
  public String state() {
    return state;
  }
}
