package org.mozpool.bmm;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The events a device's live-image scripts may report through the callback endpoint (DESIGN
 * §5.4, §7.4), and the original Mozpool scripts' names for them. Immutable.
 */
public final class DeviceEvents {

  /** The events under their own names. */
  public static final Set<String> EVENTS = Set.of(
      "mobile_init_started", "image_downloading", "image_extracting", "image_rebooting",
      "image_failed", "maint_mode", "self_test_running", "self_test_ok", "failed_self_test");

  /** The original scripts' names, mapped to the events they stand for. */
  public static final Map<String, String> ALIASES = Map.of(
      "b2g_downloading", "image_downloading",
      "android_downloading", "image_downloading",
      "b2g_extracting", "image_extracting",
      "android_extracting", "image_extracting",
      "b2g_rebooting", "image_rebooting",
      "android_rebooting", "image_rebooting",
      "sut_verify_ok", "verify_ok");

  private DeviceEvents() {}

  /** Whether {@code event} is an event or an alias a device may report. */
  public static boolean isKnown(String event) {
    return EVENTS.contains(event) || ALIASES.containsKey(event);
  }

  /** The event {@code event} stands for (itself, or what its alias means); empty if unknown. */
  public static Optional<String> canonical(String event) {
    Objects.requireNonNull(event, "event");
    if (EVENTS.contains(event)) {
      return Optional.of(event);
    }
    return Optional.ofNullable(ALIASES.get(event));
  }
}
