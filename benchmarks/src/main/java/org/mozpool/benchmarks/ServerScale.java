package org.mozpool.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.mozpool.server.demo.DemoLab;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The server at scale (issue "Performance", item 5; the dashboard issue's 800-device line):
 * <ol>
 *   <li><b>API</b>: {@code clients} CI clients over loopback, each from an address of its own
 *       in 127.0.0.0/8 (the server allows 32 connections per address), each filing a request for
 *       {@code any} device through {@code POST /api/device/any/request/} and returning it at once,
 *       for {@code seconds}, against a demo lab of {@code devices} simulated boards; prints the
 *       filings per second and the latency percentiles of {@code request/} and {@code return/}.
 *   <li><b>Device list</b>: {@code GET /api/device/list/?details} (what the dashboard polls)
 *       against demo labs of each size in {@code lists}: its size and latency.
 *   <li><b>Dashboard</b>: where Debian's {@code chromium} and {@code chromedriver} are installed,
 *       the time from pressing "Log in" to the last device tile drawn, in headless Chromium,
 *       for each of those labs, {@code renders} times.
 * </ol>
 * Arguments: {@code clients=100 seconds=30 devices=100 lists=800,10000 renders=5}. A demo lab
 * has at most 1,000 boards: for a larger list, parts 2 and 3 run against canned API answers
 * (the dashboard's render only; the list's latency is not measured).
 */
public final class ServerScale {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

  private ServerScale() {}

  public static void main(String[] args) throws Exception {
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      // the demo labs log every board's every step; only errors are worth printing here
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
    }
    Report.header(ServerScale.class, args);
    int clients = Integer.parseInt(Report.arg(args, "clients", "100"));
    int seconds = Integer.parseInt(Report.arg(args, "seconds", "30"));
    int devices = Integer.parseInt(Report.arg(args, "devices", "100"));
    int renders = Integer.parseInt(Report.arg(args, "renders", "5"));
    List<Integer> lists = new ArrayList<>();
    for (String n : Report.arg(args, "lists", "800,10000").split(",")) {
      if (!n.isBlank()) {
        lists.add(Integer.parseInt(n.trim()));
      }
    }

    apiLoad(clients, seconds, devices);
    for (int size : lists) {
      if (size <= DEMO_LAB_MAX) {
        deviceList(size, renders);
      } else {
        cannedList(size, renders);
      }
    }
    System.exit(0);
  }

  /** The largest demo lab (simulated boards on loopback); larger lists are canned. */
  private static final int DEMO_LAB_MAX = 1000;

  /**
   * The dashboard over a lab too large to simulate board by board: the server's own page,
   * stylesheet and script (the classpath resources it serves) and canned API answers for
   * {@code size} devices in every state family, on a loopback port.
   */
  private static void cannedList(int size, int renders) throws Exception {
    Report.note("device list: " + size + " devices, canned API answers (more than a demo lab's "
        + DEMO_LAB_MAX + " boards); the dashboard's render only");
    String[] states = {"ready", "ready", "ready", "ready", "pxe_booting", "self_test_running",
        "failed_pxe_booting", "failed_quarantined", "maintenance_mode", "retired"};
    StringBuilder list = new StringBuilder("{\"devices\":[");
    for (int i = 1; i <= size; i++) {
      String name = String.format(Locale.ROOT, "panda-%05d", i);
      String state = states[i % states.length];
      list.append(i == 1 ? "" : ",").append("{\"id\":\"").append(name).append("\",\"name\":\"")
          .append(name).append("\",\"state\":\"").append(state)
          .append("\",\"image\":\"b2g\",\"next_image\":\"\",\"environment\":\"")
          .append(i % 2 == 0 ? "production" : "staging")
          .append("\",\"comments\":\"\",\"hardware_type\":\"panda\",\"hardware_model\":\"ES\",")
          .append("\"tags\":{\"rack\":\"").append(1 + (i - 1) / 40).append("\",\"chassis\":\"")
          .append(1 + (i - 1) % 40 / 10).append("\"},\"request_id\":")
          .append("ready".equals(state) && i % 3 == 0 ? "\"r-" + i + "\"" : "null").append('}');
    }
    byte[] devices = list.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    java.util.Map<String, byte[]> answers = new java.util.HashMap<>();
    answers.put("/api/device/list/?details", devices);
    answers.put("/ui/whoami", "{\"name\":\"bench\",\"role\":\"operator\"}".getBytes(StandardCharsets.UTF_8));
    answers.put("/api/request/list/", "{\"requests\":[]}".getBytes(StandardCharsets.UTF_8));
    answers.put("/api/image/list/", "{\"images\":[]}".getBytes(StandardCharsets.UTF_8));
    answers.put("/api/environment/list/", "{\"environments\":[]}".getBytes(StandardCharsets.UTF_8));
    java.util.Map<String, String> pages = java.util.Map.of("/", "index.html",
        "/ui/static/dashboard.css", "dashboard.css", "/ui/static/dashboard.js", "dashboard.js");
    com.sun.net.httpserver.HttpServer http = com.sun.net.httpserver.HttpServer.create(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    http.createContext("/", exchange -> {
      URI u = exchange.getRequestURI();
      String target = u.getRawPath() + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
      byte[] body;
      int status = 200;
      String page = pages.get(target);
      if (page != null) {
        try (InputStream in = ServerScale.class.getResourceAsStream(
            "/org/mozpool/server/web/" + page)) {
          body = in.readAllBytes();
        }
        exchange.getResponseHeaders().set("Content-Type", page.endsWith(".html") ? "text/html"
            : page.endsWith(".css") ? "text/css" : "text/javascript");
      } else {
        body = answers.get(target);
        if (body == null) {
          status = 404;
          body = "{\"error\":\"not canned\"}".getBytes(StandardCharsets.UTF_8);
        }
        exchange.getResponseHeaders().set("Content-Type", "application/json");
      }
      exchange.sendResponseHeaders(status, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    http.start();
    try {
      Report.figure("list." + size + ".answer_kib", devices.length / 1024);
      URI uri = URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/");
      if (Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER)) {
        render(uri, "canned", size, renders);
      } else {
        Report.note("dashboard render skipped: needs " + CHROMIUM + " and " + CHROMEDRIVER);
      }
    } finally {
      http.stop(0);
    }
  }

  private static void apiLoad(int clients, int seconds, int devices) throws Exception {
    Report.note("API: " + clients + " clients for " + seconds + " s against a demo lab of "
        + devices + " boards (timeouts compressed 20x)");
    try (DemoLab demo = DemoLab.start(DemoLab.options().devices(devices).compression(20)
        .listen("127.0.0.1:0"))) {
      Samples filed = new Samples();
      Samples returned = new Samples();
      AtomicLong refused = new AtomicLong();
      long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
      CountDownLatch done = new CountDownLatch(clients);
      for (int i = 0; i < clients; i++) {
        InetAddress from = InetAddress.getByName("127.0." + (10 + i / 250) + "." + (1 + i % 250));
        int client = i;
        Thread t = new Thread(() -> {
          try (Client c = new Client(from, demo.uri(), demo.clientToken())) {
            String body = "{\"assignee\":\"bench-" + client + "\",\"duration\":600,"
                + "\"image\":\"b2g\",\"b2gbase\":\"http://builds.bench/b2g/1/\"}";
            while (System.nanoTime() < end) {
              long t0 = System.nanoTime();
              Answer a = c.post("/api/device/any/request/", body);
              long t1 = System.nanoTime();
              if (a.status != 200) {
                refused.incrementAndGet();
                continue;
              }
              filed.add(t1 - t0);
              String id = JSON.readTree(a.body).path("request").path("id").asText();
              Answer r = c.post("/api/request/" + id + "/return/", "{}");
              returned.add(System.nanoTime() - t1);
              if (r.status != 204) {
                refused.incrementAndGet();
              }
            }
          } catch (IOException e) {
            System.err.println("client " + client + ": " + e);
          } finally {
            done.countDown();
          }
        }, "client-" + i);
        t.setDaemon(true);
        t.start();
      }
      done.await();
      Report.figure("api.clients", clients);
      Report.figure("api.requests_filed_per_second", Report.fmt(filed.count() / (double) seconds));
      Report.figure("api.request.p50", Report.ms(filed.percentile(50)));
      Report.figure("api.request.p99", Report.ms(filed.percentile(99)));
      Report.figure("api.request.max", Report.ms(filed.max()));
      Report.figure("api.return.p50", Report.ms(returned.percentile(50)));
      Report.figure("api.return.p99", Report.ms(returned.percentile(99)));
      Report.figure("api.answers_not_200_or_204", refused.get());
    }
  }

  private static void deviceList(int size, int renders) throws Exception {
    Report.note("device list: a demo lab of " + size + " boards");
    long started = System.nanoTime();
    try (DemoLab demo = DemoLab.start(DemoLab.options().devices(size).compression(20)
        .listen("127.0.0.1:0"))) {
      Report.figure("list." + size + ".lab_start", Report.ms(System.nanoTime() - started));
      Samples calls = new Samples();
      int bytes = 0;
      int listed = 0;
      try (Client c = new Client(InetAddress.getByName("127.0.9.1"), demo.uri(),
          demo.operatorToken())) {
        for (int i = 0; i < 20; i++) {
          long t0 = System.nanoTime();
          Answer a = c.get("/api/device/list/?details");
          calls.add(System.nanoTime() - t0);
          bytes = a.body.length;
          listed = JSON.readTree(a.body).path("devices").size();
        }
      }
      Report.figure("list." + size + ".devices_listed", listed);
      Report.figure("list." + size + ".answer_kib", bytes / 1024);
      Report.figure("list." + size + ".p50", Report.ms(calls.percentile(50)));
      Report.figure("list." + size + ".max", Report.ms(calls.max()));
      if (Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER)) {
        render(demo.uri(), demo.operatorToken(), size, renders);
      } else {
        Report.note("dashboard render skipped: needs " + CHROMIUM + " and " + CHROMEDRIVER);
      }
    }
  }

  /** Login to last tile, in a fresh headless Chromium each time. */
  private static void render(URI server, String token, int size, int renders) throws Exception {
    Samples times = new Samples();
    for (int i = 0; i < renders; i++) {
      Path profile = Files.createTempDirectory("mozpool-bench-chromium-");
      ChromeOptions options = new ChromeOptions();
      options.setBinary(CHROMIUM.toFile());
      options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--disable-dev-shm-usage", "--window-size=1400,1000", "--user-data-dir=" + profile);
      ChromeDriverService service = new ChromeDriverService.Builder()
          .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
      WebDriver driver = new ChromeDriver(service, options);
      try {
        driver.get(server.resolve("/").toString());
        JavascriptExecutor js = (JavascriptExecutor) driver;
        js.executeScript("document.getElementById('login-token').value = arguments[0];", token);
        long t0 = System.nanoTime();
        js.executeScript("document.getElementById('login-submit').click();");
        long deadline = t0 + Duration.ofSeconds(120).toNanos();
        while (((Number) js.executeScript("return document.querySelectorAll('.tile').length;"))
            .intValue() < size) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("the dashboard did not draw " + size + " tiles in 120 s");
          }
          Thread.sleep(5);
        }
        times.add(System.nanoTime() - t0);
      } finally {
        driver.quit();
      }
    }
    Report.figure("dashboard." + size + ".login_to_last_tile.median", Report.ms(times.percentile(50)));
    Report.figure("dashboard." + size + ".login_to_last_tile.max", Report.ms(times.max()));
  }

  private record Answer(int status, byte[] body) {}

  /**
   * A minimal HTTP/1.1 client on one kept-alive connection from a chosen loopback address (the
   * JDK's client cannot choose its source address on Java 17).
   */
  private static final class Client implements AutoCloseable {
    private final InetAddress from;
    private final URI server;
    private final String token;
    private Socket socket;
    private InputStream in;
    private OutputStream out;

    Client(InetAddress from, URI server, String token) {
      this.from = from;
      this.server = server;
      this.token = token;
    }

    Answer get(String path) throws IOException {
      return send("GET", path, null);
    }

    Answer post(String path, String json) throws IOException {
      return send("POST", path, json.getBytes(StandardCharsets.UTF_8));
    }

    private Answer send(String method, String path, byte[] body) throws IOException {
      for (int attempt = 0; ; attempt++) {
        try {
          return exchange(method, path, body);
        } catch (IOException e) {
          close(); // the server closed an idle connection: one retry on a new one
          if (attempt > 0) {
            throw e;
          }
        }
      }
    }

    private Answer exchange(String method, String path, byte[] body) throws IOException {
      if (socket == null) {
        socket = new Socket();
        socket.bind(new InetSocketAddress(from, 0));
        socket.connect(new InetSocketAddress(server.getHost(), server.getPort()), 5000);
        socket.setSoTimeout(60_000);
        socket.setTcpNoDelay(true);
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
      }
      StringBuilder head = new StringBuilder(method).append(' ').append(path)
          .append(" HTTP/1.1\r\nHost: ").append(server.getHost()).append(':')
          .append(server.getPort()).append("\r\nAuthorization: Bearer ").append(token)
          .append("\r\n");
      if (body != null) {
        head.append("Content-Type: application/json\r\nContent-Length: ").append(body.length)
            .append("\r\n");
      }
      out.write(head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
      if (body != null) {
        out.write(body);
      }
      out.flush();
      String status = line();
      if (status == null) {
        throw new IOException("connection closed");
      }
      int code = Integer.parseInt(status.split(" ")[1]);
      int length = 0;
      boolean chunked = false;
      boolean close = false;
      for (String h = line(); h != null && !h.isEmpty(); h = line()) {
        String lower = h.toLowerCase(Locale.ROOT);
        if (lower.startsWith("content-length:")) {
          length = Integer.parseInt(h.substring(15).trim());
        } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
          chunked = true;
        } else if (lower.startsWith("connection:") && lower.contains("close")) {
          close = true;
        }
      }
      byte[] answer;
      if (chunked) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (int n = Integer.parseInt(line().trim(), 16); n > 0;
            n = Integer.parseInt(line().trim(), 16)) {
          all.write(in.readNBytes(n));
          line();
        }
        line();
        answer = all.toByteArray();
      } else {
        answer = in.readNBytes(length);
      }
      if (close) {
        close();
      }
      return new Answer(code, answer);
    }

    private String line() throws IOException {
      StringBuilder s = new StringBuilder();
      for (int c = in.read(); c != -1; c = in.read()) {
        if (c == '\n') {
          int n = s.length();
          return n > 0 && s.charAt(n - 1) == '\r' ? s.substring(0, n - 1) : s.toString();
        }
        s.append((char) c);
      }
      return s.length() == 0 ? null : s.toString();
    }

    @Override
    public void close() {
      if (socket != null) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // closing
        }
        socket = null;
      }
    }
  }
}
