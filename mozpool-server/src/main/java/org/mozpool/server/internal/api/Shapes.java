package org.mozpool.server.internal.api;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.mozpool.DeviceStatistics;
import org.mozpool.DeviceView;
import org.mozpool.LogEntry;
import org.mozpool.RequestSpec;
import org.mozpool.RequestView;
import org.mozpool.server.internal.Json;
import org.mozpool.server.internal.ServerContext;

/** The original's JSON shapes, built from the Java API's views. */
final class Shapes {
  private Shapes() {
  }

  /** A boot config as the original sent it: a JSON object encoded as a string. */
  static String bootConfig(Map<String, String> config) {
    try {
      return Json.MAPPER.writeValueAsString(new TreeMap<>(config));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static String environment(RequestSpec spec) {
    return spec.environment().isEmpty() ? "any" : spec.environment();
  }

  /** The URL of a request, ending in a slash: clients append {@code status/}, {@code renew/}. */
  static String requestUrl(ServerContext server, String id) {
    return server.publicUrl() + "/api/request/" + id + "/";
  }

  /** A request as {@code request/{id}/details/} and {@code device/{id}/request/} show it. */
  static Map<String, Object> requestInfo(ServerContext server, RequestView r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", r.id());
    m.put("requested_device", r.spec().device());
    m.put("assignee", r.spec().requester());
    m.put("expires", r.expiresAt().toString());
    m.put("created", r.createdAt().toString());
    m.put("environment", environment(r.spec()));
    m.put("image", r.spec().image());
    m.put("boot_config", bootConfig(r.spec().bootConfig()));
    m.put("assigned_device", r.device().orElse(""));
    m.put("state", r.state());
    m.put("url", requestUrl(server, r.id()));
    m.put("imaging_server", Drivers.ofRequest(server, r.id()));
    return m;
  }

  /**
   * A request as {@code request/list/} shows it; {@code imaging_server} is {@code driver}, the
   * instance driving it now.
   */
  static Map<String, Object> requestListEntry(RequestView r, Map<String, String> deviceStates,
      String driver) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", r.id());
    m.put("imaging_server", driver);
    m.put("assignee", r.spec().requester());
    m.put("boot_config", bootConfig(r.spec().bootConfig()));
    m.put("state", r.state());
    m.put("expires", r.expiresAt().toString());
    m.put("created", r.createdAt().toString());
    m.put("requested_device", r.spec().device());
    m.put("environment", environment(r.spec()));
    m.put("image", r.spec().image());
    String device = r.device().orElse("");
    m.put("assigned_device", device);
    m.put("device_state", device.isEmpty() ? "" : deviceStates.getOrDefault(device, ""));
    return m;
  }

  /**
   * A device as {@code device/list/?details} shows it: {@code imaging_server} is {@code driver},
   * the instance driving it now, and {@code home_server} its home instance when that is another
   * (a standby adopted it).
   */
  static Map<String, Object> deviceDetails(ServerContext server, DeviceView d, String driver) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", d.name());
    m.put("name", d.name());
    m.put("fqdn", d.spec().fqdn());
    m.put("inventory_id", null);
    m.put("mac_address", d.spec().mac());
    m.put("imaging_server", driver);
    String home = home(server, d);
    if (!home.equals(driver)) {
      m.put("home_server", home);
    }
    m.put("relay_info", d.spec().powerAddress());
    m.put("state", d.state());
    m.put("image", d.image());
    m.put("boot_config", bootConfig(d.bootConfig()));
    m.put("next_image", d.nextImage());
    m.put("environment", d.spec().environment());
    m.put("comments", d.spec().comments());
    m.put("hardware_type", d.spec().hardwareType());
    m.put("hardware_model", d.spec().hardwareModel());
    m.put("tags", new TreeMap<>(d.spec().tags()));
    m.put("request_id", d.claimedBy().orElse(null));
    return m;
  }

  /** The instance a device is registered with (its lab network's), this one if none. */
  static String home(ServerContext server, DeviceView d) {
    return d.spec().server().isEmpty() ? server.config().instance() : d.spec().server();
  }

  /**
   * A device's statistics (see API.md, {@code device/{id}/stats/}): durations in whole seconds
   * (rounded down), instants in ISO-8601, maps with sorted keys.
   */
  static Map<String, Object> statistics(DeviceStatistics s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("since", s.since().toString());
    m.put("as_of", s.asOf().toString());
    m.put("family", s.family());
    m.put("family_since", s.familySince().toString());
    m.put("times_imaged", new TreeMap<>(s.timesImaged()));
    m.put("power_cycles", s.powerCycles());
    m.put("failures", s.failures());
    m.put("failures_by_state", new TreeMap<>(s.failuresByState()));
    m.put("self_tests_passed", s.selfTestsPassed());
    m.put("self_tests_failed", s.selfTestsFailed());
    m.put("quarantines", s.quarantines());
    m.put("time_in_family_s", seconds(s.timeInFamily()));
    m.put("time_in_family_last_7_days_s", seconds(s.timeInFamilyLast7Days()));
    m.put("last_seen_healthy", s.lastSeenHealthy().map(Instant::toString).orElse(null));
    m.put("mean_time_between_failures_s",
        s.meanTimeBetweenFailures().map(Duration::toSeconds).orElse(null));
    return m;
  }

  /** Seconds per state family, in the order of {@link DeviceStatistics#FAMILIES}. */
  private static Map<String, Long> seconds(Map<String, Duration> times) {
    Map<String, Long> out = new LinkedHashMap<>();
    for (String family : DeviceStatistics.FAMILIES) {
      Duration d = times.get(family);
      if (d != null) {
        out.put(family, d.toSeconds());
      }
    }
    return out;
  }

  /** Log lines, oldest first. */
  static List<Map<String, Object>> log(List<LogEntry> entries) {
    List<Map<String, Object>> out = new ArrayList<>(entries.size());
    for (LogEntry e : entries) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("timestamp", e.timestamp().toString());
      m.put("source", e.source());
      m.put("message", e.message());
      out.add(m);
    }
    return out;
  }

  /** The last {@code limit} lines since {@code since} (either may be absent). */
  static List<LogEntry> tail(List<LogEntry> entries, Instant since, Integer limit) {
    List<LogEntry> kept = since == null ? entries
        : entries.stream().filter(e -> !e.timestamp().isBefore(since)).toList();
    if (limit != null && kept.size() > limit) {
      kept = kept.subList(kept.size() - limit, kept.size());
    }
    return kept;
  }
}
