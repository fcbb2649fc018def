package org.mozpool.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.mozpool.RequestSpec;
import org.mozpool.StoreException;
import org.mozpool.spi.DeviceStatisticsRecord;

/**
 * How values are laid out in columns: instants as microseconds since the epoch, collections as
 * JSON text with sorted keys, a {@link RequestSpec} as a JSON object whose durations are ISO-8601
 * strings (exact to the nanosecond, and readable in a SQL console).
 */
final class Codec {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {};
  private static final TypeReference<Map<String, Integer>> COUNTERS = new TypeReference<>() {};
  private static final TypeReference<List<String>> STRING_LIST = new TypeReference<>() {};
  private static final TypeReference<Map<String, Long>> LONG_MAP = new TypeReference<>() {};

  /**
   * Decoded values by their exact JSON text. Every value kept is immutable (the records copy
   * their collections with {@code Map.copyOf}/{@code List.copyOf}, which return an immutable
   * argument as is), so one decoded value can be handed to every reader of the same text. Each
   * cache is cleared when it reaches {@link #CACHE_LIMIT} entries, so memory stays bounded.
   */
  private static final int CACHE_LIMIT = 4096;
  private static final int CACHEABLE_LENGTH = 8192;
  private static final ConcurrentHashMap<String, Map<String, String>> STRING_MAPS =
      new ConcurrentHashMap<>();
  private static final ConcurrentHashMap<String, Map<String, Integer>> COUNTER_MAPS =
      new ConcurrentHashMap<>();
  private static final ConcurrentHashMap<String, List<String>> STRING_LISTS =
      new ConcurrentHashMap<>();
  private static final ConcurrentHashMap<String, RequestSpec> REQUEST_SPECS =
      new ConcurrentHashMap<>();

  private Codec() {}

  // A JSON null stays null (the records read it as empty), as when nothing was cached.
  private static <V> Map<String, V> immutable(Map<String, V> map) {
    return map == null ? null : Map.copyOf(map);
  }

  private static List<String> immutableList(List<String> list) {
    return list == null ? null : List.copyOf(list);
  }

  private static <T> T cached(ConcurrentHashMap<String, T> cache, String json,
      Function<String, T> decode) {
    if (json == null || json.length() > CACHEABLE_LENGTH) {
      return decode.apply(json);
    }
    T value = cache.get(json);
    if (value == null) {
      value = decode.apply(json);
      if (value == null) {
        return null;
      }
      if (cache.size() >= CACHE_LIMIT) {
        cache.clear();
      }
      cache.put(json, value);
    }
    return value;
  }

