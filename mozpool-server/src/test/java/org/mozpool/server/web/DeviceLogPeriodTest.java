package org.mozpool.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.WebDriver;

/**
 * The device page's log asks the API for the period chosen ({@code ?timeperiod=SECONDS}, or the
 * last 100 lines) and shows exactly what it answers, newest first. Canned answers stand in for
 * the server, whose filter the API's own tests hold, so that each period has lines of its own.
 */
class DeviceLogPeriodTest {

  private static final String DEVICE = "panda-0001";

  private CannedLab lab;
  private WebDriver driver;

  @BeforeEach
  void start() throws Exception {
    Browser.assumeInstalled();
    lab = new CannedLab()
        .answer("GET /ui/whoami", "{\"name\":\"alice\",\"role\":\"client\"}")
        .answer("GET /api/device/list/?details", "{\"devices\":[{\"id\":\"" + DEVICE
            + "\",\"name\":\"" + DEVICE + "\",\"state\":\"ready\",\"image\":\"b2g\","
            + "\"next_image\":\"\",\"environment\":\"production\",\"comments\":\"\","
            + "\"hardware_type\":\"panda\",\"hardware_model\":\"ES\",\"tags\":{},"
            + "\"request_id\":null}]}")
        .answer("GET /api/request/list/", "{\"requests\":[]}")
        .answer("GET /api/image/list/", "{\"images\":[]}")
        .answer("GET /api/environment/list/", "{\"environments\":[]}")
        .answer("GET /api/device/" + DEVICE + "/log/?timeperiod=3600", log("ten minutes ago"))
        .answer("GET /api/device/" + DEVICE + "/log/?timeperiod=86400",
            log("five hours ago", "ten minutes ago"))
        .answer("GET /api/device/" + DEVICE + "/log/?timeperiod=604800", "{\"log\":[]}")
        .answer("GET /api/device/" + DEVICE + "/log/?limit=100",
            log("a month ago", "five hours ago", "ten minutes ago"));
    driver = Browser.start(Path.of("target", "chromium-profiles"));
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (driver != null) {
        Browser.screenshot(driver, "device-log-period");
        driver.quit();
      }
    } finally {
      if (lab != null) {
        lab.close();
      }
    }
  }

  @Test
  void theLogShowsThePeriodChosenNewestFirst() {
    DashboardPage page = new DashboardPage(driver).open(lab.uri());
    page.logIn("any-token");
    page.awaitTiles(1);
    page.openDevice(DEVICE);

    // the last day by default
    assertThat(page.awaitPanelLog(2)).satisfiesExactly(
        l -> assertThat(l).endsWith("ten minutes ago"), l -> assertThat(l).endsWith("five hours ago"));
    page.showLogOf("the last hour");
    assertThat(page.awaitPanelLog(1)).singleElement().asString().endsWith("ten minutes ago");
    page.showLogOf("the last 100 lines");
    assertThat(page.awaitPanelLog(3)).last().asString().endsWith("a month ago");
    assertThat(page.panelLogEmptyNoteShown()).isFalse();
    page.showLogOf("the last 7 days");
    assertThat(page.awaitPanelLog(0)).isEmpty();
    assertThat(page.panelLogEmptyNoteShown()).isTrue();
  }

  private static String log(String... messages) {
    StringBuilder json = new StringBuilder("{\"log\":[");
    for (int i = 0; i < messages.length; i++) {
      json.append(i == 0 ? "" : ",").append("{\"timestamp\":\"2026-12-01T0").append(i)
          .append(":00:00Z\",\"source\":\"lifeguard\",\"message\":\"").append(messages[i])
          .append("\"}");
    }
    return json.append("]}").toString();
  }
}
