package org.mozpool.server.cli;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for a server's REST API: canned answers by {@code METHOD /path?query}, every call
 * recorded. Unknown routes answer 404 with a JSON error, as the server does.
 */
final class FakeApi implements AutoCloseable {

  record Call(String method, String target, String authorization, String body) {}

  private record Canned(int status, String body) {}

  private final HttpServer server;
  private final Map<String, Canned> answers = new ConcurrentHashMap<>();
  final List<Call> calls = new CopyOnWriteArrayList<>();

  FakeApi() {
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.createContext("/", exchange -> {
      String target = exchange.getRequestURI().getRawPath()
          + (exchange.getRequestURI().getRawQuery() == null ? ""
              : "?" + exchange.getRequestURI().getRawQuery());
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      calls.add(new Call(exchange.getRequestMethod(), target,
          exchange.getRequestHeaders().getFirst("Authorization"), body));
      Canned c = answers.getOrDefault(exchange.getRequestMethod() + " " + target,
          new Canned(404, "{\"error\": \"no such route: " + target + "\"}"));
      byte[] bytes = c.body().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(c.status(), bytes.length == 0 ? -1 : bytes.length);
      exchange.getResponseBody().write(bytes);
      exchange.close();
    });
    server.start();
  }

  FakeApi answer(String methodAndTarget, int status, String body) {
    answers.put(methodAndTarget, new Canned(status, body));
    return this;
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  Call lastCall() {
    return calls.get(calls.size() - 1);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
