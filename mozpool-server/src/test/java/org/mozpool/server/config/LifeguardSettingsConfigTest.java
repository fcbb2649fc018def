package org.mozpool.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mozpool.DeviceStates;
import org.mozpool.lifeguard.LifeguardPolicies;
import org.mozpool.lifeguard.LifeguardPolicy;
import org.mozpool.server.ConfigException;
import org.mozpool.server.ConfigLoader;
import org.mozpool.server.ServerConfig;

/** A hardware type's own Lifeguard timeouts, retry limits and temperature limit in the config. */
class LifeguardSettingsConfigTest {

  private static String config(String tegraLifeguard) {
    return """
        instance: lab-1
        auth: open
        hardware_types:
          - {name: panda}
          - name: tegra
            lifeguard:
        """ + tegraLifeguard + """
        pxe_configs: [{name: live, contents: "kernel live"}]
        images:
          - {name: self-test, hidden: true, pxe_configs: {panda: live, tegra: live}}
          - {name: maintenance, hidden: true, pxe_configs: {panda: live, tegra: live}}
        """;
  }

  private static List<String> problems(String yaml) {
    try {
      ConfigLoader.parse("lab.yaml", yaml);
    } catch (ConfigException e) {
      return e.problems();
    }
    throw new AssertionError("the config was accepted");
  }

  @Test
  void aHardwareTypesOwnSettingsApplyOverTheServersPolicyForThatTypeOnly() {
    ServerConfig config = ConfigLoader.parse("lab.yaml", config("""
              timeouts: {pxe_booting: 300, image_extracting: 900}
              retry_limits: {pxe_booting: 10}
        """));
    LifeguardPolicy base = LifeguardPolicy.defaults().withRetryLimit(DeviceStates.VERIFYING, 5);

    LifeguardPolicies policies = config.lifeguardPolicies(base);

    LifeguardPolicy tegra = policies.forHardwareType("tegra");
    assertThat(tegra.timeout(DeviceStates.PXE_BOOTING)).contains(Duration.ofSeconds(300));
    assertThat(tegra.timeout(DeviceStates.IMAGE_EXTRACTING)).contains(Duration.ofSeconds(900));
    assertThat(tegra.retryLimit(DeviceStates.PXE_BOOTING)).isEqualTo(10);
    assertThat(tegra.retryLimit(DeviceStates.VERIFYING)).isEqualTo(5); // the server's, kept
    assertThat(policies.forHardwareType("panda")).isEqualTo(base);
    assertThat(policies.byHardwareType()).containsOnlyKeys("tegra");
  }

  @Test
  void aHardwareTypeMayHaveItsOwnTemperatureLimit() {
    ServerConfig config = ConfigLoader.parse("lab.yaml", config("""
              max_temperature_c: 95
        """));

    LifeguardPolicies policies = config.lifeguardPolicies(LifeguardPolicy.defaults());

    assertThat(policies.forHardwareType("tegra").temperatureLimit()).hasValue(95.0);
    assertThat(policies.forHardwareType("panda").temperatureLimit())
        .hasValue(LifeguardPolicy.DEFAULT_TEMPERATURE_LIMIT_C);
  }

  @Test
  void aTemperatureLimitThatIsNotAWholeNumberIsReported() {
    assertThat(problems(config("""
              max_temperature_c: hot
        """))).singleElement().satisfies(p -> assertThat(p)
        .startsWith("lab.yaml:7: hardware_types[1].lifeguard.max_temperature_c: expected a"
            + " whole number"));
  }

  @Test
  void aTemperatureLimitOutsideThePlausibleRangeIsReportedAtItsLine() {
    for (String limit : List.of("29", "151", "0", "-40", "85000")) {
      assertThat(problems(config("""
                max_temperature_c: %s
          """.formatted(limit)))).as(limit).singleElement().satisfies(p -> assertThat(p)
          .startsWith("lab.yaml:7: hardware_types[1].lifeguard.max_temperature_c: the board"
              + " temperature at or over which a device is out of service, in whole degrees"
              + " Celsius from 30 to 150 (default 85), got " + limit));
    }
    assertThat(problems(config("""
              max_temperature_c: 85000
        """))).singleElement().satisfies(p -> assertThat(p).endsWith("(millidegrees? give"
        + " degrees)"));
  }

