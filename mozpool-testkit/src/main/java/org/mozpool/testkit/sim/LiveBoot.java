package org.mozpool.testkit.sim;

import java.util.Objects;
import java.util.Optional;

/**
 * One network boot of a simulated board into a {@linkplain LiveImage live image}: the board, the
 * PXE config it booted with (whose kernel command line carries the server, device name and
 * token), and the way back to the board when the live image reboots it. Thread safe.
 */
public final class LiveBoot {
  private final SimulatedDevice board;
  private final long epoch;
  private final String pxeConfig;

  LiveBoot(SimulatedDevice board, long epoch, String pxeConfig) {
    this.board = board;
    this.epoch = epoch;
    this.pxeConfig = pxeConfig;
  }

  /** The board's device name. */
  public String device() {
    return board.name();
  }

  /** The board. */
  public SimulatedDevice board() {
    return board;
  }

  /** The PXE config the board booted with, placeholders filled in by the pool. */
  public String pxeConfig() {
    return pxeConfig;
  }

  /**
   * The kernel command line: the {@code append} line of the PXE config (without {@code append}),
   * or empty if there is none.
   */
  public Optional<String> kernelCommandLine() {
    for (String line : pxeConfig.split("\n")) {
      String l = line.strip();
      if (l.startsWith("append ")) {
        return Optional.of(l.substring("append ".length()).strip());
      }
    }
    return Optional.empty();
  }

  /** The value of {@code mozpool.<key>=} on the kernel command line, if present. */
  public Optional<String> kernelArg(String key) {
    return LabInventory.kernelArg(pxeConfig, key);
  }

  /**
   * The live image reboots the board, having written {@code installed} to its SD card (null:
   * the card is as it was). Ignored when the board has since lost power or rebooted.
   */
  public void reboot(InstallOrder installed) {
    board.liveImageRebooted(epoch, installed);
  }

  @Override
  public String toString() {
    return "LiveBoot[" + device() + "]";
  }

  static LiveBoot of(SimulatedDevice board, long epoch, String pxeConfig) {
    return new LiveBoot(Objects.requireNonNull(board), epoch, Objects.requireNonNull(pxeConfig));
  }
}
