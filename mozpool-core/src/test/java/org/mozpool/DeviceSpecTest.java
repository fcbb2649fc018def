package org.mozpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DeviceSpecTest {

  // An fqdn of its own: a name may hold '_' and ':', which a host name may not.
  private static DeviceSpec.Builder panda(String name) {
    return DeviceSpec.builder(name).fqdn("panda.lab").mac("00:11:22:33:44:55")
        .hardwareType("panda");
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

  // ---- fqdn ----

  @ParameterizedTest
  @ValueSource(strings = {"panda-0042.lab.example.com", "panda-1", "127.0.0.5", "0panda.lab",
      "PANDA-1.Lab"})
  void anFqdnIsAHostNameAsRfc1123AllowsIt(String fqdn) {
    assertThat(panda("panda-1").fqdn(fqdn).build().fqdn()).isEqualTo(fqdn);
  }

  @Test
  void anFqdnIsAtMost253CharactersInLabelsOfAtMost63() {
    String label = "a".repeat(63);
    String longest = String.join(".", label, label, label, "b".repeat(61));
    assertThat(panda("panda-1").fqdn(longest).build().fqdn()).hasSize(253);
    assertThatThrownBy(() -> panda("panda-1").fqdn(longest + "b").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("fqdn of device panda-1 must be a host name")
        .hasMessageContaining("(254 characters)");
    assertThatThrownBy(() -> panda("panda-1").fqdn("a".repeat(64) + ".lab").build())
        .hasMessageContaining("fqdn of device panda-1 must be a host name");
  }

  @ParameterizedTest
  @ValueSource(strings = {"evil host;rm -rf /", "", "panda..lab", ".panda.lab", "panda.lab.",
      "-panda.lab", "panda-.lab", "panda_1.lab", "pändä.lab", "panda.lab:80", "http://panda"})
  void anythingElseIsRefusedAsFqdnNamingTheFieldAndTheRule(String fqdn) {
    assertThatThrownBy(() -> panda("panda-1").fqdn(fqdn).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("fqdn of device panda-1 must be a host name (RFC 1123: at most 253"
            + " characters, dot-separated labels of 1-63 letters, digits or '-' that neither start"
            + " nor end with '-'), got '" + fqdn + "'");
  }

  @Test
  void anFqdnThreeHundredCharactersLongIsRefusedShowingItsLength() {
    String fqdn = "a".repeat(60) + "." + "b".repeat(60) + "." + "c".repeat(60) + "."
        + "d".repeat(60) + "." + "e".repeat(56);
    assertThat(fqdn).hasSize(300);
    assertThatThrownBy(() -> panda("panda-1").fqdn(fqdn).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageEndingWith("got '" + fqdn.substring(0, 64) + "…' (300 characters)");
  }

  @Test
  void withoutAnFqdnTheNameIsTheFqdnAndMustBeAHostName() {
    assertThat(DeviceSpec.builder("panda-1").mac("001122334455").hardwareType("panda").build()
        .fqdn()).isEqualTo("panda-1");
    assertThatThrownBy(() -> DeviceSpec.builder("panda_1").mac("001122334455")
        .hardwareType("panda").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("fqdn of device panda_1 defaults to its name, 'panda_1', which is"
            + " not a host name: give one with .fqdn(...)");
  }

  // ---- power address ----

  @ParameterizedTest
  @ValueSource(strings = {"", "proxr://relay-3.lab:2101/bank/2/relay/5", "proxr://relay-3.lab",
      "proxr://[::1]:2101/bank/1/relay/1", "relay://1/3", "relay://bank/1/relay/panda-1",
      "sim://rack-1/3", "ipmi+lan://admin@bmc-7.lab/chassis?x=%20y",
      // the original Mozpool's form, which README promises and mozpool-bmm's RelayAddress reads
      "relay-3.lab:2101:bank2:relay5", "relay:bank1:relay2"})
  void aPowerAddressIsEmptyAUriWithSchemeAndAuthorityOrTheOriginalRelayForm(String address) {
    assertThat(panda("panda-1").powerAddress(address).build().powerAddress()).isEqualTo(address);
  }

  @ParameterizedTest
  @ValueSource(strings = {"garbage", "relay-3.lab", "proxr://", "proxr:///bank/1/relay/1",
      "://relay-3.lab", "1proxr://relay-3.lab", "proxr://relay 3.lab/bank/1/relay/1",
      "proxr://relay-3.lab/bank/1/relay/1\n", "proxr://relay-3.lab/%zz", "proxr://relay-3.lab/%2",
      "mailto:ops@lab", "relay-3.lab:2101:bank2", "proxr://relay-3.lab/{bank}"})
  void anythingElseIsRefusedAsPowerAddressNamingTheFieldAndTheForms(String address) {
    assertThatThrownBy(() -> panda("panda-1").powerAddress(address).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("power address of device panda-1 must be empty, a URI"
            + " scheme://authority[/path] (e.g. proxr://relay-3.lab:2101/bank/2/relay/5) or the"
            + " original relay form host[:port]:bankB:relayR, at most 1024 characters, got '"
            + address + "'");
  }

  @Test
  void aPowerAddressIsAtMost1024Characters() {
    String address = "proxr://relay-3.lab/" + "x".repeat(1004);
    assertThat(panda("panda-1").powerAddress(address).build().powerAddress()).hasSize(1024);
    assertThatThrownBy(() -> panda("panda-1").powerAddress(address + "x").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("power address of device panda-1 must be")
        .hasMessageEndingWith("(1025 characters)");
  }

  // ---- other fields ----

  @Test
  void aNullTagKeyIsRefusedNamingTheField() {
    assertThatThrownBy(() -> panda("panda-1").tag(null, "3"))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("tag key of device panda-1 must not be null");
    java.util.Map<String, String> tags = new java.util.HashMap<>();
    tags.put(null, "3");
    assertThatThrownBy(() -> new DeviceSpec("panda-1", null, "001122334455", "panda", "",
        "production", tags, "", "", ""))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("tag key of device panda-1 must not be null");
  }

  @Test
  void aNullTagValueIsRefusedNamingTheTag() {
    assertThatThrownBy(() -> panda("panda-1").tag("rack", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("tag 'rack' of device panda-1 must have a value, got null");
  }

  @Test
  void aHardwareModelIsAtMost255Characters() {
    assertThat(panda("panda-1").hardwareType("panda").hardwareModel("m".repeat(255)).build()
        .hardwareModel())
        .hasSize(255);
    assertThatThrownBy(() -> panda("panda-1").hardwareType("panda").hardwareModel("m".repeat(256))
        .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("hardware model of device panda-1 must be at most 255 characters");
  }

  @Test
  void theServerIsEmptyOrAName() {
    assertThat(panda("panda-1").server("imaging-1").build().server()).isEqualTo("imaging-1");
    assertThat(panda("panda-1").server(null).build().server()).isEmpty();
    assertThatThrownBy(() -> panda("panda-1").server("imaging 1; drop").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("server of device panda-1 must be 1-128 letters");
  }

  // ---- the builder checks each value as it is set ----

  @Test
  void aBuilderRefusesABadNameAtOnce() {
    assertThatThrownBy(() -> DeviceSpec.builder("panda 1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("device name must be 1-128 letters, digits, '.', '_', ':' or '-' starting with"
            + " a letter or digit, got 'panda 1'");
  }

  @Test
  void eachSetterRefusesAMalformedValueAtOnceNamingTheFieldTheDeviceAndTheValue() {
    DeviceSpec.Builder b = DeviceSpec.builder("panda-1");
    assertThatThrownBy(() -> b.fqdn("panda_1.lab"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("fqdn of device panda-1 must be a host name")
        .hasMessageEndingWith("got 'panda_1.lab'");
    assertThatThrownBy(() -> b.mac("00:11:22"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("MAC address must be 12 hex digits, got '00:11:22'");
    assertThatThrownBy(() -> b.mac(null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("MAC address is required");
    assertThatThrownBy(() -> b.hardwareType("pan da"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("hardware type of device panda-1 must be 1-128 letters")
        .hasMessageEndingWith("got 'pan da'");
    assertThatThrownBy(() -> b.hardwareType(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("hardware type of device panda-1 must be").hasMessageEndingWith("got null");
    assertThatThrownBy(() -> b.hardwareModel("m".repeat(256)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("hardware model of device panda-1 must be at most 255 characters");
    assertThatThrownBy(() -> b.environment(""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("environment of device panda-1 must be 1-128 letters")
        .hasMessageEndingWith("got ''");
    assertThatThrownBy(() -> b.powerAddress("relay-3.lab"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("power address of device panda-1 must be empty")
        .hasMessageEndingWith("got 'relay-3.lab'");
    assertThatThrownBy(() -> b.server("imaging 1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("server of device panda-1 must be 1-128 letters");
  }

  @Test
  void aRefusedValueLeavesTheBuilderAsItWas() {
    DeviceSpec.Builder b = panda("panda-1").environment("staging");
    assertThatThrownBy(() -> b.environment("not an environment"));
    assertThat(b.build().environment()).isEqualTo("staging");
  }

  @Test
  void nullOptionalValuesReturnToTheirDefaults() {
    DeviceSpec spec = panda("panda-1").fqdn(null).hardwareModel(null).powerAddress(null)
        .server(null).comments(null).build();
    assertThat(spec.fqdn()).isEqualTo("panda-1");
    assertThat(spec.hardwareModel()).isEmpty();
    assertThat(spec.powerAddress()).isEmpty();
    assertThat(spec.server()).isEmpty();
    assertThat(spec.comments()).isEmpty();
    assertThat(spec.environment()).isEqualTo("production");
  }

  @Test
  void aMacAddressAndAHardwareTypeNeverSetAreRefusedByBuild() {
    assertThatThrownBy(() -> DeviceSpec.builder("panda-1").hardwareType("panda").build())
        .isInstanceOf(IllegalArgumentException.class).hasMessage("MAC address is required");
    assertThatThrownBy(() -> DeviceSpec.builder("panda-1").mac("001122334455").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("hardware type of device panda-1 must be")
        .hasMessageEndingWith("got null");
  }

  @Test
  @SuppressWarnings("deprecation")
  void theOldHardwareSetterSetsTypeAndModelAsTheNewOnesDo() {
    assertThat(DeviceSpec.builder("panda-1").mac("001122334455").hardware("panda", "ES Rev B2")
        .build())
        .isEqualTo(DeviceSpec.builder("panda-1").mac("001122334455").hardwareType("panda")
            .hardwareModel("ES Rev B2").build());
    assertThatThrownBy(() -> DeviceSpec.builder("panda-1").hardware("pan da", ""))
        .hasMessageStartingWith("hardware type of device panda-1 must be");
  }

  // ---- toBuilder ----

  private static DeviceSpec everyFieldSet() {
    return DeviceSpec.builder("panda-0042").fqdn("panda-0042.lab").mac("aa:bb:cc:dd:ee:ff")
        .hardwareType("panda").hardwareModel("ES Rev B2").environment("staging")
        .tag("rack", "3").tag("chassis", "7").powerAddress("proxr://relay-3.lab:2101/bank/2/relay/5")
        .server("imaging-1").comments("replaced SD card").build();
  }

  @Test
  void aSpecRebuiltFromItsBuilderEqualsIt() {
    DeviceSpec spec = everyFieldSet();
    assertThat(spec.toBuilder().build()).isEqualTo(spec);
    DeviceSpec defaults = DeviceSpec.builder("panda-1").mac("001122334455").hardwareType("panda")
        .build();
    assertThat(defaults.toBuilder().build()).isEqualTo(defaults);
  }

  @Test
  void changingOneFieldThroughToBuilderKeepsTheOthers() {
    DeviceSpec spec = everyFieldSet();
    DeviceSpec moved = spec.toBuilder().environment("production").tag("rack", "4").build();
    assertThat(moved.environment()).isEqualTo("production");
    assertThat(moved.tags()).containsExactlyInAnyOrderEntriesOf(
        java.util.Map.of("rack", "4", "chassis", "7"));
    assertThat(moved).usingRecursiveComparison().ignoringFields("environment", "tags")
        .isEqualTo(spec);
    assertThat(spec.environment()).isEqualTo("staging");
    assertThat(spec.tags()).containsEntry("rack", "3");
  }
}
