package org.mozpool.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The {@code device} and {@code request} commands against a stand-in API: the routes they call,
 * what they send, what they print, and their exit codes.
 */
@Timeout(30)
class ApiCommandsTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DEVICES = """
      {"devices": [
        {"name": "panda-0001", "state": "ready", "image": "b2g", "environment": "staging",
         "tags": {"chassis": "1", "rack": "rack-1"}, "fqdn": "panda-0001.lab"},
        {"name": "panda-0002", "state": "failed_pxe_booting", "image": "", "environment": null}
      ]}""";

  private final FakeApi api = new FakeApi();

  @AfterEach
  void stop() {
    api.close();
  }

  private Map<String, String> env() {
    return Map.of("MOZPOOL_SERVER", api.url(), "MOZPOOL_TOKEN", "s3cret");
  }

  @Test
  void deviceListPrintsATableAndSendsTheTokenFromTheEnvironment() {
    api.answer("GET /api/device/list/?details", 200, DEVICES);

    CliRun run = CliRun.run(env(), "device", "list");

    assertThat(run.exit()).isZero();
    assertThat(run.lines()).containsExactly(
        "NAME        STATE               IMAGE  ENVIRONMENT  TAGS",
        "panda-0001  ready               b2g    staging      chassis=1,rack=rack-1",
        "panda-0002  failed_pxe_booting  -      -            -");
    assertThat(api.lastCall().authorization()).isEqualTo("Bearer s3cret");
  }

  @Test
  void deviceListFiltersByStateAndPassesTheJsonThroughWithJson() throws Exception {
    api.answer("GET /api/device/list/?details", 200, DEVICES);

    assertThat(CliRun.run(env(), "device", "list", "--state", "ready").lines()).hasSize(2);
    CliRun json = CliRun.run(env(), "device", "list", "--json");
    assertThat(json.exit()).isZero();
    assertThat(JSON.readTree(json.out())).isEqualTo(JSON.readTree(DEVICES));
  }

  @Test
  void serverOptionWinsOverTheEnvironmentAndTheTokenIsNeverAnOption() {
    api.answer("GET /api/device/list/?details", 200, DEVICES);
    Map<String, String> elsewhere = Map.of("MOZPOOL_SERVER", "http://127.0.0.1:1");

    assertThat(CliRun.run(elsewhere, "device", "list", "--server", api.url()).exit()).isZero();
    assertThat(api.lastCall().authorization()).isNull();
    CliRun token = CliRun.run(env(), "device", "list", "--token", "x");
    assertThat(token.exit()).isEqualTo(MozpoolCommand.USAGE);
    assertThat(token.err()).contains("Unknown options: '--token'");
  }

  @Test
  void aRefusalPrintsTheServersMessageAndExitsOne() {
    api.answer("GET /api/device/list/?details", 401, "{\"error\": \"unknown token\"}");

    CliRun run = CliRun.run(env(), "device", "list");

    assertThat(run.exit()).isEqualTo(MozpoolCommand.FAILED);
    assertThat(run.out()).startsWith("FAILED: unknown token (HTTP 401)")
        .contains("MOZPOOL_TOKEN");
  }

  @Test
  void anUnreachableServerExitsThree() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    CliRun run = CliRun.run(Map.of(), "device", "list", "--server",
        "http://127.0.0.1:" + closedPort);

    assertThat(run.exit()).isEqualTo(MozpoolCommand.UNREACHABLE);
    assertThat(run.out()).startsWith("FAILED: cannot reach the server at http://127.0.0.1:"
        + closedPort);
  }

  @Test
  void anUnknownHostExitsThree() {
    CliRun run = CliRun.run(Map.of(), "request", "list", "--server", "http://nowhere.invalid:8080");

    assertThat(run.exit()).isEqualTo(MozpoolCommand.UNREACHABLE);
    assertThat(run.out()).isEqualTo("FAILED: cannot reach the server at http://nowhere.invalid:8080:"
        + " unknown host nowhere.invalid" + System.lineSeparator());
  }

  @Test
  void badArgumentsExitTwoBeforeAnyCall() {
    assertThat(CliRun.run(env(), "device", "list", "--server", "ftp://x").exit())
        .isEqualTo(MozpoolCommand.USAGE);
    assertThat(CliRun.run(env(), "device", "state-change", "panda-0001", "ready").exit())
        .isEqualTo(MozpoolCommand.USAGE);
    assertThat(CliRun.run(env(), "request", "new").err()).contains("--image");
    assertThat(CliRun.run(env(), "request", "renew", "7", "--duration", "0").exit())
        .isEqualTo(MozpoolCommand.USAGE);
    assertThat(CliRun.run(env(), "device", "log", "a/b").exit()).isEqualTo(MozpoolCommand.USAGE);
    assertThat(api.calls).isEmpty();
  }

  @Test
  void deviceShowPrintsTheDevicesFieldsOrFailsForAnUnknownDevice() {
    api.answer("GET /api/device/list/?details", 200, DEVICES);

    CliRun show = CliRun.run(env(), "device", "show", "panda-0001");
    assertThat(show.exit()).isZero();
    assertThat(show.out()).contains("name:        panda-0001", "state:       ready",
        "fqdn:        panda-0001.lab");

    CliRun unknown = CliRun.run(env(), "device", "show", "panda-9999");
    assertThat(unknown.exit()).isEqualTo(MozpoolCommand.FAILED);
    assertThat(unknown.out()).startsWith("FAILED: no such route: /api/device/panda-9999/status/");
  }

  @Test
  void deviceLogPrintsOneLinePerEntryAndPassesLimits() {
    api.answer("GET /api/device/panda-0001/log/?limit=2&timeperiod=60", 200, """
        {"log": [{"timestamp": "2026-12-01T03:00:00Z", "source": "statemachine",
                  "message": "entering state ready"},
                 {"timestamp": "2026-12-01T03:00:01Z", "source": "bmm", "message": "ping ok"}]}""");

    CliRun run = CliRun.run(env(), "device", "log", "panda-0001", "--limit", "2", "--since", "60");

    assertThat(run.exit()).isZero();
    assertThat(run.lines()).containsExactly(
        "2026-12-01T03:00:00Z  statemachine  entering state ready",
        "2026-12-01T03:00:01Z  bmm  ping ok");
  }

  @Test
  void deviceStatsPrintsEachStatisticOnALineOfItsOwn() {
    api.answer("GET /api/device/panda-0001/stats/", 200, """
        {"stats": {"since": "2026-11-01T00:00:00Z", "as_of": "2026-12-01T00:00:00Z",
          "family": "ready", "times_imaged": {"android": 1, "b2g": 3}, "power_cycles": 7,
          "failures": 3, "failures_by_state": {"failed_pxe_booting": 2, "ready": 1},
          "self_tests_passed": 4, "self_tests_failed": 1, "quarantines": 1,
          "time_in_family_s": {"ready": 93784, "imaging": 3600},
          "time_in_family_last_7_days_s": {"ready": 60},
          "last_seen_healthy": "2026-11-30T23:59:00Z", "mean_time_between_failures_s": 32441}}""");

    CliRun run = CliRun.run(env(), "device", "stats", "panda-0001");

    assertThat(run.exit()).isZero();
    assertThat(run.lines()).containsExactly(
        "since:                      2026-11-01T00:00:00Z",
        "family now:                 ready",
        "times imaged:               android 1, b2g 3",
        "power cycles:               7",
        "failures:                   3 (failed_pxe_booting 2, ready 1)",
        "self-tests:                 4 passed, 1 failed",
        "quarantines:                1",
        "last seen healthy:          2026-11-30T23:59:00Z",
        "mean time between failures: 9h 41s",
        "time in family:             ready 1d 2h 3m 4s, imaging 1h",
        "last 7 days (UTC):          ready 1m");
  }

  @Test
  void deviceStatsOfADeviceNeverImagedNorFailedShowsDashes() {
    api.answer("GET /api/device/panda-0002/stats/", 200, """
        {"stats": {"since": "2026-11-01T00:00:00Z", "family": "other", "times_imaged": {},
          "power_cycles": 0, "failures": 0, "failures_by_state": {}, "self_tests_passed": 0,
          "self_tests_failed": 0, "quarantines": 0, "time_in_family_s": {},
          "time_in_family_last_7_days_s": {}, "last_seen_healthy": null,
          "mean_time_between_failures_s": null}}""");

    CliRun run = CliRun.run(env(), "device", "stats", "panda-0002");

    assertThat(run.exit()).isZero();
    assertThat(run.lines()).contains("times imaged:               -",
        "failures:                   0", "last seen healthy:          -",
        "mean time between failures: -", "time in family:             -");
    assertThat(CliRun.run(env(), "device", "stats", "panda-9999").exit())
        .isEqualTo(MozpoolCommand.FAILED);
  }

  @Test
  void deviceActionsPostToTheirRoutes() {
    api.answer("POST /api/device/panda-0001/power-cycle/", 200, "{}")
        .answer("POST /api/device/panda-0001/event/please_self_test/", 200, "{}")
        .answer("POST /api/device/panda-0001/event/please_start_maintenance/", 200, "{}")
        .answer("POST /api/device/panda-0001/state-change/failed_pxe_booting/to/ready/", 200,
            "{}");

    assertThat(CliRun.run(env(), "device", "power-cycle", "panda-0001").out())
        .isEqualTo("OK: panda-0001: power cycle started" + System.lineSeparator());
    assertThat(CliRun.run(env(), "device", "self-test", "panda-0001").out())
        .startsWith("OK: panda-0001: self-test requested");
    assertThat(CliRun.run(env(), "device", "maintenance", "panda-0001").out())
        .startsWith("OK: panda-0001: maintenance requested");
    CliRun change = CliRun.run(env(), "device", "state-change", "panda-0001",
        "failed_pxe_booting", "ready");
    assertThat(change.exit()).isZero();
    assertThat(change.out()).startsWith("OK: panda-0001: failed_pxe_booting -> ready");
    assertThat(api.calls).extracting(FakeApi.Call::method).containsOnly("POST");
  }

  @Test
  void aConflictingStateChangeExitsOneWithTheServersMessage() {
    api.answer("POST /api/device/panda-0001/state-change/ready/to/troubleshooting/", 409,
        "{\"error\": \"device panda-0001 is in pxe_booting, not ready\"}");

    CliRun run = CliRun.run(env(), "device", "state-change", "panda-0001", "ready",
        "troubleshooting");

    assertThat(run.exit()).isEqualTo(MozpoolCommand.FAILED);
    assertThat(run.out()).isEqualTo("FAILED: device panda-0001 is in pxe_booting, not ready"
        + " (HTTP 409)" + System.lineSeparator());
  }

  @Test
  void requestNewPostsTheOriginalsBodyAndPrintsTheRequest() throws Exception {
    api.answer("POST /api/device/any/request/", 200, """
        {"request": {"id": 7, "state": "finding_device", "assigned_device": null,
                     "expires": "2026-12-01T04:00:00Z"}}""");

    CliRun run = CliRun.run(env(), "request", "new", "--image", "b2g", "--b2gbase",
        "http://builds/b2g/", "--duration", "600", "--assignee", "ci");

    assertThat(run.exit()).isZero();
    assertThat(run.out()).isEqualTo("request 7: finding_device, device -, expires"
        + " 2026-12-01T04:00:00Z" + System.lineSeparator());
    assertThat(JSON.readTree(api.lastCall().body())).isEqualTo(JSON.readTree("""
        {"assignee": "ci", "duration": 600, "image": "b2g", "environment": "any",
         "b2gbase": "http://builds/b2g/"}"""));
  }

  @Test
  void requestNewForANamedDeviceWithBootConfigValues() throws Exception {
    api.answer("POST /api/device/panda-0002/request/", 409, """
        {"request": {"id": 8, "state": "closed"}}""");

    CliRun run = CliRun.run(env(), "request", "new", "--device", "panda-0002", "--image",
        "android", "--boot-config", "flavour=eng", "--environment", "staging");

    assertThat(run.exit()).isEqualTo(MozpoolCommand.FAILED);
    assertThat(run.out()).startsWith("FAILED: ").contains("HTTP 409");
    assertThat(JSON.readTree(api.lastCall().body()).get("flavour").asText()).isEqualTo("eng");
    assertThat(JSON.readTree(api.lastCall().body()).get("environment").asText())
        .isEqualTo("staging");
  }

  @Test
  void requestListShowRenewAndReturn() throws Exception {
    api.answer("GET /api/request/list/", 200, """
        {"requests": [{"id": 7, "state": "ready", "assigned_device": "panda-0001",
          "requested_device": "any", "image": "b2g", "assignee": "ci",
          "expires": "2026-12-01T04:00:00Z"}]}""")
        .answer("GET /api/request/list/?include_closed=1", 200, "{\"requests\": []}")
        .answer("GET /api/request/7/details/", 200, """
            {"id": 7, "state": "ready", "assigned_device": "panda-0001"}""")
        .answer("GET /api/request/7/log/", 200, """
            {"log": [{"timestamp": "t1", "source": "request", "message": "entering state ready"}]}""")
        .answer("POST /api/request/7/renew/", 204, "")
        .answer("POST /api/request/7/return/", 204, "");

    assertThat(CliRun.run(env(), "request", "list").lines()).containsExactly(
        "ID  STATE  DEVICE      REQUESTED  IMAGE  ASSIGNEE  EXPIRES",
        "7   ready  panda-0001  any        b2g    ci        2026-12-01T04:00:00Z");
    assertThat(CliRun.run(env(), "request", "list", "--all").lines()).hasSize(1);
    CliRun show = CliRun.run(env(), "request", "show", "7", "--log");
    assertThat(show.out()).contains("state:           ready", "t1  request  entering state ready");
    CliRun showJson = CliRun.run(env(), "request", "show", "7", "--json");
    assertThat(JSON.readTree(showJson.out()).get("assigned_device").asText())
        .isEqualTo("panda-0001");

    CliRun renew = CliRun.run(env(), "request", "renew", "7", "--duration", "1800");
    assertThat(renew.exit()).isZero();
    assertThat(renew.out()).startsWith("OK: request 7 renewed for 1800 s");
    assertThat(JSON.readTree(api.lastCall().body())).isEqualTo(JSON.readTree(
        "{\"duration\": 1800}"));
    CliRun back = CliRun.run(env(), "request", "return", "7");
    assertThat(back.exit()).isZero();
    assertThat(back.out()).startsWith("OK: request 7 returned");
    assertThat(CliRun.run(env(), "request", "return", "7", "--json").out().strip())
        .isEqualTo("{}");
  }

  @Test
  void requestNewWithWaitPollsTheStatusUntilTheDeviceIsReady() {
    api.answer("POST /api/device/any/request/", 200,
            "{\"request\": {\"id\": 9, \"state\": \"new\"}}")
        .answer("GET /api/request/9/status/", 200, "{\"state\": \"ready\", \"log\": []}")
        .answer("GET /api/request/9/details/", 200, """
            {"id": 9, "state": "ready", "assigned_device": "panda-0003", "expires": "T"}""");

    CliRun run = CliRun.run(env(), "request", "new", "--image", "android", "--wait", "10");

    assertThat(run.exit()).isZero();
    assertThat(run.out()).isEqualTo("request 9: ready, device panda-0003, expires T"
        + System.lineSeparator());
  }

  @Test
  void requestNewWithWaitExitsOneWhenTheRequestFails() {
    api.answer("POST /api/device/any/request/", 200,
            "{\"request\": {\"id\": 9, \"state\": \"new\"}}")
        .answer("GET /api/request/9/status/", 200, "{\"state\": \"failed_bad_image\"}")
        .answer("GET /api/request/9/details/", 200, "{\"id\": 9, \"state\": \"failed_bad_image\"}");

    CliRun run = CliRun.run(env(), "request", "new", "--image", "android", "--wait", "10");

    assertThat(run.exit()).isEqualTo(MozpoolCommand.FAILED);
    assertThat(run.out()).isEqualTo("FAILED: request 9 is failed_bad_image"
        + System.lineSeparator());
  }
}
