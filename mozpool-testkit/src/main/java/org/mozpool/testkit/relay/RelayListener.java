package org.mozpool.testkit.relay;

/**
 * Told when a relay of a {@link RelayBoardEmulator} changes, so that a simulated device can follow
 * its power. Called on the emulator's connection thread; implementations must be quick and must
 * not throw.
 */
@FunctionalInterface
public interface RelayListener {

  /**
   * Relay {@code relay} of bank {@code bank} changed. Boards are wired normally closed, so
   * {@code relayOn} means the device is unpowered.
   */
  void relayChanged(int bank, int relay, boolean relayOn);
}
