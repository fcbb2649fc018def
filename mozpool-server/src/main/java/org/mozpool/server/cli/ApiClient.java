package org.mozpool.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;

/**
 * The CLI's side of the REST API: one call at a time with {@link HttpClient}, the bearer token
 * in the {@code Authorization} header, bounded connect and answer times. An answer of 400 or more
 * becomes a {@link Refused} carrying the server's own error message; a server that cannot be
 * reached becomes {@link Unreachable}.
 */
final class ApiClient {
  static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final String display;
  private final String token;
  private final Duration timeout;
  private final HttpClient http;

  ApiClient(URI base, String token, Duration connectTimeout, Duration timeout) {
    this.base = base;
    this.display = base.toString().replaceAll("/+$", "");
    this.token = token;
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(connectTimeout)
        .followRedirects(HttpClient.Redirect.NORMAL).build();
  }

  /** An answer of the server: its status and body. */
  record Answer(int status, String body) {
    /** The body as JSON; an empty body is an empty object. */
    JsonNode json() {
      if (body.isBlank()) {
        return JSON.createObjectNode();
      }
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new Refused(status, "the server's answer is not JSON: " + abbreviate(body));
      }
    }
  }

  /** The server answered with an error status. */
  static final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;

    Refused(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  /** The server could not be reached. */
  static final class Unreachable extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Unreachable(String message) {
      super(message);
    }
  }

  /** The server's base URL. */
  URI base() {
    return base;
  }

  Answer get(String path) {
    return send(request(path).GET());
  }

  Answer post(String path, Object body) {
    String json;
    try {
      json = JSON.writeValueAsString(body);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return send(request(path).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(timeout)
        .header("Accept", "application/json");
    if (token != null && !token.isBlank()) {
      b.header("Authorization", "Bearer " + token.strip());
    }
    return b;
  }

  private Answer send(HttpRequest.Builder request) {
    HttpRequest r = request.build();
    HttpResponse<String> response;
    try {
      response = http.send(r, HttpResponse.BodyHandlers.ofString());
    } catch (HttpConnectTimeoutException e) {
      throw new Unreachable("cannot reach the server at " + display + ": no connection within "
          + "the connect timeout");
    } catch (HttpTimeoutException e) {
      throw new Unreachable("the server at " + display + " did not answer " + r.method() + " "
          + r.uri().getPath() + " within " + timeout.toSeconds() + " s");
    } catch (ConnectException e) {
      throw new Unreachable("cannot reach the server at " + display + ": "
          + (unresolved(e) ? "unknown host " + base.getHost() : "connection refused"));
    } catch (IOException e) {
      throw new Unreachable("cannot reach the server at " + display + ": " + describe(e));
    } catch (UnresolvedAddressException e) {
      throw new Unreachable("cannot reach the server at " + display + ": unknown host "
          + base.getHost());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Unreachable("interrupted");
    }
    Answer answer = new Answer(response.statusCode(), response.body() == null ? ""
        : response.body());
    if (answer.status() >= 400) {
      throw new Refused(answer.status(), errorMessage(answer));
    }
    return answer;
  }

  private static boolean unresolved(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof UnresolvedAddressException || t instanceof java.net.UnknownHostException) {
        return true;
      }
    }
    return false;
  }

  private String describe(IOException e) {
    Throwable t = e;
    while (t.getCause() != null && t.getMessage() == null) {
      t = t.getCause();
    }
    if (unresolved(e)) {
      return "unknown host " + base.getHost();
    }
    return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
  }

  /** The server's message for a refusal: its JSON {@code error}, else the start of the body. */
  private static String errorMessage(Answer answer) {
    String message = null;
    try {
      JsonNode json = JSON.readTree(answer.body());
      if (json != null && json.hasNonNull("error")) {
        message = json.get("error").asText();
      } else if (json != null && json.hasNonNull("message")) {
        message = json.get("message").asText();
      }
    } catch (IOException e) {
      // not JSON: the body itself says it, if anything
    }
    if (message == null || message.isBlank()) {
      message = answer.body().isBlank() ? reason(answer.status()) : abbreviate(answer.body());
    }
    String hint = answer.status() == 401 ? " (is $" + MozpoolCommand.TOKEN_VARIABLE
        + " set to a token the server knows?)" : "";
    return message + " (HTTP " + answer.status() + ")" + hint;
  }

  private static String reason(int status) {
    return switch (status) {
      case 400 -> "bad request";
      case 401 -> "unauthorized";
      case 403 -> "forbidden";
      case 404 -> "not found";
      case 409 -> "conflict";
      default -> "error";
    };
  }

  static String abbreviate(String s) {
    String one = s.strip().replaceAll("\\s+", " ");
    return one.length() <= 200 ? one : one.substring(0, 200) + "…";
  }
}
