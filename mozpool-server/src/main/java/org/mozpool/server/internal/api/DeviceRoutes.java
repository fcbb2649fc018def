package org.mozpool.server.internal.api;

import io.javalin.http.Context;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.mozpool.DeviceStates;
import org.mozpool.DeviceStatistics;
import org.mozpool.DeviceView;
import org.mozpool.LogEntry;
import org.mozpool.server.internal.ApiAuth;
import org.mozpool.server.internal.ServerContext;
import org.mozpool.spi.MachineKind;

/**
 * Devices: {@code device/list/}, {@code device/{id}/status|state|log|stats/}, the operators'
 * {@code device/{id}/state-change/{old}/to/{new}/} and {@code set-comments|set-environment/}, and
 * {@code environment/list/}.
 */
final class DeviceRoutes {
  private static final int STATUS_LOG_LINES = 100;
  private static final Duration LIFEGUARD_ANSWER = Duration.ofSeconds(30);
  /** Every documented device state: a state change to anything else is a typo. */
  static final Set<String> STATES = documentedStates();

  private DeviceRoutes() {
  }

  static void register(Routes routes) {
    routes.get("/api/device/list", ApiAuth.Role.CLIENT, DeviceRoutes::list);
    routes.get("/api/device/{id}/status", ApiAuth.Role.CLIENT, DeviceRoutes::status);
    routes.get("/api/device/{id}/state", ApiAuth.Role.CLIENT, (ctx, s) ->
        ctx.json(Map.of("state", s.pool().inventory().device(ctx.pathParam("id")).state())));
    routes.get("/api/device/{id}/log", ApiAuth.Role.CLIENT, DeviceRoutes::log);
    routes.get("/api/device/{id}/stats", ApiAuth.Role.CLIENT, (ctx, s) -> ctx.json(Map.of("stats",
        Shapes.statistics(s.pool().inventory().statistics(ctx.pathParam("id"))))));
    routes.post("/api/device/{id}/state-change/{old}/to/{new}", ApiAuth.Role.OPERATOR,
        DeviceRoutes::stateChange);
    routes.post("/api/device/{id}/set-comments", ApiAuth.Role.OPERATOR, (ctx, s) -> {
      String device = ctx.pathParam("id");
      s.pool().inventory().device(device);
      s.pool().inventory().setComments(device, Body.of(ctx).presentString("comments"));
      ctx.json(Map.of());
    });
    routes.post("/api/device/{id}/set-environment", ApiAuth.Role.OPERATOR, (ctx, s) -> {
      String device = ctx.pathParam("id");
      s.pool().inventory().device(device);
      s.pool().inventory().setEnvironment(device, Body.of(ctx).requiredString("environment"));
      ctx.json(Map.of());
    });
    routes.get("/api/environment/list", ApiAuth.Role.CLIENT, (ctx, s) -> {
      TreeSet<String> environments = new TreeSet<>();
      s.pool().inventory().devices().forEach(d -> environments.add(d.spec().environment()));
      ctx.json(Map.of("environments", List.copyOf(environments)));
    });
  }

  private static void list(Context ctx, ServerContext s) {
    List<DeviceView> devices = s.pool().inventory().devices();
    if (ctx.queryParamMap().containsKey("details")) {
      Map<String, DeviceStatistics> stats = new HashMap<>();
      s.pool().inventory().statistics().forEach(st -> stats.put(st.device(), st));
      Map<String, String> drivers = Drivers.all(s, MachineKind.DEVICE);
      ctx.json(Map.of("devices", devices.stream().map(d -> {
        Map<String, Object> details = Shapes.deviceDetails(s, d, Drivers.shared(s)
            ? drivers.getOrDefault(d.name(), "") : Drivers.ofDevice(s, d));
        DeviceStatistics st = stats.get(d.name());
        // null only for a device registered between the two reads
        details.put("stats", st == null ? null : Shapes.statistics(st));
        return details;
      }).toList()));
    } else {
      ctx.json(Map.of("devices", devices.stream().map(DeviceView::name).toList()));
    }
  }

  private static void status(Context ctx, ServerContext s) {
    String device = ctx.pathParam("id");
    DeviceView d = s.pool().inventory().device(device);
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("state", d.state());
    String driver = Drivers.ofDevice(s, d);
    answer.put("imaging_server", driver);
    if (!driver.equals(Shapes.home(s, d))) {
      answer.put("home_server", Shapes.home(s, d));
    }
    answer.put("log", Shapes.log(Shapes.tail(s.pool().inventory().deviceLog(device), null,
        STATUS_LOG_LINES)));
    ctx.json(answer);
  }

  private static void log(Context ctx, ServerContext s) {
    String device = ctx.pathParam("id");
    s.pool().inventory().device(device);
    Integer limit = wholeNumber(ctx, "limit");
    Integer period = wholeNumber(ctx, "timeperiod");
    Instant since = period == null ? null : s.clock().instant().minusSeconds(period);
    List<LogEntry> log = Shapes.tail(s.pool().inventory().deviceLog(device), since, limit);
    ctx.json(Map.of("log", Shapes.log(log)));
  }

  private static Integer wholeNumber(Context ctx, String param) {
    String value = ctx.queryParam(param);
    if (value == null) {
      return null;
    }
    try {
      int n = Integer.parseInt(value.strip());
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw ApiException.badRequest("'" + param + "' must be a whole number >= 0, got '" + value
        + "'");
  }

  private static void stateChange(Context ctx, ServerContext s) throws Exception {
    String device = ctx.pathParam("id");
    String from = ctx.pathParam("old");
    String to = ctx.pathParam("new");
    s.pool().inventory().device(device);
    if (!STATES.contains(to)) {
      throw ApiException.badRequest("'" + to + "' is not a device state; one of " + STATES);
    }
    s.pool().lifeguard().changeState(device, from, to).toCompletableFuture()
        .get(LIFEGUARD_ANSWER.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
    Audit.device(s, device, "state changed from " + from + " to " + to
        + " through the REST API by '" + Routes.caller(ctx).name() + "'");
    ctx.json(Map.of());
  }

  private static Set<String> documentedStates() {
    Set<String> states = new TreeSet<>();
    for (Field f : DeviceStates.class.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
        try {
          states.add((String) f.get(null));
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return java.util.Collections.unmodifiableSortedSet((TreeSet<String>) states);
  }
}
