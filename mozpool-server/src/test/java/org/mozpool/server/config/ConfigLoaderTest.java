package org.mozpool.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.server.ConfigException;
import org.mozpool.server.ConfigLoader;
import org.mozpool.server.ServerConfig;

/** A config is checked as a whole: every problem at once, each with its file, line and field. */
class ConfigLoaderTest {
  static final Path SAMPLE = Path.of("config", "lab.sample.yaml");

  @TempDir
  Path dir;

  private static List<String> problems(String yaml) {
    try {
      ConfigLoader.parse("lab.yaml", yaml);
    } catch (ConfigException e) {
      return e.problems();
    }
    throw new AssertionError("the config was accepted");
  }

  /** The smallest usable config, with {@code more} appended. */
  private static String minimal(String more) {
    return """
        instance: lab-1
        auth: open
        hardware_types: [{name: panda}]
        pxe_configs: [{name: live, contents: "kernel live"}]
        images:
          - {name: self-test, hidden: true, pxe_configs: {panda: live}}
          - {name: maintenance, hidden: true, pxe_configs: {panda: live}}
        """ + more;
  }

  @Test
  void theSampleConfigLoadsWithoutProblems() {
    ServerConfig config = ConfigLoader.load(SAMPLE);

    assertThat(config.instance()).isEqualTo("mtv1-imaging-1");
    assertThat(config.hardwareTypes()).extracting(ServerConfig.HardwareTypeEntry::name)
        .containsExactly("panda", "tegra");
    assertThat(config.images()).extracting(ServerConfig.ImageEntry::name)
        .containsExactly("self-test", "maintenance", "b2g", "android");
    assertThat(config.images().get(2).bootConfigKeys()).containsExactly("b2gbase");
    assertThat(config.relayBoards()).hasSize(2);
    assertThat(config.devices()).hasSize(12);
    assertThat(config.devices()).allSatisfy(d -> assertThat(d.tags()).containsKeys("rack",
        "chassis"));
    assertThat(config.auth().open()).isFalse();
    assertThat(config.auth().tokens()).extracting(ServerConfig.TokenEntry::role)
        .containsExactly("client", "client", "operator");
    assertThat(config.database().passwordEnv()).isEqualTo("MOZPOOL_DB_PASSWORD");
  }

