package org.mozpool.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;

/**
 * The dashboard with 800 devices (40 racks of 20, every state family, a few very long names):
 * every tile is drawn, nothing runs wider than the window, and the filters still work. The
 * time from login to the last tile is printed, as a rough benchmark.
 */
class LargeLabRenderTest {

  private static final int DEVICES = 800;
  private static final String[] STATES = {"ready", "ready", "ready", "ready", "pxe_booting",
      "self_test_running", "failed_pxe_booting", "failed_quarantined", "maintenance_mode",
      "retired"};

  private CannedLab lab;
  private WebDriver driver;

  @BeforeEach
  void start() throws Exception {
    Browser.assumeInstalled();
    List<String> devices = new ArrayList<>();
    for (int i = 1; i <= DEVICES; i++) {
      String name = i % 97 == 0 ? "panda-with-a-very-long-name-that-must-not-widen-the-page-" + i
          : String.format("panda-%04d", i);
      String state = STATES[i % STATES.length];
      String request = "ready".equals(state) && i % 3 == 0 ? "\"r-" + i + "\"" : "null";
      devices.add("{\"id\":\"" + name + "\",\"name\":\"" + name + "\",\"state\":\"" + state
          + "\",\"image\":\"b2g\",\"next_image\":\"\",\"environment\":\""
          + (i % 2 == 0 ? "production" : "staging") + "\",\"comments\":\"\","
          + "\"hardware_type\":\"panda\",\"hardware_model\":\"ES\",\"tags\":{\"rack\":\""
          + (1 + (i - 1) / 20) + "\",\"chassis\":\"" + (1 + (i - 1) % 20 / 5) + "\"},"
          + "\"request_id\":" + request + "}");
    }
    lab = new CannedLab()
        .answer("GET /ui/whoami", "{\"name\":\"alice\",\"role\":\"operator\"}")
        .answer("GET /api/device/list/?details", "{\"devices\":[" + String.join(",", devices)
            + "]}")
        .answer("GET /api/request/list/", "{\"requests\":[]}")
        .answer("GET /api/image/list/", "{\"images\":[{\"name\":\"b2g\",\"boot_config_keys\":"
            + "[\"b2gbase\"],\"hidden\":false}]}")
        .answer("GET /api/environment/list/", "{\"environments\":[\"production\",\"staging\"]}");
    driver = Browser.start(Path.of("target", "chromium-profiles"));
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (driver != null) {
        Browser.screenshot(driver, "800-devices");
        driver.quit();
      }
    } finally {
      if (lab != null) {
        lab.close();
      }
    }
  }

  @Test
  void eightHundredDevicesAreAllDrawnWithinTheWindowAndCanBeFiltered() {
    DashboardPage page = new DashboardPage(driver).open(lab.uri());
    long started = System.nanoTime();
    page.logIn("any-token");
    page.awaitTiles(DEVICES);
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    System.out.println("dashboard: " + DEVICES + " tiles drawn " + took.toMillis()
        + " ms after login");

    JavascriptExecutor js = (JavascriptExecutor) driver;
    assertThat((Boolean) js.executeScript(
        "return document.documentElement.scrollWidth <= window.innerWidth")).isTrue();
    assertThat((Long) js.executeScript("var w = window.innerWidth; return Array.prototype.filter"
        + ".call(document.querySelectorAll('.tile'), function (t) {"
        + " var r = t.getBoundingClientRect(); return r.width <= 0 || r.right > w; }).length"))
        .isZero();
    assertThat(page.groupTitles()).hasSize(DEVICES / 5);
    assertThat(page.count("failed")).isEqualTo("needs a human: 80");
    assertThat(page.count("claimed")).isEqualTo("in use: " + countClaimed());
    assertThat(page.needingAHuman()).hasSize(160);

    page.toggleFamily("quarantined");
    assertThat(page.awaitTiles(80)).allSatisfy(n -> assertThat(n).startsWith("panda-"));
    page.toggleFamily("quarantined");
    page.awaitTiles(DEVICES);
    page.filterByName("very-long");
    page.awaitTiles((int) java.util.stream.IntStream.rangeClosed(1, DEVICES)
        .filter(i -> i % 97 == 0).count());
  }

  private static long countClaimed() {
    return java.util.stream.IntStream.rangeClosed(1, DEVICES)
        .filter(i -> "ready".equals(STATES[i % STATES.length]) && i % 3 == 0).count();
  }
}
