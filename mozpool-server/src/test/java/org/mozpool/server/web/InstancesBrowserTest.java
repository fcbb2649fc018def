package org.mozpool.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.WebDriver;

/**
 * With several instances on one database, the dashboard lists them (live or dead, since when
 * silent, lab network, standby, what each drives, and devices waiting for a standby that is not
 * there) and names the instance driving each device and request, adopted ones with their home.
 * Canned answers stand in for the servers: a live instance that adopted a dead one's devices and
 * requests, and a dead instance whose device nobody stands by for.
 */
class InstancesBrowserTest {

  private static final String INSTANCES = """
      {"instances": [
        {"id": "imaging-b", "lab_network": "net-b", "standby_for": [], "url": "http://b:8080",
         "live": false, "silence_ms": 93000, "epoch": 4, "devices": 0, "requests": 0},
        {"id": "imaging-a", "lab_network": "net-a", "standby_for": ["net-b"],
         "url": "http://a:8080", "live": true, "silence_ms": 400, "epoch": 7, "devices": 2,
         "requests": 1},
        {"id": "imaging-c", "lab_network": "net-c", "standby_for": [], "url": "http://c:8080",
         "live": false, "silence_ms": 20000, "epoch": 2, "devices": 1, "requests": 0}]}
      """;

  private CannedLab lab;
  private WebDriver driver;

  @BeforeEach
  void start() throws Exception {
    Browser.assumeInstalled();
    lab = new CannedLab()
        .answer("GET /ui/whoami", "{\"name\":\"alice\",\"role\":\"client\"}")
        .answer("GET /api/device/list/?details", "{\"devices\":["
            + device("panda-1", "imaging-a", null, "rq-1") + ","
            + device("panda-2", "imaging-a", "imaging-b", null) + ","
            + device("panda-3", "imaging-c", null, null) + "]}")
        .answer("GET /api/request/list/", "{\"requests\":[{\"id\":\"rq-1\","
            + "\"imaging_server\":\"imaging-a\",\"assignee\":\"ci\",\"boot_config\":\"{}\","
            + "\"state\":\"ready\",\"expires\":\"2026-12-01T05:00:00Z\","
            + "\"created\":\"2026-12-01T04:00:00Z\",\"requested_device\":\"any\","
            + "\"environment\":\"any\",\"image\":\"b2g\",\"assigned_device\":\"panda-1\","
            + "\"device_state\":\"ready\"}]}")
        .answer("GET /api/request/rq-1/log/", "{\"log\":[]}")
        .answer("GET /api/instance/list/", INSTANCES)
        .answer("GET /api/image/list/", "{\"images\":[]}")
        .answer("GET /api/environment/list/", "{\"environments\":[]}")
        .answer("GET /api/device/panda-2/log/?timeperiod=86400", "{\"log\":[]}");
    driver = Browser.start(Path.of("target", "chromium-profiles"));
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (driver != null) {
        Browser.screenshot(driver, "instances");
        driver.quit();
      }
    } finally {
      if (lab != null) {
        lab.close();
      }
    }
  }

  @Test
  void theInstancesAreListedWithTheirLivenessAndWhatTheyDriveAndDevicesWaitingForAStandby() {
    DashboardPage page = new DashboardPage(driver).open(lab.uri());
    page.logIn("any-token");

    assertThat(page.instancesShown()).isTrue();
    assertThat(page.awaitInstances(3)).containsExactly("imaging-a", "imaging-b", "imaging-c");
    assertThat(page.instanceCell("imaging-a", "status")).isEqualTo("live");
    assertThat(page.instanceCell("imaging-a", "standby")).isEqualTo("net-b");
    assertThat(page.instanceCell("imaging-a", "devices")).isEqualTo("2");
    assertThat(page.instanceCell("imaging-a", "requests")).isEqualTo("1");
    assertThat(page.instanceCell("imaging-b", "status")).isEqualTo("dead");
    assertThat(page.instanceCell("imaging-b", "silence")).isEqualTo("1 min 33 s ago");
    assertThat(page.instanceCell("imaging-b", "devices")).isEqualTo("0");
    assertThat(page.instanceCell("imaging-c", "network")).isEqualTo("net-c");
    assertThat(page.instanceCell("imaging-c", "devices"))
        .isEqualTo("1 (waiting: no live standby for net-c)");
  }

  @Test
  void eachDeviceAndRequestNamesTheInstanceDrivingItAndAnAdoptedDeviceItsHome() {
    DashboardPage page = new DashboardPage(driver).open(lab.uri());
    page.logIn("any-token");
    page.awaitTiles(3);

    assertThat(page.tileDriver("panda-1")).isEqualTo("imaging-a");
    assertThat(page.tileDriver("panda-2")).isEqualTo("imaging-a (adopted; home imaging-b)");
    assertThat(page.tileDriver("panda-3")).isEqualTo("imaging-c");
    assertThat(page.requestDriver("rq-1")).isEqualTo("imaging-a");
    page.openDevice("panda-2");
    assertThat(page.panelDriver()).isEqualTo("imaging-a (adopted; home imaging-b)");
  }

  private static String device(String name, String driver, String home, String request) {
    return "{\"id\":\"" + name + "\",\"name\":\"" + name + "\",\"state\":\"ready\","
        + "\"image\":\"b2g\",\"next_image\":\"\",\"environment\":\"production\","
        + "\"comments\":\"\",\"hardware_type\":\"panda\",\"hardware_model\":\"ES\",\"tags\":{},"
        + "\"imaging_server\":\"" + driver + "\","
        + (home == null ? "" : "\"home_server\":\"" + home + "\",")
        + "\"request_id\":" + (request == null ? "null" : "\"" + request + "\"") + "}";
  }
}
