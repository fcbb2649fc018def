package org.mozpool.server.internal.api;

import io.javalin.http.Context;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.mozpool.DeviceView;
import org.mozpool.Image;
import org.mozpool.Lease;
import org.mozpool.LogEntry;
import org.mozpool.NoSuchImageException;
import org.mozpool.NoSuchRequestException;
import org.mozpool.RequestSpec;
import org.mozpool.RequestStates;
import org.mozpool.RequestView;
import org.mozpool.server.internal.ApiAuth;
import org.mozpool.server.internal.ServerContext;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.RequestRecord;

/**
 * Requests and leases: {@code device/{id}/request/}, {@code request/list/} and
 * {@code request/{id}/details|status|log|renew|return/}.
 *
 * <p>The HTTP client knows only the request id, as in the original; the lease token that guards
 * renew and return in Java stays on the server, which presents it on behalf of any caller with a
 * client or operator token, and writes who renewed or returned into the request's log.
 */
final class RequestRoutes {
  private static final int STATUS_LOG_LINES = 100;

  private RequestRoutes() {
  }

  static void register(Routes routes) {
    routes.post("/api/device/{id}/request", ApiAuth.Role.CLIENT, RequestRoutes::request);
    routes.get("/api/request/list", ApiAuth.Role.CLIENT, RequestRoutes::list);
    routes.get("/api/request/{id}/details", ApiAuth.Role.CLIENT, (ctx, s) ->
        ctx.json(Shapes.requestInfo(s, find(s, ctx.pathParam("id")))));
    routes.get("/api/request/{id}/status", ApiAuth.Role.CLIENT, RequestRoutes::status);
    routes.get("/api/request/{id}/log", ApiAuth.Role.CLIENT, (ctx, s) -> {
      find(s, ctx.pathParam("id"));
      ctx.json(Map.of("log", Shapes.log(s.pool().requestLog(ctx.pathParam("id")))));
    });
    routes.post("/api/request/{id}/renew", ApiAuth.Role.CLIENT, RequestRoutes::renew);
    routes.post("/api/request/{id}/return", ApiAuth.Role.CLIENT, RequestRoutes::giveBack);
  }

  private static RequestView find(ServerContext s, String id) {
    return s.pool().findRequest(id).orElseThrow(() -> new NoSuchRequestException(id));
  }

  private static void request(Context ctx, ServerContext s) {
    String device = ctx.pathParam("id");
    Body body = Body.of(ctx);
    String assignee = body.requiredString("assignee");
    long seconds = body.requiredSeconds("duration");
    String imageName = body.requiredString("image");
    String environment = body.optionalString("environment", "any");
    if (seconds < RequestSpec.MIN_LEASE.getSeconds() || seconds > RequestSpec.MAX_LEASE.getSeconds()) {
      throw ApiException.badRequest("'duration' must be between " + RequestSpec.MIN_LEASE
          .getSeconds() + " and " + RequestSpec.MAX_LEASE.getSeconds() + " seconds, got " + seconds);
    }
    if (!RequestSpec.ANY.equals(device)) {
      s.pool().inventory().device(device); // 404 for an unknown device, before the image's 404
    }
    Image image = s.pool().inventory().image(imageName)
        .orElseThrow(() -> new NoSuchImageException(imageName));
    Map<String, String> bootConfig = new TreeMap<>();
    for (String key : new java.util.TreeSet<>(image.requiredBootConfigKeys())) {
      if (!body.has(key)) {
        throw ApiException.badRequest("image " + image.name() + " needs '" + key + "' in the body");
      }
      bootConfig.put(key, body.requiredString(key));
    }
    RequestSpec.Builder spec = RequestSpec.ANY.equals(device) ? RequestSpec.any()
        : RequestSpec.device(device);
    spec.image(image.name()).bootConfig(bootConfig).lease(Duration.ofSeconds(seconds))
        .requester(assignee);
    if (!environment.isBlank() && !"any".equals(environment)) {
      spec.environment(environment);
    }
    Lease lease = s.pool().request(spec.build());
    Audit.request(s, lease.id(), "filed through the REST API by '" + Routes.caller(ctx).name() + "'");
    // Filing ran the request's first step: a free device is claimed, a busy named one refused.
    RequestView view = lease.view();
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("request", Shapes.requestInfo(s, view));
    if (RequestStates.FAILED_DEVICE_BUSY.equals(view.state())) {
      // the original's answer for a named device already assigned: 409 with the request
      answer.put("error", view.failureReason().orElse("device " + device + " is busy"));
      ctx.status(409);
    }
    ctx.json(answer);
  }

  private static void list(Context ctx, ServerContext s) {
    boolean includeClosed = ctx.queryParamMap().containsKey("include_closed");
    Map<String, String> deviceStates = s.pool().inventory().devices().stream()
        .collect(Collectors.toMap(DeviceView::name, DeviceView::state));
    Map<String, String> drivers = Drivers.all(s, MachineKind.REQUEST);
    String here = Drivers.here(s);
    List<Map<String, Object>> requests = s.pool().requests().stream()
        .filter(r -> includeClosed || !RequestStates.CLOSED.equals(r.state()))
        .map(r -> Shapes.requestListEntry(r, deviceStates,
            Drivers.shared(s) ? drivers.getOrDefault(r.id(), "") : here))
        .toList();
    ctx.json(Map.of("requests", requests));
  }

  private static void status(Context ctx, ServerContext s) {
    RequestView r = find(s, ctx.pathParam("id"));
    List<LogEntry> log = Shapes.tail(s.pool().requestLog(r.id()), null, STATUS_LOG_LINES);
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("state", r.state());
    answer.put("log", Shapes.log(log));
    ctx.json(answer);
  }

  private static void renew(Context ctx, ServerContext s) {
    String id = ctx.pathParam("id");
    find(s, id);
    long seconds = Body.of(ctx).requiredSeconds("duration");
    if (seconds < RequestSpec.MIN_LEASE.getSeconds() || seconds > RequestSpec.MAX_LEASE.getSeconds()) {
      throw ApiException.badRequest("'duration' must be between " + RequestSpec.MIN_LEASE
          .getSeconds() + " and " + RequestSpec.MAX_LEASE.getSeconds() + " seconds, got " + seconds);
    }
    lease(s, id).renew(Duration.ofSeconds(seconds));
    Audit.request(s, id, "renewed for " + seconds + " s through the REST API by '"
        + Routes.caller(ctx).name() + "'");
    ctx.status(204);
  }

  private static void giveBack(Context ctx, ServerContext s) {
    String id = ctx.pathParam("id");
    RequestView r = find(s, id);
    Body.of(ctx); // a body, if any, must be JSON
    if (!r.isTerminal()) {
      try {
        lease(s, id).returnDevice();
        Audit.request(s, id, "returned through the REST API by '" + Routes.caller(ctx).name() + "'");
      } catch (org.mozpool.LeaseException ended) {
        // it ended (expired, failed) between the look and the return: as returning it again
      }
    }
    ctx.status(204); // as the original: returning an ended request changes nothing
  }

  /** The request's lease, with the token the server keeps on the HTTP client's behalf. */
  private static Lease lease(ServerContext s, String id) {
    RequestRecord record = s.store().inTransaction(tx -> tx.request(id))
        .orElseThrow(() -> new NoSuchRequestException(id));
    return s.pool().lease(id, record.token());
  }
}
