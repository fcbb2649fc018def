package org.mozpool;

/**
 * Thrown when an instance is asked to change a device or request that another instance drives
 * (DESIGN §9), or that this instance drove until its work was adopted while it was paused. Nothing
 * changed. The REST API routes such calls to {@link #driver()}.
 */
public class NotDrivenHereException extends MozpoolException {
  private static final long serialVersionUID = 1L;
  private final String machine;
  private final String driver;

  public NotDrivenHereException(String machine, String driver, String here) {
    super(machine + " is driven by instance " + (driver.isEmpty() ? "(none)" : driver)
        + ", not by " + here);
    this.machine = machine;
    this.driver = driver;
  }

  /** The device or request id. */
  public String machine() {
    return machine;
  }

  /** The instance that drives it; empty if none does (its instance died and nobody adopted it). */
  public String driver() {
    return driver;
  }
}
