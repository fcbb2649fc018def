package org.mozpool.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code mozpool request …}: a running server's requests (leases), through its REST API. */
@Command(name = "request", mixinStandardHelpOptions = true,
    subcommands = {RequestCommand.ListRequests.class, RequestCommand.Show.class,
        RequestCommand.New.class, RequestCommand.Renew.class, RequestCommand.Return.class},
    description = "The requests of a running server (token in $MOZPOOL_TOKEN).")
final class RequestCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(),
        "a request command is required: list, show, new, renew or return");
  }

  static List<String> row(JsonNode r) {
    return List.of(ApiCommand.text(r, "id"), ApiCommand.text(r, "state"),
        ApiCommand.text(r, "assigned_device"), ApiCommand.text(r, "requested_device"),
        ApiCommand.text(r, "image"), ApiCommand.text(r, "assignee"),
        ApiCommand.text(r, "expires"));
  }

  static final List<String> HEADER = List.of("ID", "STATE", "DEVICE", "REQUESTED", "IMAGE",
      "ASSIGNEE", "EXPIRES");

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "List the open requests (with --all, the closed ones too).")
  static final class ListRequests extends ApiCommand {
    @Option(names = "--all", description = "include closed requests")
    boolean all;

    @Override
    int run(ApiClient client, PrintWriter out) {
      ApiClient.Answer answer = client.get("api/request/list/"
          + (all ? "?include_closed=1" : ""));
      if (json()) {
        return printRaw(out, answer);
      }
      List<List<String>> rows = new ArrayList<>();
      for (JsonNode r : elements(answer.json(), "requests")) {
        rows.add(row(r));
      }
      printTable(out, HEADER, rows);
      return MozpoolCommand.OK;
    }
  }

  /** The commands about one request. */
  abstract static class OneRequest extends ApiCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "the request's id")
    String id;

    String requestPath(String rest) {
      requireName("ID", id);
      return "api/request/" + segment(id) + "/" + rest;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true,
      description = "One request's details (with --log, its log too).")
  static final class Show extends OneRequest {
    @Option(names = "--log", description = "also print the request's log")
    boolean log;

    @Override
    int run(ApiClient client, PrintWriter out) {
      ApiClient.Answer details = client.get(requestPath("details/"));
      ApiClient.Answer logAnswer = log ? client.get(requestPath("log/")) : null;
      if (json()) {
        if (logAnswer == null) {
          return printRaw(out, details);
        }
        out.println(ApiClient.JSON.createObjectNode().<com.fasterxml.jackson.databind.node
            .ObjectNode>set("details", details.json()).set("log", logAnswer.json().get("log")));
        return MozpoolCommand.OK;
      }
      printFields(out, details.json());
      if (logAnswer != null) {
        out.println();
        printLog(out, logAnswer.json());
      }
      return MozpoolCommand.OK;
    }
  }

  @Command(name = "new", mixinStandardHelpOptions = true,
      description = {"Request a device with an image, for a duration.",
          "The image's boot config keys are given with --b2gbase (for b2g) or --boot-config."})
  static final class New extends ApiCommand {
    @Option(names = "--device", paramLabel = "NAME", defaultValue = "any",
        description = "a device by name, or any (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--image", paramLabel = "IMAGE", required = true,
        description = "the image to install (b2g, android, …)")
    String image;

    @Option(names = "--duration", paramLabel = "SECONDS", defaultValue = "3600",
        description = "how long the lease lasts (default: ${DEFAULT-VALUE})")
    long duration;

    @Option(names = "--assignee", paramLabel = "WHO",
        description = "who the device is for (default: your user name)")
    String assignee;

    @Option(names = "--environment", paramLabel = "ENV", defaultValue = "any",
        description = "the device's environment (default: ${DEFAULT-VALUE})")
    String environment;

    @Option(names = "--b2gbase", paramLabel = "URL", description = "the b2g build to install")
    String b2gbase;

    @Option(names = "--wait", paramLabel = "SECONDS",
        description = "wait up to SECONDS for the device to be ready; a request that fails or"
            + " is not ready in time exits 1")
    Integer waitSeconds;

    @Option(names = "--boot-config", paramLabel = "KEY=VALUE",
        description = "a boot config value the image needs (repeatable)")
    Map<String, String> bootConfig = new LinkedHashMap<>();

    String awaitReady(ApiClient client, String id) {
      return awaitReadyImpl(client, id, waitSeconds);
    }

    @Override
    int run(ApiClient client, PrintWriter out) {
      requireName("--device", device);
      if (duration < 1) {
        throw new ParameterException(spec.commandLine(),
            "--duration must be at least 1 second, got " + duration);
      }
      if (waitSeconds != null && waitSeconds < 1) {
        throw new ParameterException(spec.commandLine(),
            "--wait must be at least 1 second, got " + waitSeconds);
      }
      String who = assignee != null ? assignee : System.getProperty("user.name", "");
      if (who.isBlank()) {
        throw new ParameterException(spec.commandLine(), "--assignee is required (no user name)");
      }
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("assignee", who);
      body.put("duration", duration);
      body.put("image", image);
      body.put("environment", environment);
      bootConfig.forEach(body::putIfAbsent);
      if (b2gbase != null) {
        body.put("b2gbase", b2gbase);
      }
      ApiClient.Answer answer = client.post("api/device/" + segment(device) + "/request/", body);
      JsonNode request = answer.json().has("request") ? answer.json().get("request")
          : answer.json();
      if (waitSeconds != null) {
        String id = text(request, "id");
        String state = awaitReady(client, id);
        answer = client.get("api/request/" + segment(id) + "/details/");
        request = answer.json();
        if (!READY.equals(state)) {
          if (json()) {
            printRaw(out, answer);
          }
          return MozpoolCommand.failed(spec, "request " + id + " is " + state
              + (isEnded(state) ? "" : " after " + waitSeconds + " s"));
        }
      }
      if (json()) {
        return printRaw(out, answer);
      }
      out.println("request " + text(request, "id") + ": " + text(request, "state")
          + ", device " + text(request, "assigned_device") + ", expires "
          + text(request, "expires"));
      return MozpoolCommand.OK;
    }
  }

  static final String READY = "ready";

  static boolean isEnded(String state) {
    return "closed".equals(state) || state.startsWith("failed_");
  }

  /**
   * Polls the request's status until it is ready or has ended, or {@code --wait} runs out;
   * returns the last state seen.
   */
  static String awaitReadyImpl(ApiClient client, String id, int seconds) {
    long giveUp = System.nanoTime() + seconds * 1_000_000_000L;
    String state = "";
    while (true) {
      state = ApiCommand.text(client.get("api/request/" + ApiCommand.segment(id) + "/status/")
          .json(), "state");
      if (READY.equals(state) || isEnded(state) || System.nanoTime() >= giveUp) {
        return state;
      }
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return state;
      }
    }
  }

  @Command(name = "renew", mixinStandardHelpOptions = true,
      description = "Set the time left on a request's lease.")
  static final class Renew extends OneRequest {
    @Option(names = "--duration", paramLabel = "SECONDS", required = true,
        description = "the lease's new remaining time")
    long duration;

    @Override
    int run(ApiClient client, PrintWriter out) {
      if (duration < 1) {
        throw new ParameterException(spec.commandLine(),
            "--duration must be at least 1 second, got " + duration);
      }
      ApiClient.Answer answer = client.post(requestPath("renew/"), Map.of("duration", duration));
      if (json()) {
        return printRaw(out, answer);
      }
      out.println("OK: request " + id + " renewed for " + duration + " s");
      return MozpoolCommand.OK;
    }
  }

  @Command(name = "return", mixinStandardHelpOptions = true,
      description = "Return a request's device to the pool (closes the request).")
  static final class Return extends OneRequest {
    @Override
    int run(ApiClient client, PrintWriter out) {
      ApiClient.Answer answer = client.post(requestPath("return/"), Map.of());
      if (json()) {
        return printRaw(out, answer);
      }
      out.println("OK: request " + id + " returned");
      return MozpoolCommand.OK;
    }
  }
}
