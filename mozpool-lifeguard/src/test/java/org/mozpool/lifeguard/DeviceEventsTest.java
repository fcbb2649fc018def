package org.mozpool.lifeguard;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The original device scripts' event names map to the documented ones (DESIGN §5.4). */
class DeviceEventsTest {

  @ParameterizedTest
  @CsvSource({
      "b2g_downloading, image_downloading",
      "android_downloading, image_downloading",
      "image_downloading, image_downloading",
      "b2g_extracting, image_extracting",
      "android_extracting, image_extracting",
      "b2g_rebooting, image_rebooting",
      "android_rebooting, image_rebooting",
      "sut_verify_ok, verify_ok",
      "MOBILE_INIT_STARTED, mobile_init_started",
      "maint_mode, maint_mode",
      "power_cycle_ok, power_cycle_ok"})
  void aliasesNormaliseToDocumentedNames(String reported, String documented) {
    assertThat(DeviceEvents.normalize(reported)).isEqualTo(documented);
  }

  @ParameterizedTest
  @CsvSource({"power_cycle_ok", "ping_ok", "storage_verify_ok", "probe_failed"})
  void lifeguardsOwnCompletionEventsCannotComeFromADevice(String event) {
    assertThat(DeviceEvents.FROM_DEVICE).doesNotContain(DeviceEvents.normalize(event));
  }
}