  @Test
  void aBrokenConfigReportsEveryProblemAtOnceEachAtItsLine() {
    String yaml = """
        instance: "lab 1"
        database:
          url: "mysql://db/mozpool"
          password: hunter2
        api:
          listen: "127.0.0.1:99999"
          public_url: "ftp://x"
        tftp: {port: sixty-nine}
        auth:
          tokens:
            - {name: ci, role: admin, token: abc123}
            - {name: ci, role: client, token_env: "MY TOKEN"}
        probe: {ping: "udp:7", agent_port: 0}
        hardware_types:
          - {name: panda}
          - {name: panda}
        pxe_configs:
          - {name: live}
        images:
          - name: self-test
            pxe_configs: {panda: live, tegra: live}
          - name: b2g
            pxe_configs: {panda: nope}
            reusable: maybe
        relay_boards:
          - {name: relay-1, host: relay.lab}
          - {name: relay-2, host: relay.lab, port: 2101}
        devices:
          - name: panda-1
            mac: "00:11:22:33:44:55"
            hardware: panda
            power: proxr://relay.lab/bank/1/relay/1
          - name: panda-2
            mac: "zz:11"
            hardware: tegra
            power: proxr://relay.lab/bank/9/relay/1
          - name: panda-3
            mac: "00-11-22-33-44-55"
            hardware: panda
            power: "proxr://relay.lab:2101/bank/1/relay/1"
            colour: blue
          - name: "panda 4"
            fqdn: "-bad-"
            hardware: panda
            tags: {rack: }
        """;

    assertThat(problems(yaml)).containsExactly(
        "lab.yaml:1: instance: must be 1-128 letters, digits, '.', '_', ':' or '-' starting"
            + " with a letter or digit, got 'lab 1'",
        "lab.yaml:3: database.url: expected h2:PATH (an embedded database) or a JDBC URL"
            + " (jdbc:postgresql://…, jdbc:mariadb://…), got 'mysql://db/mozpool'",
        "lab.yaml:4: database.password: secrets are never written in the config: name the"
            + " environment variable that holds it with password_env, or a file whose first"
            + " line it is with password_file",
        "lab.yaml:6: api.listen: expected HOST:PORT (e.g. 127.0.0.1:8080, 0.0.0.0:8080,"
            + " [::1]:8080; port 0 picks a free one), got '127.0.0.1:99999'",
        "lab.yaml:7: api.public_url: expected an http:// or https:// base URL such as"
            + " http://10.12.0.1:8080, got 'ftp://x'",
        "lab.yaml:8: tftp.port: expected a whole number, got 'sixty-nine'",
        "lab.yaml:11: auth.tokens[0].token: secrets are never written in the config: name the"
            + " environment variable that holds it with token_env, or a file whose first line"
            + " it is with token_file",
        "lab.yaml:11: auth.tokens[0].role: expected client or operator, got 'admin'",
        "lab.yaml:11: auth.tokens[0]: needs token_env (an environment variable holding the"
            + " token) or token_file",
        "lab.yaml:12: auth.tokens[1].token_env: must name an environment variable (letters,"
            + " digits and '_', not starting with a digit), got 'MY TOKEN' (secrets are never"
            + " written in the config)",
        "lab.yaml:12: auth.tokens[1].name: 'ci' is also auth.tokens[0]'s (line 11)",
        "lab.yaml:13: probe.ping: expected icmp or tcp:PORT, got 'udp:7'",
        "lab.yaml:13: probe.agent_port: a port is 1 to 65535, got 0",
        "lab.yaml:16: hardware_types[1].name: 'panda' is also hardware_types[0]'s (line 15)",
        "lab.yaml:18: pxe_configs[0]: needs contents (the pxelinux config) or file",
        "lab.yaml:19: images: no 'maintenance' image: Lifeguard boots it for operators;"
            + " declare it (hidden: true) with a PXE config for panda, tegra, or declare hardware"
            + " that has no live image with self_test: power_cycle",
        "lab.yaml:21: images[0].pxe_configs.tegra: no hardware type 'tegra' is declared in"
            + " hardware_types",
        "lab.yaml:23: images[1].pxe_configs.panda: no PXE config 'nope' is declared in"
            + " pxe_configs",
        "lab.yaml:24: images[1].reusable: expected true or false, got 'maybe'",
        "lab.yaml:27: relay_boards[1].host: 'relay.lab:2101' is also relay_boards[0]'s"
            + " (line 26)",
        "lab.yaml:34: devices[1].mac: MAC address must be 12 hex digits, got 'zz:11'",
        "lab.yaml:35: devices[1].hardware: no hardware type 'tegra' is declared in"
            + " hardware_types",
        "lab.yaml:36: devices[1].power: bad power address 'proxr://relay.lab/bank/9/relay/1':"
            + " bank must be 1..4, got 9 (board relay.lab:2101)",
        "lab.yaml:38: devices[2].mac: '00-11-22-33-44-55' is also the MAC address of devices[0]"
            + " (line 29): each device needs its own (it names its PXE config file)",
        "lab.yaml:40: devices[2].power: bank 1 relay 1 of relay.lab:2101 also switches"
            + " devices[0] (line 29)",
        "lab.yaml:41: devices[2].colour: unknown key; expected one of name, mac, fqdn,"
            + " hardware, model, environment, power, tags, comments",
        "lab.yaml:42: devices[3].name: device name must be 1-128 letters, digits, '.', '_', ':'"
            + " or '-' starting with a letter or digit, got 'panda 4'",
        "lab.yaml:42: devices[3].mac: required",
        "lab.yaml:43: devices[3].fqdn: fqdn must be a host name (RFC 1123: at"
            + " most 253 characters, dot-separated labels of 1-63 letters, digits or '-' that"
            + " neither start nor end with '-'), got '-bad-'",
        "lab.yaml:45: devices[3].tags.rack: has no value");
  }

  @Test
  void aYamlSyntaxErrorIsReportedWithItsLine() {
    assertThat(problems("""
        instance: lab-1
        devices:
          - {name: panda-1, mac: [1, 2
        auth: open
        """)).singleElement().asString()
        .startsWith("lab.yaml:4: not valid YAML: while parsing a flow sequence: expected ',' or"
            + " ']', but got");
  }

  @Test
  void aDuplicateKeyIsReportedAtItsSecondOccurrence() {
    assertThat(problems(minimal("""
        devices:
          - {name: panda-1, mac: "001122334455", hardware: panda}
        instance: lab-2
        """))).containsExactly(
            "lab.yaml:10: instance: duplicate key (also on line 1)");
  }