  /**
   * Microseconds since the epoch; finer digits are dropped (rounding toward the past), which is
   * the precision every supported database can index and PostgreSQL's own timestamps keep.
   */
  static Long micros(Instant t) {
    if (t == null) {
      return null;
    }
    return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1000);
  }

  static Instant instant(Long micros) {
    if (micros == null) {
      return null;
    }
    return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L),
        Math.floorMod(micros, 1_000_000L) * 1000L);
  }

  static String map(Map<String, ?> map) {
    return write(new TreeMap<>(map));
  }

  static Map<String, String> stringMap(String json) {
    return cached(STRING_MAPS, json, j -> immutable(read(j, STRING_MAP)));
  }

  static Map<String, Integer> counters(String json) {
    return cached(COUNTER_MAPS, json, j -> immutable(read(j, COUNTERS)));
  }

  static String set(Set<String> set) {
    return write(new TreeSet<>(set));
  }

  static Set<String> stringSet(String json) {
    return Set.copyOf(read(json, STRING_LIST));
  }

  static String list(List<String> list) {
    return write(list);
  }

  static List<String> stringList(String json) {
    return cached(STRING_LISTS, json, j -> immutableList(read(j, STRING_LIST)));
  }

  static String requestSpec(RequestSpec s) {
    ObjectNode o = JSON.createObjectNode();
    o.put("device", s.device());
    o.put("environment", s.environment());
    o.put("hardwareType", s.hardwareType());
    o.put("hardwareModel", s.hardwareModel());
    o.set("tags", JSON.valueToTree(new TreeMap<>(s.tags())));
    o.put("image", s.image());
    o.set("bootConfig", JSON.valueToTree(new TreeMap<>(s.bootConfig())));
    o.put("leaseDuration", s.leaseDuration().toString());
    o.put("waitBudget", s.waitBudget().toString());
    o.put("priority", s.priority());
    o.put("requester", s.requester());
    return write(o);
  }

  static RequestSpec requestSpec(String json) {
    return cached(REQUEST_SPECS, json, Codec::decodeRequestSpec);
  }

  private static RequestSpec decodeRequestSpec(String json) {
    JsonNode o;
    try {
      o = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new StoreException("unreadable request spec in the store: " + json, e);
    }
    return new RequestSpec(
        o.path("device").asText(), o.path("environment").asText(),
        o.path("hardwareType").asText(), o.path("hardwareModel").asText(),
        JSON.convertValue(o.path("tags"), STRING_MAP), o.path("image").asText(),
        JSON.convertValue(o.path("bootConfig"), STRING_MAP),
        Duration.parse(o.path("leaseDuration").asText()),
        Duration.parse(o.path("waitBudget").asText()),
        o.path("priority").asInt(), o.path("requester").asText());
  }

  /**
   * A device's statistics as one JSON object: instants as ISO-8601 strings, durations as ISO-8601
   * durations, days as {@code yyyy-mm-dd} (all exact, and readable in a SQL console).
   */
  static String deviceStatistics(DeviceStatisticsRecord r) {
    ObjectNode o = JSON.createObjectNode();
    o.put("since", r.since().toString());
    o.put("family", r.family());
    o.put("familySince", r.familySince().toString());
    o.set("imaged", JSON.valueToTree(new TreeMap<>(r.imaged())));
    o.put("powerCycles", r.powerCycles());
    o.set("failures", JSON.valueToTree(new TreeMap<>(r.failures())));
    o.put("selfTestsPassed", r.selfTestsPassed());
    o.put("selfTestsFailed", r.selfTestsFailed());
    o.put("quarantines", r.quarantines());
    if (r.lastHealthy() != null) {
      o.put("lastHealthy", r.lastHealthy().toString());
    }
    o.set("familyTime", durations(r.familyTime()));
    ObjectNode days = o.putObject("dailyFamilyTime");
    new TreeMap<>(r.dailyFamilyTime()).forEach((day, times) ->
        days.set(day.toString(), durations(times)));
    return write(o);
  }

  private static ObjectNode durations(Map<String, Duration> times) {
    ObjectNode o = JSON.createObjectNode();
    new TreeMap<>(times).forEach((k, v) -> o.put(k, v.toString()));
    return o;
  }

  static DeviceStatisticsRecord deviceStatistics(String device, String json) {
    try {
      JsonNode o = JSON.readTree(json);
      Map<LocalDate, Map<String, Duration>> days = new TreeMap<>();
      o.path("dailyFamilyTime").fields().forEachRemaining(e ->
          days.put(LocalDate.parse(e.getKey()), durations(e.getValue())));
      return new DeviceStatisticsRecord(device, Instant.parse(o.path("since").asText()),
          o.path("family").asText(), Instant.parse(o.path("familySince").asText()),
          JSON.convertValue(o.path("imaged"), LONG_MAP), o.path("powerCycles").asLong(),
          JSON.convertValue(o.path("failures"), LONG_MAP), o.path("selfTestsPassed").asLong(),
          o.path("selfTestsFailed").asLong(), o.path("quarantines").asLong(),
          o.hasNonNull("lastHealthy") ? Instant.parse(o.path("lastHealthy").asText()) : null,
          durations(o.path("familyTime")), days);
    } catch (JsonProcessingException | RuntimeException e) {
      throw new StoreException("unreadable statistics of device " + device + " in the store: "
          + json, e);
    }
  }

  private static Map<String, Duration> durations(JsonNode o) {
    Map<String, Duration> times = new TreeMap<>();
    o.fields().forEachRemaining(e -> times.put(e.getKey(), Duration.parse(e.getValue().asText())));
    return times;
  }

  private static String write(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + value + " as JSON", e);
    }
  }

  private static <T> T read(String json, TypeReference<T> type) {
    try {
      return JSON.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw new StoreException("unreadable JSON in the store: " + json, e);
    }
  }
}
