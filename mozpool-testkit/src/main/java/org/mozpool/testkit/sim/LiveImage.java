package org.mozpool.testkit.sim;

import org.mozpool.spi.Cancellable;

/**
 * What a simulated board in a {@link WireLab} runs when it network-boots, for tests that want the
 * real live image (its shell scripts, say, as a child process) instead of the built-in
 * simulation of it. Set with {@link WireLab.Builder#liveImage}; without one, boards simulate the
 * live image themselves.
 *
 * <p>The board calls {@link #boot} once per network boot, after u-boot found its PXE config;
 * the live image then speaks to the pool on its own (callbacks, boot config) and calls {@link
 * LiveBoot#reboot} when it reboots the board. Implementations must not block in {@code boot}
 * and must be thread safe: boards boot concurrently.
 */
@FunctionalInterface
public interface LiveImage {

  /**
   * Starts the live image on a board.
   *
   * @return what stops it, called when the board loses power or reboots (it must not block
   *     for long)
   */
  Cancellable boot(LiveBoot board);
}
