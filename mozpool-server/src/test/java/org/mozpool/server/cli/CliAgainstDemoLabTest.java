package org.mozpool.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mozpool.DeviceStates;
import org.mozpool.DeviceView;
import org.mozpool.server.demo.DemoLab;

/**
 * The CLI end to end: each {@code device} and {@code request} command against an in-process demo
 * server (simulated pandas on loopback), through the real REST API.
 */
@Timeout(180)
class CliAgainstDemoLabTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static DemoLab demo;

  @BeforeAll
  static void startDemo() {
    demo = DemoLab.start(DemoLab.options().devices(4).compression(20));
    await().atMost(Duration.ofSeconds(90)).untilAsserted(() ->
        assertThat(demo.server().pool().inventory().devices()).extracting(DeviceView::state)
            .containsOnly(DeviceStates.READY));
  }

  @AfterAll
  static void stopDemo() {
    demo.close();
  }

  private static Map<String, String> as(String token) {
    return Map.of("MOZPOOL_SERVER", demo.uri().toString(), "MOZPOOL_TOKEN", token);
  }

  private static Map<String, String> operator() {
    return as(demo.operatorToken());
  }

  private static Map<String, String> client() {
    return as(demo.clientToken());
  }

  @Test
  void deviceListShowsEveryDeviceInATableOrAsTheApisJson() throws Exception {
    CliRun table = CliRun.run(client(), "device", "list");
    assertThat(table.exit()).isZero();
    assertThat(table.lines()[0]).startsWith("NAME        STATE");
    assertThat(table.lines()).hasSize(5);
    assertThat(table.out()).contains("panda-0001", "panda-0004", "chassis=1,rack=rack-1");

    CliRun json = CliRun.run(client(), "device", "list", "--json");
    assertThat(json.exit()).isZero();
    JsonNode devices = JSON.readTree(json.out()).get("devices");
    assertThat(devices).hasSize(4);
    assertThat(devices.get(0).get("relay_info").asText()).startsWith("proxr://127.0.0.1:");
  }

  @Test
  void deviceShowAndLog() {
    CliRun show = CliRun.run(client(), "device", "show", "panda-0002");
    assertThat(show.exit()).isZero();
    assertThat(show.out()).contains("name:", "panda-0002", "hardware_type:", "panda",
        "relay_info:", "proxr://");

    CliRun log = CliRun.run(client(), "device", "log", "panda-0002", "--limit", "3");
    assertThat(log.exit()).isZero();
    assertThat(log.lines()).hasSizeBetween(1, 3);

    CliRun unknown = CliRun.run(client(), "device", "show", "panda-9999");
    assertThat(unknown.exit()).isEqualTo(MozpoolCommand.FAILED);
    assertThat(unknown.out()).startsWith("FAILED: ").contains("panda-9999", "(HTTP 404)");
  }

  @Test
  void deviceStatsOfADeviceThatSelfTestedToReady() throws Exception {
    CliRun stats = CliRun.run(client(), "device", "stats", "panda-0004");
    assertThat(stats.exit()).isZero();
    assertThat(stats.lines()).hasSize(11);
    assertThat(stats.out()).contains("family now:", "power cycles:", "self-tests:",
        "time in family:", "last 7 days (UTC):");

    CliRun json = CliRun.run(client(), "device", "stats", "panda-0004", "--json");
    assertThat(json.exit()).isZero();
    JsonNode s = JSON.readTree(json.out()).get("stats");
    // every demo device self-tested (booting the self-test image through a power cycle) to ready
    assertThat(s.get("self_tests_passed").asLong()).isPositive();
    assertThat(s.get("power_cycles").asLong()).isPositive();
    assertThat(s.get("last_seen_healthy").asText()).isNotEmpty();

    CliRun unknown = CliRun.run(client(), "device", "stats", "panda-9999");
    assertThat(unknown.exit()).isEqualTo(MozpoolCommand.FAILED);
    assertThat(unknown.out()).startsWith("FAILED: ").contains("(HTTP 404)");
  }

  @Test
  void aRequestIsFiledWaitedForRenewedAndReturned() throws Exception {
    CliRun created = CliRun.run(client(), "request", "new", "--image", "b2g", "--b2gbase",
        "http://builds.example/b2g/", "--duration", "600", "--assignee", "cli-test",
        "--wait", "90");
    assertThat(created.exit()).as(created.toString()).isZero();
    Matcher m = Pattern.compile("request (\\S+): ready, device (panda-\\d{4}), expires ")
        .matcher(created.out());
    assertThat(m.find()).as(created.out()).isTrue();
    String id = m.group(1);
    String device = m.group(2);

    CliRun list = CliRun.run(client(), "request", "list");
    assertThat(list.exit()).isZero();
    assertThat(list.out()).contains(id, device, "cli-test");

    CliRun show = CliRun.run(client(), "request", "show", id, "--log");
    assertThat(show.exit()).isZero();
    assertThat(show.out()).contains("assigned_device:", device, "state:", "ready");

    CliRun showJson = CliRun.run(client(), "request", "show", id, "--json");
    assertThat(JSON.readTree(showJson.out()).get("image").asText()).isEqualTo("b2g");

    CliRun renew = CliRun.run(client(), "request", "renew", id, "--duration", "1200");
    assertThat(renew.exit()).as(renew.toString()).isZero();
    assertThat(renew.out()).startsWith("OK: request " + id + " renewed for 1200 s");

    CliRun back = CliRun.run(client(), "request", "return", id);
    assertThat(back.exit()).isZero();
    assertThat(CliRun.run(client(), "request", "list").out()).doesNotContain("cli-test");
    assertThat(CliRun.run(client(), "request", "list", "--all").out()).contains(id, "closed");
  }

  @Test
  void aRequestTheServerRefusesExitsOneWithItsMessage() {
    CliRun noBase = CliRun.run(client(), "request", "new", "--image", "b2g");
    assertThat(noBase.exit()).isEqualTo(MozpoolCommand.FAILED);
    assertThat(noBase.out()).startsWith("FAILED: ").contains("b2gbase", "(HTTP 400)");

    CliRun unknownImage = CliRun.run(client(), "request", "new", "--image", "windows-95");
    assertThat(unknownImage.exit()).isEqualTo(MozpoolCommand.FAILED);
    assertThat(unknownImage.out()).contains("windows-95", "(HTTP 404)");
  }

  @Test
  void operatorCommandsNeedAnOperatorToken() {
    CliRun refused = CliRun.run(client(), "device", "power-cycle", "panda-0003");
    assertThat(refused.exit()).isEqualTo(MozpoolCommand.FAILED);
    assertThat(refused.out()).startsWith("FAILED: ").contains("(HTTP 403)");

    CliRun conflict = CliRun.run(operator(), "device", "state-change", "panda-0003",
        "maintenance_mode", "ready");
    assertThat(conflict.exit()).isEqualTo(MozpoolCommand.FAILED);
    assertThat(conflict.out()).startsWith("FAILED: ").contains("(HTTP 409)");

    CliRun cycle = CliRun.run(operator(), "device", "power-cycle", "panda-0003");
    assertThat(cycle.exit()).as(cycle.toString()).isZero();
    assertThat(cycle.out()).isEqualTo("OK: panda-0003: power cycle started"
        + System.lineSeparator());
  }

  @Test
  void aBadTokenIsRefusedWithExitOneAndAHint() {
    CliRun run = CliRun.run(as("not-a-token"), "device", "list");
    assertThat(run.exit()).isEqualTo(MozpoolCommand.FAILED);
    assertThat(run.out()).startsWith("FAILED: ").contains("(HTTP 401)", "MOZPOOL_TOKEN");

    CliRun none = CliRun.run(Map.of("MOZPOOL_SERVER", demo.uri().toString()), "device",
        "list", "--json");
    assertThat(none.exit()).isEqualTo(MozpoolCommand.FAILED);
  }

  @Test
  void aServerThatIsNotThereExitsThree() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    CliRun run = CliRun.run(operator(), "request", "list", "--server",
        "http://127.0.0.1:" + closed);
    assertThat(run.exit()).isEqualTo(MozpoolCommand.UNREACHABLE);
    assertThat(run.out()).isEqualTo("FAILED: cannot reach the server at http://127.0.0.1:"
        + closed + ": connection refused" + System.lineSeparator());
  }

  @Test
  void selfTestAndMaintenanceAreSentToLifeguard() {
    CliRun selfTest = CliRun.run(operator(), "device", "self-test", "panda-0004");
    assertThat(selfTest.exit()).as(selfTest.toString()).isZero();
    assertThat(selfTest.out()).startsWith("OK: panda-0004: self-test requested");

    assertThat(log("panda-0004")).anyMatch(line -> line.startsWith("please_self_test from ")
        && line.endsWith(" accepted"));

    // the other tests share the lab: any device that is ready and free will do
    String idle = await().atMost(Duration.ofSeconds(60)).until(() -> demo.server().pool()
        .inventory().devices().stream().filter(d -> d.state().equals(DeviceStates.READY)
            && d.claimedBy().isEmpty() && !d.name().equals("panda-0004"))
        .map(DeviceView::name).findFirst().orElse(null), java.util.Objects::nonNull);
    CliRun maintenance = CliRun.run(operator(), "device", "maintenance", idle);
    assertThat(maintenance.exit()).as(maintenance.toString()).isZero();
    assertThat(log(idle)).anyMatch(line -> line.startsWith("please_start_maintenance from ")
        && line.endsWith(" accepted"));

    CliRun refused = CliRun.run(as(demo.clientToken()), "device", "self-test", "panda-0002");
    assertThat(refused.exit()).as("a client token may not order work").isEqualTo(1);
  }

  private static java.util.List<String> log(String device) {
    return demo.server().pool().inventory().deviceLog(device).stream()
        .map(org.mozpool.LogEntry::message).toList();
  }
}
