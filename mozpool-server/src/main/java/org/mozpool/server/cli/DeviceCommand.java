package org.mozpool.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code mozpool device …}: a running server's devices, through its REST API. */
@Command(name = "device", mixinStandardHelpOptions = true,
    subcommands = {DeviceCommand.ListDevices.class, DeviceCommand.Show.class,
        DeviceCommand.Log.class, DeviceCommand.Stats.class, DeviceCommand.PowerCycle.class, DeviceCommand.SelfTest.class,
        DeviceCommand.Maintenance.class, DeviceCommand.StateChange.class},
    description = "The devices of a running server (token in $MOZPOOL_TOKEN; operator token"
        + " for power-cycle, self-test, maintenance and state-change).")
final class DeviceCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "a device command is required: list, show,"
        + " log, stats, power-cycle, self-test, maintenance or state-change");
  }

  /** GET {@code device/list/?details}. */
  static JsonNode devices(ApiClient client) {
    return client.get("api/device/list/?details").json();
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "List the devices: name, state, image, environment, tags.")
  static final class ListDevices extends ApiCommand {
    @Option(names = "--state", paramLabel = "STATE", description = "only devices in STATE")
    String state;

    @Override
    int run(ApiClient client, PrintWriter out) {
      ApiClient.Answer answer = client.get("api/device/list/?details");
      if (json()) {
        return printRaw(out, answer);
      }
      List<List<String>> rows = new ArrayList<>();
      for (JsonNode d : elements(answer.json(), "devices")) {
        if (d.isTextual()) { // the list without details: names only
          rows.add(List.of(d.asText(), "-", "-", "-", "-"));
          continue;
        }
        if (state != null && !state.equals(text(d, "state"))) {
          continue;
        }
        rows.add(List.of(text(d, "name"), text(d, "state"), text(d, "image", "last_image"),
            text(d, "environment"), tags(d.get("tags"))));
      }
      printTable(out, List.of("NAME", "STATE", "IMAGE", "ENVIRONMENT", "TAGS"), rows);
      return MozpoolCommand.OK;
    }

    private static String tags(JsonNode tags) {
      if (tags == null || !tags.isObject() || tags.isEmpty()) {
        return "-";
      }
      List<String> pairs = new ArrayList<>();
      tags.fields().forEachRemaining(
          (Map.Entry<String, JsonNode> e) -> pairs.add(e.getKey() + "=" + e.getValue().asText()));
      return String.join(",", pairs);
    }
  }

  /** The commands about one device. */
  abstract static class OneDevice extends ApiCommand {
    @Parameters(index = "0", paramLabel = "DEVICE", description = "the device's name")
    String device;

    String devicePath(String rest) {
      requireName("DEVICE", device);
      return "api/device/" + segment(device) + "/" + rest;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true,
      description = "Everything the server knows of one device, and its current state.")
  static final class Show extends OneDevice {
    @Override
    int run(ApiClient client, PrintWriter out) {
      String path = devicePath("status/");
      JsonNode entry = null;
      for (JsonNode d : elements(devices(client), "devices")) {
        if (d.isObject() && device.equals(text(d, "name"))) {
          entry = d;
        }
      }
      if (entry == null) {
        client.get(path); // the server's own answer: 404 for an unknown device
        return MozpoolCommand.failed(spec, "no such device: " + device);
      }
      if (json()) {
        out.println(entry);
        return MozpoolCommand.OK;
      }
      if (entry instanceof com.fasterxml.jackson.databind.node.ObjectNode o) {
        o.remove("stats"); // a table of its own: mozpool device stats
      }
      printFields(out, entry);
      return MozpoolCommand.OK;
    }
  }

  @Command(name = "stats", mixinStandardHelpOptions = true,
      description = "The device's statistics: times imaged, power cycles, failures by state,"
          + " self-tests, quarantines, time in each state family (in total and over the last 7"
          + " days), when last seen healthy, mean time between failures.")
  static final class Stats extends OneDevice {
    @Override
    int run(ApiClient client, PrintWriter out) {
      ApiClient.Answer answer = client.get(devicePath("stats/"));
      if (json()) {
        return printRaw(out, answer);
      }
      JsonNode s = answer.json().path("stats");
      Map<String, String> rows = new java.util.LinkedHashMap<>();
      rows.put("since", text(s, "since"));
      rows.put("family now", text(s, "family"));
      rows.put("times imaged", counts(s.path("times_imaged")));
      rows.put("power cycles", text(s, "power_cycles"));
      rows.put("failures", text(s, "failures") + byState(s.path("failures_by_state")));
      rows.put("self-tests", text(s, "self_tests_passed") + " passed, "
          + text(s, "self_tests_failed") + " failed");
      rows.put("quarantines", text(s, "quarantines"));
      rows.put("last seen healthy", text(s, "last_seen_healthy"));
      JsonNode mtbf = s.path("mean_time_between_failures_s");
      rows.put("mean time between failures", mtbf.isNumber() ? duration(mtbf.asLong()) : "-");
      rows.put("time in family", durations(s.path("time_in_family_s")));
      rows.put("last 7 days (UTC)", durations(s.path("time_in_family_last_7_days_s")));
      int width = rows.keySet().stream().mapToInt(String::length).max().orElse(0) + 1;
      rows.forEach((k, v) -> out.println(k + ":" + " ".repeat(width - k.length()) + v));
      return MozpoolCommand.OK;
    }

    /** {@code b2g 3, android 1}, or {@code -}. */
    private static String counts(JsonNode counts) {
      List<String> parts = new ArrayList<>();
      counts.fields().forEachRemaining(e -> parts.add(e.getKey() + " " + e.getValue().asText()));
      return parts.isEmpty() ? "-" : String.join(", ", parts);
    }

    private static String byState(JsonNode counts) {
      return counts.isEmpty() ? "" : " (" + counts(counts) + ")";
    }

    private static String durations(JsonNode seconds) {
      List<String> parts = new ArrayList<>();
      seconds.fields().forEachRemaining(e ->
          parts.add(e.getKey() + " " + duration(e.getValue().asLong())));
      return parts.isEmpty() ? "-" : String.join(", ", parts);
    }

    /** {@code 2d 4m 5s}: units that are zero left out; {@code 0s} for nothing. */
    static String duration(long seconds) {
      long[] sizes = {86_400, 3_600, 60, 1};
      String[] units = {"d", "h", "m", "s"};
      List<String> parts = new ArrayList<>();
      long left = seconds;
      for (int i = 0; i < sizes.length; i++) {
        if (left / sizes[i] > 0) {
          parts.add(left / sizes[i] + units[i]);
        }
        left %= sizes[i];
      }
      return parts.isEmpty() ? "0s" : String.join(" ", parts);
    }
  }

  @Command(name = "log", mixinStandardHelpOptions = true,
      description = "The device's log, oldest first.")
  static final class Log extends OneDevice {
    @Option(names = "--limit", paramLabel = "N", description = "at most the last N lines")
    Integer limit;

    @Option(names = "--since", paramLabel = "SECONDS",
        description = "only the lines of the last SECONDS seconds")
    Integer since;

    @Override
    int run(ApiClient client, PrintWriter out) {
      List<String> query = new ArrayList<>();
      if (limit != null) {
        if (limit < 1) {
          throw new ParameterException(spec.commandLine(), "--limit must be positive, got "
              + limit);
        }
        query.add("limit=" + limit);
      }
      if (since != null) {
        if (since < 1) {
          throw new ParameterException(spec.commandLine(), "--since must be positive, got "
              + since);
        }
        query.add("timeperiod=" + since);
      }
      ApiClient.Answer answer = client.get(devicePath("log/")
          + (query.isEmpty() ? "" : "?" + String.join("&", query)));
      if (json()) {
        return printRaw(out, answer);
      }
      printLog(out, answer.json());
      return MozpoolCommand.OK;
    }
  }

  /** A command that POSTs to one of the device's routes and prints {@code OK: …}. */
  abstract static class DeviceAction extends OneDevice {
    abstract String route();

    abstract String done();

    @Override
    int run(ApiClient client, PrintWriter out) {
      ApiClient.Answer answer = client.post(devicePath(route()), Map.of());
      if (json()) {
        return printRaw(out, answer);
      }
      out.println("OK: " + device + ": " + done());
      return MozpoolCommand.OK;
    }
  }

  @Command(name = "power-cycle", mixinStandardHelpOptions = true,
      description = "Power-cycle the device (operator).")
  static final class PowerCycle extends DeviceAction {
    @Override
    String route() {
      return "power-cycle/";
    }

    @Override
    String done() {
      return "power cycle started";
    }
  }

  @Command(name = "self-test", mixinStandardHelpOptions = true,
      description = "Ask Lifeguard to self-test the device (please_self_test; operator).")
  static final class SelfTest extends DeviceAction {
    @Override
    String route() {
      return "event/please_self_test/";
    }

    @Override
    String done() {
      return "self-test requested";
    }
  }

  @Command(name = "maintenance", mixinStandardHelpOptions = true,
      description = "Ask Lifeguard to boot the device into maintenance mode"
          + " (please_start_maintenance; operator).")
  static final class Maintenance extends DeviceAction {
    @Override
    String route() {
      return "event/please_start_maintenance/";
    }

    @Override
    String done() {
      return "maintenance requested";
    }
  }

  @Command(name = "state-change", mixinStandardHelpOptions = true,
      description = "Move the device from state FROM to state TO, only if it is in FROM"
          + " (operator). A device in another state is a conflict (exit 1).")
  static final class StateChange extends OneDevice {
    @Parameters(index = "1", paramLabel = "FROM", description = "the state it must be in")
    String from;

    @Parameters(index = "2", paramLabel = "TO", description = "the state to put it in")
    String to;

    @Override
    int run(ApiClient client, PrintWriter out) {
      requireName("FROM", from);
      requireName("TO", to);
      ApiClient.Answer answer = client.post(devicePath("state-change/" + segment(from) + "/to/"
          + segment(to) + "/"), Map.of());
      if (json()) {
        return printRaw(out, answer);
      }
      out.println("OK: " + device + ": " + from + " -> " + to);
      return MozpoolCommand.OK;
    }
  }
}
