package org.mozpool.server.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.mozpool.DeviceView;
import org.mozpool.server.demo.DemoLab;
import org.mozpool.spi.Lifeguard;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;

/**
 * The dashboard in a real headless Chromium against an in-process demo lab: what an operator and
 * a CI client's owner see and can do. Each test leaves a screenshot in {@code target/}.
 */
class DashboardBrowserTest {

  private static DemoLab demo;
  private WebDriver driver;
  private DashboardPage page;
  private String testName;

  @BeforeAll
  static void startLab() {
    Browser.assumeInstalled();
    demo = DemoLab.start(DemoLab.options().devices(4).compression(20).listen("127.0.0.1:0"));
  }

  @AfterAll
  static void stopLab() {
    if (demo != null) {
      demo.close();
    }
  }

  @BeforeEach
  void startBrowser(TestInfo info) throws Exception {
    testName = info.getTestMethod().orElseThrow().getName();
    driver = Browser.start(Path.of("target", "chromium-profiles"));
    page = new DashboardPage(driver).open(demo.uri());
  }

  @AfterEach
  void stopBrowser() throws Exception {
    if (driver != null) {
      try {
        Browser.screenshot(driver, testName);
      } finally {
        driver.quit();
      }
    }
  }

  @Test
  void operatorSeesEveryDeviceAsATileGroupedByRackAndChassis() {
    page.logIn(demo.operatorToken());

    assertThat(page.who()).contains("operator");
    List<String> tiles = page.awaitTiles(4);
    assertThat(tiles).containsExactlyInAnyOrderElementsOf(deviceNames());
    assertThat(page.groupTitles()).isNotEmpty().allSatisfy(t -> assertThat(t).contains("chassis"));
    assertThat(page.count("ready")).startsWith("ready: ");
  }

  @Test
  void operatorSelfTestsADeviceThatNeedsAHumanAndWatchesItsTileChange() throws Exception {
    String device = readyDevice();
    Lifeguard lifeguard = demo.server().pool().lifeguard();
    lifeguard.changeState(device, "ready", "failed_self_test").toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    page.logIn(demo.operatorToken());

    page.awaitFamily(device, "failed");
    page.awaitNeedingAHuman(device);
    // with its last log lines
    assertThat(page.attentionText(device, "lifeguard: device needs a human"))
        .contains("failed_self_test", "state forced from ready to failed_self_test");
    // with how long it has waited and its failure history, from its statistics
    org.mozpool.DeviceStatistics stats = demo.server().pool().inventory().statistics(device);
    assertThat(page.attentionText(device, "failed since")).contains(
        "failed since " + stats.familySince(),
        "failures: failed_self_test ×" + stats.failuresByState().get("failed_self_test"));
    page.openDevice(device);
    assertThat(page.actionsShown()).isTrue();
    // Lifeguard takes a power cycle only in new, unknown, troubleshooting and ready: the page
    // shows the API's refusal
    page.powerCycle();
    assertThat(page.panelMessage("refused")).contains("failed_self_test");
    page.selfTest();

    assertThat(page.panelMessage("done")).doesNotContain("refused");
    page.awaitFamilyOtherThan(device, "failed");
    assertThat(page.familyOf(device)).isIn("self-test", "ready");
    await().atMost(Duration.ofSeconds(60)).until(() -> !page.needingAHuman().contains(device));
  }

  @Test
  void operatorParksADeviceInTroubleshootingAndCommentsOnIt() throws Exception {
    String device = readyDevice();
    page.logIn(demo.operatorToken());
    page.awaitFamily(device, "ready");
    page.openDevice(device);

    page.changeStateTo("troubleshooting");
    assertThat(page.panelMessage("done")).doesNotContain("refused");
    page.awaitFamily(device, "maintenance");
    assertThat(demo.server().pool().lifeguard().state(device)).isEqualTo("troubleshooting");
    page.setComments("loose cable, see ticket 42");
    page.awaitPanelComments("loose cable, see ticket 42");

    page.changeStateTo("ready");
    page.awaitFamily(device, "ready");
  }

