package org.mozpool.spi;

import java.util.Objects;
import java.util.Optional;

/**
 * A {@link DeviceChooser}'s answer: one candidate to claim, or "none of these now".
 *
 * <p>"None now" leaves the request waiting in {@code finding_device}, exactly as when no device is
 * free: it is asked again when a matching device frees and on every queue re-check, and it fails
 * with {@code failed_device_not_found} when its wait budget runs out; the failure reason then
 * quotes the chooser's last reason.
 *
 * @param device the name of the candidate to claim, or empty for none now
 * @param reason why none now (logged once per search in the request's log); empty for a choice
 */
public record Selection(Optional<String> device, String reason) {

  /** Checks for nulls. */
  public Selection {
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(reason, "reason");
  }

  /** Claim the candidate named {@code device}. */
  public static Selection of(String device) {
    return new Selection(Optional.of(Objects.requireNonNull(device, "device")), "");
  }

  /** Claim {@code candidate}. */
  public static Selection of(Candidate candidate) {
    return of(candidate.name());
  }

  /**
   * None of the candidates now: the request keeps waiting.
   *
   * @param reason why, for the request's log (e.g. "waiting for a device with fewer failures")
   */
  public static Selection noneNow(String reason) {
    return new Selection(Optional.empty(), Objects.requireNonNull(reason, "reason"));
  }

  /** Whether a device was chosen. */
  public boolean chosen() {
    return device.isPresent();
  }
}
