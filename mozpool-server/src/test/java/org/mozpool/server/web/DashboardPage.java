package org.mozpool.server.web;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.openqa.selenium.Alert;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard as a person uses it: log in, look at tiles, open a device, press its buttons,
 * request and return devices. The one place that knows the page's selectors. The page redraws
 * itself every few seconds, so every read finds its elements afresh and retries a stale one.
 */
final class DashboardPage {

  private final WebDriver driver;
  private final WebDriverWait wait;

  DashboardPage(WebDriver driver) {
    this.driver = driver;
    this.wait = new WebDriverWait(driver, Duration.ofSeconds(60));
    wait.ignoring(StaleElementReferenceException.class);
  }

  DashboardPage open(URI server) {
    driver.get(server.resolve("/").toString());
    return this;
  }

  DashboardPage logIn(String token) {
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("login-token"))).sendKeys(token);
    driver.findElement(By.id("login-submit")).click();
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("app")));
    return this;
  }

  String who() {
    return wait.until(d -> {
      String text = d.findElement(By.id("who")).getText();
      return text.isEmpty() ? null : text;
    });
  }

  /** Waits until {@code count} tiles are shown and answers their device names. */
  List<String> awaitTiles(int count) {
    return wait.until(d -> {
      List<String> names = attributes(".tile", "data-device");
      return names.size() == count ? names : null;
    });
  }

  /**
   * An attribute of every element {@code selector} finds, read in one script: element by element
   * would take longer than the page takes to redraw a large lab.
   */
  @SuppressWarnings("unchecked")
  private List<String> attributes(String selector, String attribute) {
    return (List<String>) ((JavascriptExecutor) driver).executeScript(
        "var name = arguments[1]; return Array.prototype.map.call("
            + "document.querySelectorAll(arguments[0]), function (e) {"
            + " return e.getAttribute(name); })",
        selector, attribute);
  }

  List<String> groupTitles() {
    @SuppressWarnings("unchecked")
    List<String> titles = (List<String>) ((JavascriptExecutor) driver).executeScript(
        "return Array.prototype.map.call(document.querySelectorAll('.group h3'),"
            + " function (e) { return e.textContent; })");
    return titles;
  }

  String familyOf(String device) {
    return wait.until(d -> d.findElement(tile(device)).getAttribute("data-family"));
  }

  void awaitFamily(String device, String family) {
    wait.until(d -> family.equals(d.findElement(tile(device)).getAttribute("data-family")));
  }

  void awaitFamilyOtherThan(String device, String family) {
    wait.until(d -> !family.equals(d.findElement(tile(device)).getAttribute("data-family")));
  }

  String count(String family) {
    return wait.until(d -> d.findElement(By.id("count-" + family)).getText());
  }

  /** The devices listed under "Needs a human", in the order shown. */
  List<String> needingAHuman() {
    return attributes("#attention-list > li", "data-device");
  }

  void awaitNeedingAHuman(String device) {
    wait.until(d -> needingAHuman().contains(device));
  }

  /** Waits until the device's entry under "Needs a human" says {@code expected}. */
  String attentionText(String device, String expected) {
    return wait.until(d -> {
      String text = d.findElement(
          By.cssSelector("#attention-list > li[data-device='" + device + "']")).getText();
      return text.contains(expected) ? text : null;
    });
  }

  DashboardPage openDevice(String device) {
    click(tile(device));
    wait.until(d -> device.equals(d.findElement(By.id("panel-title")).getText()));
    return this;
  }

  String panelState() {
    return wait.until(d -> d.findElement(By.id("panel-state")).getAttribute("data-state"));
  }

  boolean actionsShown() {
    return driver.findElement(By.id("panel-actions")).isDisplayed();
  }

  int visibleActionButtons() {
    return (int) driver.findElements(By.cssSelector("#panel-actions button")).stream()
        .filter(WebElement::isDisplayed).count();
  }

  void selfTest() {
    press("act-self-test");
  }

  void powerCycle() {
    press("act-power-cycle");
  }

  void changeStateTo(String state) {
    new Select(driver.findElement(By.id("act-new-state"))).selectByValue(state);
    press("act-state-change");
  }

  /** Waits until the panel's message or error says {@code expected}; answers the whole text. */
  String panelMessage(String expected) {
    return wait.until(d -> {
      String text = d.findElement(By.id("panel-message")).getText()
          + d.findElement(By.id("panel-error")).getText();
      return text.contains(expected) ? text : null;
    });
  }

  private void press(String button) {
    click(By.id(button));
    accept();
  }

  private void accept() {
    Alert alert = wait.until(ExpectedConditions.alertIsPresent());
    alert.accept();
  }

  void setComments(String comments) {
    WebElement field = driver.findElement(By.id("act-comments"));
    field.clear();
    field.sendKeys(comments);
    press("act-set-comments");
  }

  String panelComments() {
    return driver.findElement(By.id("panel-comments")).getText();
  }

  void awaitPanelComments(String comments) {
    wait.until(d -> comments.equals(d.findElement(By.id("panel-comments")).getText()));
  }

  /** Waits until the panel's statistic {@code name} (e.g. {@code failures}) reads {@code text}. */
  void awaitStatistic(String name, String text) {
    wait.until(d -> text.equals(d.findElement(By.id("stats-" + name)).getText()));
  }

  /** The panel's statistic {@code name} as shown. */
  String statistic(String name) {
    return driver.findElement(By.id("stats-" + name)).getText();
  }

  /** The state families the panel's statistics list, top to bottom. */
  List<String> statisticsFamilies() {
    return attributes("#stats-family-rows tr", "data-family");
  }

  /** Presses a state family's count, which shows only that family (or, again, every device). */
  void toggleFamily(String family) {
    click(By.id("count-" + family));
  }

  void filterByName(String text) {
    driver.findElement(By.id("f-name")).sendKeys(text);
  }

  /** Fills in and sends the request form; answers once the request is listed. */
  String requestDevice(String device, String image, String bootKey, String bootValue,
      int seconds) {
    List<String> before = requestIds();
    WebElement deviceField = driver.findElement(By.id("req-device"));
    deviceField.clear();
    deviceField.sendKeys(device);
    wait.until(d -> new Select(d.findElement(By.id("req-image"))).getOptions().stream()
        .anyMatch(o -> o.getAttribute("value").equals(image)));
    new Select(driver.findElement(By.id("req-image"))).selectByValue(image);
    if (bootKey != null) {
      wait.until(ExpectedConditions.visibilityOfElementLocated(
          By.cssSelector("#req-boot-keys input[data-key='" + bootKey + "']"))).sendKeys(bootValue);
    }
    WebElement duration = driver.findElement(By.id("req-duration"));
    duration.clear();
    duration.sendKeys(Integer.toString(seconds));
    driver.findElement(By.id("req-submit")).click();
    accept();
    return wait.until(d -> requestIds().stream().filter(id -> !before.contains(id))
        .findFirst().orElse(null));
  }

  List<String> requestIds() {
    return attributes("#request-rows tr", "data-request");
  }

  String requestState(String id) {
    return wait.until(d -> d.findElement(row(id)).getAttribute("data-state"));
  }

  void awaitRequestState(String id, String state) {
    wait.until(d -> state.equals(d.findElement(row(id)).getAttribute("data-state")));
  }

  String requestExpiry(String id) {
    return wait.until(d -> d.findElement(row(id)).findElement(By.className("req-expires"))
        .getText());
  }

  /** Renews the request by the row's default choice (one hour). */
  void renewRequest(String id) {
    click(
        By.cssSelector("#request-rows tr[data-request='" + id + "'] .req-renew"));
    accept();
  }

  /** Renews the request for the row's choice labelled {@code choice} ("1 day", say). */
  void renewRequestFor(String id, String choice) {
    By select = By.cssSelector("#request-rows tr[data-request='" + id + "'] .req-renew-for");
    By renew = By.cssSelector("#request-rows tr[data-request='" + id + "'] .req-renew");
    // the table is redrawn with every poll: choose and press in one go, again if it was redrawn
    wait.until(d -> {
      new Select(d.findElement(select)).selectByVisibleText(choice);
      d.findElement(renew).click();
      return true;
    });
    accept();
  }

  /** Waits until the row's "time to ready" cell matches {@code pattern} and answers it. */
  String awaitTimeToReady(String id, String pattern) {
    return wait.until(d -> {
      String text = d.findElement(row(id)).findElement(By.className("req-ttr")).getText();
      return text.matches(pattern) ? text : null;
    });
  }

  String requestFiled(String id) {
    return wait.until(d -> d.findElement(row(id)).findElement(By.className("req-created"))
        .getText());
  }

  /** Ticks or unticks "also the last 20 closed". */
  void showClosedRequests(boolean show) {
    WebElement box = driver.findElement(By.id("show-closed"));
    if (box.isSelected() != show) {
      box.click();
    }
  }

  /** Whether the request's row offers renew and return. */
  boolean requestHasActions(String id) {
    return !driver.findElement(row(id)).findElements(By.className("req-return")).isEmpty();
  }

  /** Whether the "Instances" section is shown (it is when several instances share the database). */
  boolean instancesShown() {
    return wait.until(d -> {
      String hidden = d.findElement(By.id("instances")).getAttribute("hidden");
      return hidden == null ? Boolean.TRUE : null;
    });
  }

  /** The instances listed, in the order shown, once there are {@code count}. */
  List<String> awaitInstances(int count) {
    return wait.until(d -> {
      List<String> ids = attributes("#instance-rows tr", "data-instance");
      return ids.size() == count ? ids : null;
    });
  }

  /** The text of cell {@code column} ("status", "devices", …) of an instance's row. */
  String instanceCell(String instance, String column) {
    return wait.until(d -> d.findElement(By.cssSelector("#instance-rows tr[data-instance='"
        + instance + "'] .inst-" + column)).getText());
  }

  /** The instance a device's tile names as driving it (shown when several share the database). */
  String tileDriver(String device) {
    return wait.until(d -> {
      List<WebElement> driverLine = d.findElement(tile(device)).findElements(By.className("driver"));
      return driverLine.isEmpty() ? null : driverLine.get(0).getText();
    });
  }

  /** The device panel's "Driven by". */
  String panelDriver() {
    return wait.until(d -> {
      String text = d.findElement(By.id("panel-driver")).getText();
      return text.isEmpty() ? null : text;
    });
  }

  /** The request row's "instance" cell. */
  String requestDriver(String id) {
    return wait.until(d -> d.findElement(row(id)).findElement(By.className("req-driver"))
        .getText());
  }

  /** Chooses the period of the device log ("the last hour", say). */
  void showLogOf(String period) {
    new Select(driver.findElement(By.id("panel-log-period"))).selectByVisibleText(period);
  }

  /** Waits until the device log shows exactly {@code count} lines and answers them. */
  List<String> awaitPanelLog(int count) {
    return wait.until(d -> {
      List<String> lines = d.findElements(By.cssSelector("#panel-log li")).stream()
          .map(WebElement::getText).toList();
      return lines.size() == count ? lines : null;
    });
  }

  /** Whether "No log line in that time." is shown. */
  boolean panelLogEmptyNoteShown() {
    return driver.findElement(By.id("panel-log-none")).isDisplayed();
  }

  void awaitRequestExpiryOtherThan(String id, String expiry) {
    wait.until(d -> !expiry.equals(requestExpiry(id)));
  }

  /** Waits until the request holds a device, opens that device's panel and answers its name. */
  String openRequestsDevice(String id) {
    By device = By.cssSelector("#request-rows tr[data-request='" + id + "'] button[data-device]");
    String name = wait.until(d -> d.findElement(device).getAttribute("data-device"));
    click(device);
    wait.until(d -> name.equals(d.findElement(By.id("panel-title")).getText()));
    return name;
  }

  /** Waits until the panel's "Request" line says {@code expected}. */
  String panelRequest(String expected) {
    return wait.until(d -> {
      String text = d.findElement(By.id("panel-request")).getText();
      return text.contains(expected) ? text : null;
    });
  }

  void closePanel() {
    driver.findElement(By.id("panel-close")).click();
    wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("device-panel")));
  }

  void returnRequest(String id) {
    click(
        By.cssSelector("#request-rows tr[data-request='" + id + "'] .req-return"));
    accept();
  }

  void awaitRequestGone(String id) {
    wait.until(d -> !requestIds().contains(id));
  }

  String requestError() {
    return driver.findElement(By.id("request-error")).getText();
  }

  /**
   * Presses Tab until a device tile has the keyboard focus (at most {@code maxPresses} times) and
   * answers its device, or null.
   */
  String tabToATile(int maxPresses) {
    for (int i = 0; i < maxPresses; i++) {
      new Actions(driver).sendKeys(Keys.TAB).perform();
      String device = focusedTile();
      if (device != null) {
        return device;
      }
    }
    return null;
  }

  /** The device of the tile that has the keyboard focus, or null. */
  String focusedTile() {
    return (String) ((JavascriptExecutor) driver).executeScript(
        "var e = document.activeElement;"
            + " return e && e.classList.contains('tile') ? e.dataset.device : null;");
  }

  /** The id of the element that has the keyboard focus. */
  String focusedId() {
    return (String) ((JavascriptExecutor) driver).executeScript(
        "return document.activeElement ? document.activeElement.id : null;");
  }

  void pressKey(Keys key) {
    new Actions(driver).sendKeys(key).perform();
  }

  boolean panelShown() {
    return driver.findElement(By.id("device-panel")).isDisplayed();
  }

  void awaitPanelHidden() {
    wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("device-panel")));
  }

  String panelTitle() {
    return wait.until(d -> {
      String t = d.findElement(By.id("panel-title")).getText();
      return t.isEmpty() ? null : t;
    });
  }

  /** How many CSS pixels the page is wider than the window (0 when it fits). */
  long horizontalOverflow() {
    return (Long) ((JavascriptExecutor) driver).executeScript(
        "return Math.max(0, document.documentElement.scrollWidth - window.innerWidth);");
  }

  /** How many CSS pixels the element sticks out of the window on the right (0 when it fits). */
  long overflowOf(String id) {
    return (Long) ((JavascriptExecutor) driver).executeScript(
        "var r = document.getElementById(arguments[0]).getBoundingClientRect();"
            + " return Math.max(0, Math.ceil(r.right - window.innerWidth));", id);
  }

  /**
   * Clicks what {@code target} finds once it is clickable; the page redraws itself every few
   * seconds, so an element gone stale between finding and clicking is found and clicked again.
   */
  private void click(By target) {
    wait.until(d -> {
      WebElement e = ExpectedConditions.elementToBeClickable(target).apply(d);
      if (e == null) {
        return false;
      }
      e.click();
      return true;
    });
  }

  private static By tile(String device) {
    return By.cssSelector(".tile[data-device='" + device + "']");
  }

  private static By row(String id) {
    return By.cssSelector("#request-rows tr[data-request='" + id + "']");
  }
}