  @Test
  void theDevicePanelShowsTheDevicesStatistics() throws Exception {
    String device = readyDevice();
    Lifeguard lifeguard = demo.server().pool().lifeguard();
    long before = demo.server().pool().inventory().statistics(device).failuresByState()
        .getOrDefault("failed_pxe_booting", 0L);
    // Two failures forced by an operator, then parked where nothing happens to it by itself.
    for (String[] change : new String[][] {{"ready", "failed_pxe_booting"},
        {"failed_pxe_booting", "troubleshooting"}, {"troubleshooting", "failed_pxe_booting"},
        {"failed_pxe_booting", "troubleshooting"}}) {
      lifeguard.changeState(device, change[0], change[1]).toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
    }
    org.mozpool.DeviceStatistics known = demo.server().pool().inventory().statistics(device);
    assertThat(known.failuresByState()).containsEntry("failed_pxe_booting", before + 2);
    page.logIn(demo.operatorToken());
    page.awaitFamily(device, "maintenance");

    page.openDevice(device);

    page.awaitStatistic("self-tests", known.selfTestsPassed() + " passed, "
        + known.selfTestsFailed() + " failed");
    assertThat(page.statistic("failures")).startsWith(known.failures() + " (")
        .contains("failed_pxe_booting " + (before + 2));
    assertThat(page.statistic("power-cycles")).isEqualTo(String.valueOf(known.powerCycles()));
    // families with whole seconds in them: maintenance shows once the device has spent a second
    // there (the panel refreshes every few seconds); failed stays under a second
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
        page.statisticsFamilies()).contains("ready", "maintenance")
        .isSubsetOf(org.mozpool.DeviceStatistics.FAMILIES));
    lifeguard.changeState(device, "troubleshooting", "ready").toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  @Test
  void aDeviceIsRequestedThroughTheFormAndReturned() {
    page.logIn(demo.clientToken());
    page.awaitTiles(4);

    String id = page.requestDevice("any", "b2g", "b2gbase", "http://builds.example/b2g/1/", 600);
    assertThat(page.requestState(id)).isNotEmpty();
    assertThat(page.requestError()).isEmpty();
    String device = page.openRequestsDevice(id);
    assertThat(page.panelRequest(id)).contains("demo-client");
    assertThat(device).startsWith("panda-");
    page.closePanel();
    String expiry = page.requestExpiry(id);
    page.renewRequest(id);
    page.awaitRequestExpiryOtherThan(id, expiry);
    page.returnRequest(id);

    page.awaitRequestGone(id);
    assertThat(page.requestError()).isEmpty();
  }

  @Test
  void aRequestShowsWhenItWasFiledAndHowLongItTookAndIsRenewedForTheTimeChosen() throws Exception {
    page.logIn(demo.clientToken());
    page.awaitTiles(4);

    String id = page.requestDevice("any", "b2g", "b2gbase", "http://builds.example/b2g/2/", 600);
    assertThat(Instant.parse(page.requestFiled(id)))
        .isEqualTo(demo.server().pool().findRequest(id).orElseThrow().createdAt());
    page.awaitRequestState(id, "ready");
    String took = page.awaitTimeToReady(id, "\\d+ (s|min \\d+ s)");
    assertThat(took).isNotEqualTo("0 s");

    Instant before = Instant.now();
    page.renewRequestFor(id, "1 day");
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
        demo.server().pool().findRequest(id).orElseThrow().expiresAt())
        .isBetween(before.plus(Duration.ofHours(24)), before.plus(Duration.ofHours(25))));
    page.returnRequest(id);
    page.awaitRequestGone(id);

    // a closed request comes back with "also the last 20 closed", without actions
    page.showClosedRequests(true);
    page.awaitRequestState(id, "closed");
    assertThat(page.requestHasActions(id)).isFalse();
    assertThat(page.awaitTimeToReady(id, ".+")).isEqualTo(took);
  }

  @Test
  void theLabCanBeWorkedFromTheKeyboardAlone() {
    page.logIn(demo.operatorToken());
    page.awaitTiles(4);

    String device = page.tabToATile(40);
    assertThat(device).as("a tile reached with Tab").isNotNull();
    page.pressKey(Keys.ENTER);
    assertThat(page.panelTitle()).isEqualTo(device);
    assertThat(page.focusedId()).isEqualTo("panel-close");
    page.pressKey(Keys.ESCAPE);
    page.awaitPanelHidden();
    assertThat(page.focusedTile()).isEqualTo(device);
  }

  @Test
  void onAPhoneNothingIsWiderThanTheScreen() {
    driver.manage().window().setSize(new Dimension(390, 844));
    page.logIn(demo.operatorToken());
    String device = page.awaitTiles(4).get(0);

    assertThat(page.horizontalOverflow()).isZero();
    page.openDevice(device);
    assertThat(page.overflowOf("device-panel")).isZero();
    assertThat(page.actionsShown()).isTrue();
  }

  @Test
  void aClientTokenSeesNoActionButtons() {
    page.logIn(demo.clientToken());
    assertThat(page.who()).contains("client");
    String device = page.awaitTiles(4).get(0);

    page.openDevice(device);

    assertThat(page.panelState()).isNotEmpty();
    assertThat(page.actionsShown()).isFalse();
    assertThat(page.visibleActionButtons()).isZero();
  }

  @Test
  void thePageIsServedWithAStrictContentSecurityPolicyAndWhoamiNeedsAToken() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> index = http.send(HttpRequest.newBuilder(demo.uri().resolve("/")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(index.statusCode()).isEqualTo(200);
    assertThat(index.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(
        csp -> assertThat(csp).startsWith("default-src 'self'"));
    assertThat(index.body()).doesNotContain("http://", "https://");

    for (String asset : List.of("/ui/static/dashboard.js", "/ui/static/dashboard.css")) {
      HttpResponse<String> file = http.send(HttpRequest.newBuilder(demo.uri().resolve(asset))
          .build(), HttpResponse.BodyHandlers.ofString());
      assertThat(file.statusCode()).as(asset).isEqualTo(200);
      assertThat(file.headers().firstValue("Content-Type")).hasValueSatisfying(
          type -> assertThat(type).startsWith(asset.endsWith(".js") ? "text/javascript"
              : "text/css"));
      assertThat(file.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
    }
    assertThat(http.send(HttpRequest.newBuilder(demo.uri().resolve("/ui/static/DemoLab.class"))
        .build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);

    URI whoami = demo.uri().resolve("/ui/whoami");
    assertThat(http.send(HttpRequest.newBuilder(whoami).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
    HttpResponse<String> me = http.send(HttpRequest.newBuilder(whoami)
        .header("Authorization", "Bearer " + demo.operatorToken()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(me.body()).contains("\"role\":\"operator\"", "\"name\":\"demo-operator\"");
    assertThat(http.send(HttpRequest.newBuilder(demo.uri().resolve("/ui/static/../../pom.xml"))
        .build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
  }

  private static List<String> deviceNames() {
    return demo.server().pool().inventory().devices().stream().map(DeviceView::name).toList();
  }

  /** A device that is ready and not held by a request, once the demo lab has self-tested. */
  private static String readyDevice() {
    return await().atMost(Duration.ofSeconds(90)).until(() -> demo.server().pool().inventory()
            .devices().stream().filter(d -> "ready".equals(d.state()) && d.claimedBy().isEmpty())
            .map(DeviceView::name).findFirst().orElse(null),
        name -> name != null);
  }
}
