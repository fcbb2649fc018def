package org.mozpool.spi;

import java.util.Objects;

/**
 * A filter on stored devices. Empty strings match anything.
 *
 * @param state Lifeguard state the device must be in
 * @param unclaimedOnly only devices no request holds
 * @param environment environment, or empty
 * @param hardwareType hardware type, or empty
 * @param hardwareModel hardware model, or empty
 */
public record DeviceQuery(
    String state, boolean unclaimedOnly, String environment, String hardwareType,
    String hardwareModel) {

  public DeviceQuery {
    state = Objects.requireNonNullElse(state, "");
    environment = Objects.requireNonNullElse(environment, "");
    hardwareType = Objects.requireNonNullElse(hardwareType, "");
    hardwareModel = Objects.requireNonNullElse(hardwareModel, "");
  }
}