  @Test
  void theEndsOfThePlausibleRangeAreAccepted() {
    for (int limit : new int[] {30, 150}) {
      ServerConfig config = ConfigLoader.parse("lab.yaml", config("""
                max_temperature_c: %d
          """.formatted(limit)));

      assertThat(config.lifeguardPolicies(LifeguardPolicy.defaults()).forHardwareType("tegra")
          .temperatureLimit()).hasValue(limit);
    }
  }

  @Test
  void withoutSettingsEveryTypeFollowsTheServersPolicy() {
    ServerConfig config = ConfigLoader.parse("lab.yaml", config("").replace(
        "    lifeguard:\n", ""));

    assertThat(config.hardwareTypes().get(1).lifeguard().isEmpty()).isTrue();
    assertThat(config.lifeguardPolicies(LifeguardPolicy.defaults()))
        .isEqualTo(LifeguardPolicies.of(LifeguardPolicy.defaults()));
  }

  @Test
  void unknownStatesNegativeValuesAndUnknownKeysAreReportedAtTheirLines() {
    List<String> problems = problems(config("""
              timeouts: {pxe_boot: 300, verifying: -1}
              retry_limits: {ready: 3, pxe_booting: -2}
              quarantine: 3
        """));

    assertThat(problems).hasSize(5);
    assertThat(problems).anySatisfy(p -> assertThat(p)
        .startsWith("lab.yaml:7: hardware_types[1].lifeguard.timeouts.pxe_boot: state 'pxe_boot'"
            + " has no configurable timeout; expected one of"));
    assertThat(problems).anySatisfy(p -> assertThat(p)
        .startsWith("lab.yaml:7: hardware_types[1].lifeguard.timeouts.verifying: timeout of"
            + " verifying must be zero or positive"));
    assertThat(problems).anySatisfy(p -> assertThat(p)
        .startsWith("lab.yaml:8: hardware_types[1].lifeguard.retry_limits.ready: state 'ready'"
            + " has no retry limit"));
    assertThat(problems).anySatisfy(p -> assertThat(p)
        .startsWith("lab.yaml:8: hardware_types[1].lifeguard.retry_limits.pxe_booting: retry"
            + " limit of pxe_booting must be at least 0, got -2"));
    assertThat(problems).anySatisfy(p -> assertThat(p)
        .startsWith("lab.yaml:9: hardware_types[1].lifeguard.quarantine:"));
  }

  @Test
  void aTimeoutThatIsNotAWholeNumberIsReported() {
    assertThat(problems(config("""
              timeouts: {pxe_booting: 5m}
        """))).singleElement().satisfies(p -> assertThat(p)
        .startsWith("lab.yaml:7: hardware_types[1].lifeguard.timeouts.pxe_booting: expected a"
            + " whole number"));
  }

  @Test
  void theSampleConfigGivesTegrasTheirOwnPxeBootTimeout() {
    ServerConfig config = ConfigLoader.load(ConfigLoaderTest.SAMPLE);

    assertThat(config.lifeguardPolicies(LifeguardPolicy.defaults()).forHardwareType("tegra")
        .timeout(DeviceStates.PXE_BOOTING)).contains(Duration.ofSeconds(300));
  }

  @Test
  void aConfigBuiltInCodeIsCheckedToo() {
    ServerConfig parsed = ConfigLoader.parse("lab.yaml", config("""
              timeouts: {pxe_booting: 300}
        """));
    ServerConfig bad = new ServerConfig(parsed.instance(), parsed.database(), parsed.api(),
        parsed.tftp(), parsed.auth(), parsed.probe(), List.of(parsed.hardwareTypes().get(0),
            new ServerConfig.HardwareTypeEntry("tegra", "", "pxe",
                new ServerConfig.LifeguardSettings(java.util.Map.of("nope", 1), null))),
        parsed.pxeConfigs(), parsed.images(), parsed.relayBoards(), parsed.devices());

    assertThatThrownBy(() -> ConfigLoader.check(bad, null))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("hardware_types[1].lifeguard.timeouts.nope");
  }
}
