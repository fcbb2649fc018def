package org.mozpool.spi;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.mozpool.PleaseSender;
import org.mozpool.ReturnOutcome;

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
 *
 * <p>Claimed devices: the please-event methods that take a {@link PleaseSender} say who asks. A
 * device a request holds belongs to that request: implementations should refuse please-events
 * from anyone but its {@linkplain PleaseSender#claimHolder claim holder} with a
 * {@link org.mozpool.ConflictException} naming the device and the request, unless the sender
 * {@linkplain PleaseSender#endingLease ends the lease}, in which case the holding request is told
 * {@code failed-bad-device} in the same step. The methods without a sender are an
 * {@linkplain PleaseSender#UNNAMED_OPERATOR unnamed operator}'s. The pool always sends as the claim
 * holder. (The defaults of the sender-taking methods ignore the sender, so implementations written
 * before it existed keep working, without that protection.)
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

  /**
   * {@code please_image} from {@code sender}; see the class comment for claimed devices. The
   * default ignores the sender.
   */
  default CompletionStage<Void> pleaseImage(String device, String image,
      Map<String, String> bootConfig, PleaseSender sender) {
    return pleaseImage(device, image, bootConfig);
  }

  /** {@code please_power_cycle} from {@code sender}. The default ignores the sender. */
  default CompletionStage<Void> pleasePowerCycle(String device, PleaseSender sender) {
    return pleasePowerCycle(device);
  }

  /** {@code please_self_test} from {@code sender}. The default ignores the sender. */
  default CompletionStage<Void> pleaseSelfTest(String device, PleaseSender sender) {
    return pleaseSelfTest(device);
  }

  /** {@code please_start_maintenance} from {@code sender}. The default ignores the sender. */
  default CompletionStage<Void> pleaseStartMaintenance(String device, PleaseSender sender) {
    return pleaseStartMaintenance(device);
  }

  /**
   * The longest the workflow that {@code pleaseEvent} ({@code please_image} or
   * {@code please_power_cycle}) starts may take before this Lifeguard reports its result to the
   * claiming request, every retry of every state used up. The pool waits at least this long in
   * {@code pending} before giving up a device for an {@code any} request, so that it never gives up
   * while Lifeguard is still legitimately retrying ({@link org.mozpool.PoolPolicy#pendingPolls()}).
   * Must return at once, without I/O. The default says nothing (empty): the pool then relies on
   * its own pending limit alone.
   */
  default Optional<Duration> workflowBudget(String pleaseEvent) {
    return Optional.empty();
  }

  /**
   * {@link #workflowBudget(String)} for the workflow that {@code pleaseEvent} starts on {@code
   * device}, for Lifeguards whose timeouts and retry limits differ by the device (its hardware
   * type, its tags). The pool asks this one when it knows the device; the bound must hold for that
   * device. Must return at once, without I/O. The default is {@link #workflowBudget(String)},
   * which must then bound the workflow on every device.
   */
  default Optional<Duration> workflowBudget(String pleaseEvent, DeviceTarget device) {
    return workflowBudget(pleaseEvent);
  }

  /**
   * The client of request {@code requestId} returned {@code device} saying it misbehaved
   * ({@code outcome}, never {@linkplain ReturnOutcome#good() good}: a good return arrives as
   * {@link #released}). The request has closed but still holds the claim, so no other request can
   * be handed the device in the meantime. Implementations record a failure in the device's history
   * with an audit log line naming the requester and the reason, and release the claim in the same
   * step that sends the device to self-test, so it is tested before it serves again. Whatever this
   * stage's outcome, the pool releases the claim afterwards if it is still held.
   *
   * <p>The default asks for a self-test as the claim holder and records nothing.
   */
  default CompletionStage<Void> returnedBad(String device, String requestId,
      ReturnOutcome outcome) {
    return pleaseSelfTest(device, PleaseSender.claimHolder(requestId));
  }

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
