package org.mozpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DeviceSpecTest {

  private static DeviceSpec.Builder panda(String name) {
    return DeviceSpec.builder(name).mac("00:11:22:33:44:55").hardware("panda", "");
  }

  @ParameterizedTest
  @ValueSource(strings = {"aa:BB:cc:DD:ee:FF", "aa-bb-cc-dd-ee-ff", "aabb.ccdd.eeff",
      "aa bb cc dd ee ff", "AABBCCDDEEFF"})
  void aMacAddressIsNormalisedToTwelveLowerCaseHexDigits(String written) {
    assertThat(DeviceSpec.normalizeMac(written)).isEqualTo("aabbccddeeff");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "00:11:22", "00:11:22:33:44:55:66", "00:11:22:33:44:5g",
      "00_11_22_33_44_55", "0011223344556"})
  void anythingElseIsNotAMacAddress(String written) {
    assertThatThrownBy(() -> DeviceSpec.normalizeMac(written))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("12 hex digits").hasMessageContaining(written);
  }

  @Test
  void aMissingMacAddressIsRefused() {
    assertThatThrownBy(() -> DeviceSpec.normalizeMac(null)).hasMessageContaining("required");
  }

  @ParameterizedTest
  @ValueSource(strings = {"panda-0042", "p", "Tegra_3.lab:7", "0panda"})
  void namesAreLettersDigitsDotsUnderscoresColonsAndDashes(String name) {
    assertThat(panda(name).build().name()).isEqualTo(name);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "-panda", ".panda", "panda 1", "panda/1", "pändä"})
  void otherNamesAreRefusedWithTheRule(String name) {
    assertThatThrownBy(() -> panda(name).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("device name must be 1-128 letters");
  }

  @Test
  void aNameIsAtMost128Characters() {
    assertThat(panda("p".repeat(128)).build().name()).hasSize(128);
    assertThatThrownBy(() -> panda("p".repeat(129)).build())
        .hasMessageContaining("1-128");
  }
}
