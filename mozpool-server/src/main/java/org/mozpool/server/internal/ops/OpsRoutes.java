package org.mozpool.server.internal.ops;

import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.mozpool.server.internal.HealthChecks;
import org.mozpool.server.internal.ServerContext;

/**
 * The routes for the machines that watch a server, open on the API port like the original's
 * (no token: they reveal counts and timings, never a device's or a request's data):
 *
 * <ul>
 *   <li>{@code GET /metrics}: every meter of {@code METRICS.md} and the JVM's, in the Prometheus
 *       text format 0.0.4;
 *   <li>{@code GET /healthz}: {@code {"status": "ok"|"unavailable", "checks": [{"name", "ok",
 *       "detail"}]}}, 200 when every check passes, 503 otherwise (see {@link HealthChecks}).
 * </ul>
 */
public final class OpsRoutes {
  /** The content type of the Prometheus text exposition format 0.0.4. */
  public static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private OpsRoutes() {
  }

  /** Adds the routes to {@code app}; they run once {@code context} gives a context. */
  public static void register(Javalin app, Supplier<ServerContext> context, Supplier<Integer> port) {
    app.get("/metrics", ctx -> {
      ctx.header("Cache-Control", "no-store");
      ctx.contentType(PROMETHEUS_TEXT).result(context.get().meters().scrape());
    });
    app.get("/healthz", ctx -> healthz(ctx, context.get(), port.get()));
  }

  private static void healthz(Context ctx, ServerContext server, int port) {
    ctx.header("Cache-Control", "no-store");
    HealthChecks health = server.health();
    if (health == null) {
      ctx.status(503).json(Map.of("status", "unavailable", "checks", List.of()));
      return;
    }
    HealthChecks.Report report = health.check(port);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", report.healthy() ? "ok" : "unavailable");
    body.put("checks", report.checks().stream().map(c -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", c.name());
      m.put("ok", c.ok());
      m.put("detail", c.detail());
      return m;
    }).toList());
    ctx.status(report.healthy() ? 200 : 503).json(body);
  }
}