  @Test
  void aValueOfTheWrongKindIsReportedOnceNotAgainByEveryCheckThatMissesIt() {
    assertThat(problems(minimal("""
        devices:
          - {name: panda-1, mac: [0, 17], hardware: panda}
          - {name: panda-2, mac: "001122334455", hardware: [panda]}
        """))).containsExactly(
            "lab.yaml:9: devices[0].mac: expected a text value, got a list",
            "lab.yaml:10: devices[1].hardware: expected a text value, got a list");
  }

  @Test
  void aProblemWithASectionDoesNotHideProblemsOfItsEntries() {
    assertThat(problems(minimal("""
          - {name: b2g, pxe_configs: {tegra: live}}
        devices:
          - {name: panda-1, mac: "001122334455", hardware: panda}
        """).replace("  - {name: maintenance, hidden: true, pxe_configs: {panda: live}}\n", "")))
        .containsExactly(
            "lab.yaml:5: images: no 'maintenance' image: Lifeguard boots it for operators;"
                + " declare it (hidden: true) with a PXE config for panda, or declare hardware"
                + " that has no live image with self_test: power_cycle",
            "lab.yaml:7: images[1].pxe_configs.tegra: no hardware type 'tegra' is declared in"
                + " hardware_types");
  }

  @Test
  void authMustBeWrittenOpenOrListTokens() {
    String noAuth = minimal("").replace("auth: open\n", "");
    assertThat(problems(noAuth)).containsExactly("lab.yaml: auth: no API tokens: list tokens"
        + " (name, role, token_env or token_file), or write `auth: open` to run the API without"
        + " authentication");
    assertThat(ConfigLoader.parse("lab.yaml", minimal("")).auth().open()).isTrue();
    assertThat(ConfigLoader.parse("lab.yaml", minimal("").replace("auth: open",
        "auth: {mode: open}")).auth().open()).isTrue();
    assertThat(problems(minimal("").replace("auth: open", "auth: closed")))
        .containsExactly("lab.yaml:2: auth: expected `open` or a mapping with tokens, got"
            + " 'closed'");
  }

  @Test
  void theUtilityImagesMustInstallOnEveryHardwareTypeThatHasDevices() {
    String yaml = minimal("""
        devices:
          - {name: panda-1, mac: "001122334455", hardware: panda}
          - {name: tegra-1, mac: "001122334466", hardware: tegra}
        """).replace("[{name: panda}]", "[{name: panda}, {name: tegra}]");

    assertThat(problems(yaml)).containsExactly(
        "lab.yaml:6: images[0].pxe_configs: no PXE config for hardware type tegra, which has"
            + " devices: Lifeguard boots it to test devices (hardware without a live image:"
            + " self_test: power_cycle)",
        "lab.yaml:7: images[1].pxe_configs: no PXE config for hardware type tegra, which has"
            + " devices: Lifeguard boots it for operators (hardware without a live image:"
            + " self_test: power_cycle)");
  }

  @Test
  void hardwareWithoutALiveImageSaysSoAndThenNeedsNoUtilityImages() {
    String yaml = """
        instance: lab-1
        auth: open
        hardware_types:
          - {name: panda}
          - {name: relay-only, self_test: power_cycle}
        pxe_configs: [{name: live, contents: "kernel live"}]
        images:
          - {name: self-test, hidden: true, pxe_configs: {panda: live, relay-only: live}}
          - {name: maintenance, hidden: true, pxe_configs: {panda: live}}
        devices:
          - {name: panda-1, mac: "001122334455", hardware: panda}
          - {name: box-1, mac: "001122334466", hardware: relay-only}
        """;

    assertThat(problems(yaml)).containsExactly("lab.yaml:8: images[0].pxe_configs.relay-only:"
        + " hardware type relay-only self-tests by power cycle (self_test: power_cycle): the"
        + " self-test image must not install on it");
    assertThat(ConfigLoader.parse("lab.yaml", yaml.replace(", relay-only: live", ""))
        .hardwareTypes().get(1).selfTest()).isEqualTo("power_cycle");
    assertThat(problems(yaml.replace("power_cycle", "ping"))).contains(
        "lab.yaml:5: hardware_types[1].self_test: expected pxe (boot the self-test image) or"
            + " power_cycle (a power cycle and a ping), got 'ping'");
  }

