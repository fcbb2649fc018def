package org.mozpool;

/** Thrown when a device name is not in the inventory. */
public class NoSuchDeviceException extends MozpoolException {
  private static final long serialVersionUID = 1L;
  private final String device;

  public NoSuchDeviceException(String device) {
    super("no device named '" + device + "' in the inventory");
    this.device = device;
  }

  /** The name that was looked up. */
  public String device() {
    return device;
  }
}
