package org.mozpool.server.web;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The dashboard's files (the same classpath resources the server serves) and canned API answers
 * on a loopback port: a lab of any size without simulating its boards. Unknown routes answer 404
 * with a JSON error, as the server does.
 */
final class CannedLab implements AutoCloseable {

  private static final Map<String, String> PAGES = Map.of(
      "/", "index.html", "/ui/static/dashboard.css", "dashboard.css",
      "/ui/static/dashboard.js", "dashboard.js");

  private final HttpServer server;
  private final Map<String, String> answers = new ConcurrentHashMap<>();

  CannedLab() {
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.createContext("/", exchange -> {
      String target = exchange.getRequestURI().getRawPath()
          + (exchange.getRequestURI().getRawQuery() == null ? ""
              : "?" + exchange.getRequestURI().getRawQuery());
      String page = PAGES.get(target);
      byte[] bytes;
      int status = 200;
      if (page != null) {
        try (InputStream in = CannedLab.class.getResourceAsStream(
            "/org/mozpool/server/web/" + page)) {
          bytes = in.readAllBytes();
        }
        exchange.getResponseHeaders().set("Content-Type", page.endsWith(".html") ? "text/html"
            : page.endsWith(".css") ? "text/css" : "text/javascript");
      } else {
        String body = answers.get(exchange.getRequestMethod() + " " + target);
        if (body == null) {
          status = 404;
          body = "{\"error\": \"no such route: " + target + "\"}";
        }
        bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
      }
      exchange.getResponseHeaders().set("Content-Security-Policy", "default-src 'self'");
      exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
      exchange.getResponseBody().write(bytes);
      exchange.close();
    });
    server.start();
  }

  CannedLab answer(String methodAndTarget, String body) {
    answers.put(methodAndTarget, body);
    return this;
  }

  URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