  @Test
  void aDatabaseUrlCarryingAPasswordIsRefused() {
    assertThat(problems(minimal("""
        database: {url: "jdbc:postgresql://db/mozpool?user=mozpool&password=hunter2"}
        """))).containsExactly("lab.yaml:8: database.url: the URL carries a password: secrets"
            + " are never written in the config; name it with password_env or password_file");
  }

  @Test
  void aClusterSectionSharesADatabaseServerNamesItsLabNetworkAndLivesOnAtLeastThreeHeartbeats() {
    ServerConfig config = ConfigLoader.parse("lab.yaml", minimal("""
        database: {url: "jdbc:postgresql://db/mozpool"}
        cluster: {lab_network: net-1, standby_for: [net-2], heartbeat_ms: 500,
          dead_after_ms: 5000}
        """));
    assertThat(config.cluster().policy("http://a:8080").standbyFor()).containsExactly("net-2");
    assertThat(config.cluster().policy("http://a:8080").deadAfter()).hasSeconds(5);

    assertThat(problems(minimal("""
        cluster: {lab_network: net-1}
        """))).containsExactly("lab.yaml:8: cluster: several instances share one database"
            + " server (PostgreSQL, or MariaDB); an embedded h2: database belongs to one process");
    assertThat(problems(minimal("""
        database: {url: "jdbc:postgresql://db/mozpool"}
        cluster: {standby_for: [net-2]}
        """))).containsExactly("lab.yaml:9: cluster.lab_network: required: the lab network"
            + " whose relay boards and TFTP this instance serves (e.g. mtv1-net1)");
    assertThat(problems(minimal("""
        database: {url: "jdbc:postgresql://db/mozpool"}
        cluster: {lab_network: net-1, heartbeat_ms: 1000, dead_after_ms: 2999}
        """))).containsExactly("lab.yaml:9: cluster: dead-after silence PT2.999S must be at least"
            + " three heartbeats (PT3S)");
  }

  @Test
  void filesTheConfigNamesMustExistNextToIt() throws Exception {
    Path file = dir.resolve("lab.yaml");
    Files.writeString(file, minimal("").replace("contents: \"kernel live\"", "file: live.cfg")
        .replace("auth: open", "auth: {tokens: [{name: ops, role: operator,"
            + " token_file: secrets/ops}]}"));

    assertThatThrownBy(() -> ConfigLoader.load(file)).isInstanceOf(ConfigException.class)
        .extracting(e -> ((ConfigException) e).problems()).asList().containsExactly(
            "lab.yaml:2: auth.tokens[0].token_file: no readable file " + dir.resolve("secrets/ops"),
            "lab.yaml:4: pxe_configs[0].file: no readable file " + dir.resolve("live.cfg"));

    Files.createDirectories(dir.resolve("secrets"));
    Files.writeString(dir.resolve("secrets/ops"), "s3cret\n");
    Files.writeString(dir.resolve("live.cfg"), "kernel live\n");
    assertThat(ConfigLoader.load(file).pxeConfigs().get(0).file()).isEqualTo("live.cfg");
  }

  @Test
  void aConfigBuiltInCodeGetsTheSameChecksWithoutLines() {
    ServerConfig config = ConfigLoader.parse("lab.yaml", minimal(""));
    ServerConfig built = new ServerConfig(config.instance(), config.database(), config.api(),
        config.tftp(), config.auth(), config.probe(), config.hardwareTypes(),
        config.pxeConfigs(), config.images(), config.relayBoards(), List.of(
            new ServerConfig.DeviceEntry("panda-1", "zz", null, "panda", null, null, null, null,
                null)));

    assertThatThrownBy(() -> ConfigLoader.check(built, null)).isInstanceOf(ConfigException.class)
        .extracting(e -> ((ConfigException) e).problems()).asList().containsExactly(
            "config: devices[0].mac: MAC address must be 12 hex digits, got 'zz'");
    assertThat(ConfigLoader.check(config, null)).isSameAs(config);
  }

  @Test
  void theExceptionMessageListsEveryProblem() {
    assertThatThrownBy(() -> ConfigLoader.parse("lab.yaml", minimal("""
        devices:
          - {name: panda-1, mac: "zz", hardware: panda}
          - {name: panda-2, mac: "yy", hardware: panda}
        """))).hasMessage("""
            the config has 2 problems:
              lab.yaml:9: devices[0].mac: MAC address must be 12 hex digits, got 'zz'
              lab.yaml:10: devices[1].mac: MAC address must be 12 hex digits, got 'yy'""");
  }
}
