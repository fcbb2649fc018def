package org.mozpool.spi;

import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * The device layer: one persisted state machine per device that images, power-cycles,
 * self-tests and health-checks it, and reports imaging results to the request that claimed it.
 * The pool talks to devices only through this interface; operators use it too.
 *
 * <p>Every operation returns at once; its stage completes when the device's state machine has
 * taken (and committed) the event, or completes exceptionally with
 * {@link org.mozpool.RefusedException} (the state does not accept it, or no PXE config installs
 * the image on the device's hardware), {@link org.mozpool.ConflictException} (a conditional change
 * whose {@code from} is not the current state) or {@link org.mozpool.NoSuchDeviceException}.
 * Thread safe.
 */
public interface Lifeguard extends AutoCloseable {

  /** Re-arms every device's timers from the store; overdue timeouts fire at once. */
  void start();

  /** A device was added to the inventory; its machine starts (state {@code new}). */
  void deviceRegistered(String device);

  /** Installs {@code image} with {@code bootConfig} ({@code please_image}). */
  CompletionStage<Void> pleaseImage(String device, String image, Map<String, String> bootConfig);

  /** Power-cycles without re-imaging ({@code please_power_cycle}). */
  CompletionStage<Void> pleasePowerCycle(String device);

  /** Boots the self-test image ({@code please_self_test}). */
  CompletionStage<Void> pleaseSelfTest(String device);

  /** Boots the maintenance image for humans ({@code please_start_maintenance}). */
  CompletionStage<Void> pleaseStartMaintenance(String device);

  /** Moves the device to {@code to} only if it is in {@code from} (a forced, audited change). */
  CompletionStage<Void> changeState(String device, String from, String to);

  /**
   * An event reported by the device itself (the live image's scripts, through the callback
   * endpoint): {@code mobile_init_started}, {@code image_downloading}, … Events the current
   * state does not expect are ignored and logged; the stage still completes normally.
   *
   * @throws NullPointerException at once if {@code device} or {@code event} is null
   */
  CompletionStage<Void> deviceEvent(String device, String event, Map<String, Object> args);

  /** The request holding the device has ended; the release policy applies. */
  CompletionStage<Void> released(String device);

  /** The device's current state. @throws org.mozpool.NoSuchDeviceException if unknown */
  String state(String device);

  /** Stops timers; state stays in the store. Idempotent. */
  @Override
  void close();
}
