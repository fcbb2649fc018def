package org.mozpool.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.DeviceStates;
import org.mozpool.DeviceView;
import org.mozpool.LogEntry;
import org.mozpool.server.ConfigException;
import org.mozpool.server.ConfigLoader;
import org.mozpool.server.MozpoolServer;

/** Successive starts of a server over one H2 database, with the config edited in between. */
class ServerRestartTest {
  @TempDir
  Path dir;

  private static final String LAB = """
      instance: lab-1
      database: {url: "h2:db/mozpool"}
      api: {listen: "127.0.0.1:0"}
      tftp: {root: tftp, port: 0}
      auth: open
      hardware_types: [{name: panda}]
      pxe_configs: [{name: live, file: live.cfg}]
      images:
        - {name: self-test, hidden: true, pxe_configs: {panda: live}}
        - {name: maintenance, hidden: true, pxe_configs: {panda: live}}
      devices:
      """;

  private static String panda(int n, String extra) {
    return String.format("  - {name: panda-%d, mac: \"00:11:22:33:44:%02x\", hardware: panda,"
        + " power: \"proxr://127.0.0.1:1/bank/1/relay/%d\"%s}%n", n, n, n, extra);
  }

  private MozpoolServer start(String yaml) throws Exception {
    Path file = dir.resolve("lab.yaml");
    Files.writeString(file, yaml);
    return MozpoolServer.builder(ConfigLoader.load(file)).configDirectory(dir).start();
  }

  @Test
  void eachStartAddsChangesAndRetiresDevicesAsTheConfigSays() throws Exception {
    Files.writeString(dir.resolve("live.cfg"), "kernel live\n");
    try (MozpoolServer server = start(LAB + panda(1, "") + panda(2, "") + panda(3, ""))) {
      assertThat(server.pool().inventory().devices()).extracting(DeviceView::name)
          .containsExactly("panda-1", "panda-2", "panda-3");
    }
    List<LogEntry> panda3History;
    try (MozpoolServer server = start(LAB + panda(1, ", tags: {rack: \"7\"}") + panda(2, "")
        + panda(4, ""))) {
      var inventory = server.pool().inventory();
      assertThat(inventory.device("panda-1").spec().tags()).containsEntry("rack", "7");
      assertThat(inventory.device("panda-3").state()).isEqualTo(DeviceStates.RETIRED);
      assertThat(inventory.device("panda-4").spec().server()).isEqualTo("lab-1");
      assertThat(inventory.device("panda-2").state()).isNotEqualTo(DeviceStates.RETIRED);
      panda3History = inventory.deviceLog("panda-3");
      // (a power cycle the retirement cut short may still answer, late, and be logged as ignored)
      assertThat(panda3History).extracting(LogEntry::message).contains("registered")
          .anySatisfy(m -> assertThat(m).startsWith("state forced from").endsWith(" to retired"));
    }
    try (MozpoolServer server = start(LAB + panda(1, ", tags: {rack: \"7\"}") + panda(2, "")
        + panda(4, ""))) {
      // nothing happened to the retired device since: at most late answers, ignored
      List<LogEntry> now = server.pool().inventory().deviceLog("panda-3");
      assertThat(now).startsWith(panda3History.toArray(LogEntry[]::new));
      assertThat(now.subList(panda3History.size(), now.size())).extracting(LogEntry::message)
          .allSatisfy(m -> assertThat(m).startsWith("ignored "));
      assertThat(server.pool().inventory().device("panda-3").state())
          .isEqualTo(DeviceStates.RETIRED);
    }
  }

  @Test
  void aConfigWithProblemsStartsNothing() throws Exception {
    Files.writeString(dir.resolve("lab.yaml"), LAB + panda(1, ", colour: red"));

    assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("lab.yaml")))
        .isInstanceOf(ConfigException.class)
        .extracting(e -> ((ConfigException) e).problems()).asList().containsExactly(
            "lab.yaml:7: pxe_configs[0].file: no readable file " + dir.resolve("live.cfg"),
            "lab.yaml:12: devices[0].colour: unknown key; expected one of name, mac, fqdn,"
                + " hardware, model, environment, power, tags, comments");
    assertThat(dir.resolve("db")).doesNotExist();
  }
}
