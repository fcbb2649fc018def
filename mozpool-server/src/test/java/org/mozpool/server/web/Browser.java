package org.mozpool.server.web;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's headless Chromium driven through its chromedriver, with a fresh profile and nothing
 * that reaches beyond loopback. Tests skip, visibly, when either binary is missing, and fail
 * then under {@code CI=true}.
 */
final class Browser {

  /** Debian's Chromium; another with {@code -Dmozpool.test.chromium=PATH}. */
  static final Path CHROMIUM = Path.of(System.getProperty("mozpool.test.chromium",
      "/usr/bin/chromium"));
  /** Debian's chromedriver; another with {@code -Dmozpool.test.chromedriver=PATH}. */
  static final Path CHROMEDRIVER = Path.of(System.getProperty("mozpool.test.chromedriver",
      "/usr/bin/chromedriver"));

  private Browser() {
  }

  /** Skips (or, under {@code CI=true}, fails) the test when Chromium or chromedriver is missing. */
  static void assumeInstalled() {
    boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    if (present) {
      return;
    }
    String message = "the dashboard's browser tests need " + CHROMIUM + " and " + CHROMEDRIVER
        + " (apt-get install chromium chromium-driver)";
    if ("true".equals(System.getenv("CI"))) {
      fail(message + "; CI=true, so their absence is a failure");
    }
    Assumptions.abort(message + "; skipped");
  }

  /** A new headless Chromium with its own profile directory under {@code profiles}. */
  static WebDriver start(Path profiles) throws IOException {
    Path profile = Files.createTempDirectory(Files.createDirectories(profiles), "chromium-");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-dev-shm-usage", "--window-size=1400,1000",
        "--user-data-dir=" + profile);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
    return new ChromeDriver(service, options);
  }

  /** Saves what the browser shows as {@code target/<name>.png}. */
  static Path screenshot(WebDriver driver, String name) throws IOException {
    File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
    Path target = Path.of("target", "dashboard-" + name + ".png");
    Files.createDirectories(target.getParent());
    Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
    return target;
  }
}
