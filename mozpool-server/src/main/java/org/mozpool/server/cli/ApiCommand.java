package org.mozpool.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * A command that calls a running server's REST API: {@code --server}, {@code --json}, the token
 * from {@code $MOZPOOL_TOKEN}, and the mapping of outcomes to exit codes.
 */
abstract class ApiCommand implements Callable<Integer> {

  /** The options every API command takes. */
  static final class ApiOptions {
    @Option(names = "--server", paramLabel = "URL",
        description = "the server (default: $MOZPOOL_SERVER, else http://127.0.0.1:8080)")
    String server;

    @Option(names = "--json", description = "print the API's JSON as it came, for scripts")
    boolean json;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30",
        description = "give up waiting for the server after this many seconds (default:"
            + " ${DEFAULT-VALUE})")
    int timeoutSeconds;
  }

  @Spec CommandSpec spec;
  @Mixin ApiOptions api;

  @Override
  public final Integer call() {
    ApiClient client = client();
    try {
      return run(client, spec.commandLine().getOut());
    } catch (ApiClient.Unreachable e) {
      return MozpoolCommand.failed(spec, e.getMessage(), MozpoolCommand.UNREACHABLE);
    } catch (ApiClient.Refused e) {
      return MozpoolCommand.failed(spec, e.getMessage());
    } finally {
      spec.commandLine().getOut().flush();
    }
  }

  /** Calls the API and prints the outcome; returns the exit code. */
  abstract int run(ApiClient client, PrintWriter out);

  /** Whether the API's JSON is to be printed as it came. */
  boolean json() {
    return api.json;
  }

  private ApiClient client() {
    Map<String, String> env = MozpoolCommand.root(spec).environment;
    String server = api.server != null ? api.server
        : env.getOrDefault(MozpoolCommand.SERVER_VARIABLE, "");
    if (server.isBlank()) {
      server = MozpoolCommand.DEFAULT_SERVER;
    }
    URI base;
    try {
      base = URI.create(server.strip().replaceAll("/+$", "") + "/");
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--server: not a URL: " + server);
    }
    if (!("http".equals(base.getScheme()) || "https".equals(base.getScheme()))
        || base.getHost() == null) {
      throw new ParameterException(spec.commandLine(),
          "--server must be an http:// or https:// URL with a host, got '" + server + "'");
    }
    if (api.timeoutSeconds < 1) {
      throw new ParameterException(spec.commandLine(),
          "--timeout must be at least 1 second, got " + api.timeoutSeconds);
    }
    Duration timeout = Duration.ofSeconds(api.timeoutSeconds);
    return new ApiClient(base, env.get(MozpoolCommand.TOKEN_VARIABLE),
        timeout.compareTo(Duration.ofSeconds(10)) < 0 ? timeout : Duration.ofSeconds(10),
        timeout);
  }

  // ---- helpers for the commands ----

  /** {@code value} as one URL path segment. */
  static String segment(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** Rejects a name that cannot be a device or request name. */
  void requireName(String what, String value) {
    if (value == null || value.isBlank() || value.contains("/")) {
      throw new ParameterException(spec.commandLine(), what + " must be a name without '/', got '"
          + value + "'");
    }
  }

  /** Prints the body as it came (with a final newline), for {@code --json}. */
  static int printRaw(PrintWriter out, ApiClient.Answer answer) {
    String body = answer.body().strip();
    out.println(body.isEmpty() ? "{}" : body);
    return MozpoolCommand.OK;
  }

  /** The text of field {@code name}, or {@code "-"} when missing, null or empty. */
  static String text(JsonNode node, String... names) {
    for (String name : names) {
      JsonNode v = node.get(name);
      if (v == null || v.isNull()) {
        continue;
      }
      String s = v.isValueNode() ? v.asText() : v.toString();
      if (!s.isEmpty()) {
        return s;
      }
    }
    return "-";
  }

  /** The elements of array field {@code name} of {@code node}. */
  static List<JsonNode> elements(JsonNode node, String name) {
    JsonNode array = node.isArray() ? node : node.get(name);
    List<JsonNode> all = new ArrayList<>();
    if (array != null && array.isArray()) {
      array.forEach(all::add);
    }
    return all;
  }

  /** Prints a {@code {"log": [{timestamp, source, message}]}} answer, one line per entry. */
  static void printLog(PrintWriter out, JsonNode json) {
    for (JsonNode line : elements(json, "log")) {
      if (line.isTextual()) {
        out.println(line.asText());
      } else {
        out.println(text(line, "timestamp") + "  " + text(line, "source") + "  "
            + text(line, "message"));
      }
    }
  }

  /** Prints every field of {@code object} as {@code key: value}, aligned. */
  static void printFields(PrintWriter out, JsonNode object) {
    int width = 0;
    for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
      width = Math.max(width, names.next().length());
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      JsonNode v = f.getValue();
      String value = v.isNull() ? "-" : v.isValueNode() ? v.asText() : v.toString();
      out.println(pad(f.getKey() + ":", width + 1) + " " + (value.isEmpty() ? "-" : value));
    }
  }

  /** Prints {@code rows} under {@code header}, columns aligned, two spaces apart. */
  static void printTable(PrintWriter out, List<String> header, List<List<String>> rows) {
    int[] widths = new int[header.size()];
    for (int i = 0; i < widths.length; i++) {
      widths[i] = header.get(i).length();
    }
    for (List<String> row : rows) {
      for (int i = 0; i < widths.length; i++) {
        widths[i] = Math.max(widths[i], row.get(i).length());
      }
    }
    printRow(out, header, widths);
    for (List<String> row : rows) {
      printRow(out, row, widths);
    }
  }

  private static void printRow(PrintWriter out, List<String> cells, int[] widths) {
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < cells.size(); i++) {
      line.append(i == cells.size() - 1 ? cells.get(i) : pad(cells.get(i), widths[i]) + "  ");
    }
    out.println(line.toString().stripTrailing());
  }

  private static String pad(String s, int width) {
    return s.length() >= width ? s : s + " ".repeat(width - s.length());
  }
}
