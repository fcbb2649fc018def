package org.mozpool.lifeguard;

import java.util.Locale;
import java.util.Set;

/** Event names of the device state machine: those the live image reports, and internal ones. */
final class DeviceEvents {
  // Reported by the device (the live image's scripts, through the callback endpoint).
  static final String MOBILE_INIT_STARTED = "mobile_init_started";
  static final String IMAGE_DOWNLOADING = "image_downloading";
  static final String IMAGE_EXTRACTING = "image_extracting";
  static final String IMAGE_REBOOTING = "image_rebooting";
  static final String IMAGE_FAILED = "image_failed";
  static final String MAINT_MODE = "maint_mode";
  static final String SELF_TEST_RUNNING = "self_test_running";
  static final String SELF_TEST_OK = "self_test_ok";
  static final String FAILED_SELF_TEST = "failed_self_test";
  static final String VERIFY_OK = "verify_ok";

  /** Argument of {@link #IMAGE_FAILED}: why the image could not be installed. */
  static final String REASON = "reason";

  // Completions of Lifeguard's own hardware operations (never accepted from a device).
  static final String POWER_CYCLE_OK = "power_cycle_ok";
  static final String POWER_CYCLE_FAILED = "power_cycle_failed";
  static final String PING_OK = "ping_ok";
  static final String PING_FAILED = "ping_failed";
  static final String VERIFY_FAILED = "verify_failed";
  static final String STORAGE_VERIFY_OK = "storage_verify_ok";
  static final String STORAGE_VERIFY_FAILED = "storage_verify_failed";
  static final String PROBE_OK = "probe_ok";
  static final String PROBE_FAILED = "probe_failed";

  /** What a device may report; anything else from a device is ignored. */
  static final Set<String> FROM_DEVICE = Set.of(MOBILE_INIT_STARTED, IMAGE_DOWNLOADING,
      IMAGE_EXTRACTING, IMAGE_REBOOTING, IMAGE_FAILED, MAINT_MODE, SELF_TEST_RUNNING, SELF_TEST_OK,
      FAILED_SELF_TEST, VERIFY_OK);

  private DeviceEvents() {}

  /**
   * Maps the original device scripts' names to the documented ones: {@code b2g_downloading},
   * {@code android_downloading} … → {@code image_downloading}; {@code *_extracting} →
   * {@code image_extracting}; {@code *_rebooting} → {@code image_rebooting};
   * {@code sut_verify_ok} → {@code verify_ok}. Other names are returned lower-cased.
   */
  static String normalize(String event) {
    String e = event == null ? "" : event.trim().toLowerCase(Locale.ROOT);
    if (FROM_DEVICE.contains(e)) {
      return e;
    }
    if (e.equals("sut_verify_ok")) {
      return VERIFY_OK;
    }
    if (e.endsWith("_downloading")) {
      return IMAGE_DOWNLOADING;
    }
    if (e.endsWith("_extracting")) {
      return IMAGE_EXTRACTING;
    }
    if (e.endsWith("_rebooting")) {
      return IMAGE_REBOOTING;
    }
    return e;
  }
}
