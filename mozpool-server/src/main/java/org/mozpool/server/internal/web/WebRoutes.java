package org.mozpool.server.internal.web;

import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.mozpool.server.internal.ApiAuth;
import org.mozpool.server.internal.ServerContext;

/**
 * The dashboard: {@code GET /} (the page), {@code GET /ui/static/{file}} (its stylesheet and
 * script) and {@code GET /ui/whoami} ({@code {"name": ..., "role": "client"|"operator"}} for the
 * bearer token presented, 401 without a known one). The page holds no data of its own: it calls
 * {@code /api/} with the token the person typed, so a client token sees exactly what the API lets
 * it see. Every answer carries {@code Content-Security-Policy: default-src 'self'}, so the page
 * runs only its own script and talks only to this server.
 */
public final class WebRoutes {

  /** Where the page's files live on the classpath. */
  static final String RESOURCES = "/org/mozpool/server/web/";

  /** The files that may be fetched, with their content types; nothing else is served. */
  private static final Map<String, String> FILES = Map.of(
      "index.html", "text/html; charset=utf-8",
      "dashboard.css", "text/css; charset=utf-8",
      "dashboard.js", "text/javascript; charset=utf-8");

  private WebRoutes() {
  }

  /** Adds the routes to {@code app}; they run once {@code context} gives a context. */
  public static void register(Javalin app, Supplier<ServerContext> context) {
    app.get("/", ctx -> file(ctx, "index.html"));
    app.get("/ui/static/{file}", ctx -> file(ctx, ctx.pathParam("file")));
    app.get("/ui/whoami", ctx -> whoami(ctx, context.get()));
  }

  private static void secure(Context ctx) {
    ctx.header("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'");
    ctx.header("X-Content-Type-Options", "nosniff");
    ctx.header("Referrer-Policy", "no-referrer");
    ctx.header("Cache-Control", "no-cache");
  }

  private static void file(Context ctx, String name) {
    secure(ctx);
    String type = FILES.get(name);
    if (type == null) {
      ctx.status(404).json(Map.of("error", "no such dashboard file"));
      return;
    }
    try (InputStream in = WebRoutes.class.getResourceAsStream(RESOURCES + name)) {
      if (in == null) {
        ctx.status(404).json(Map.of("error", "no such dashboard file"));
        return;
      }
      ctx.contentType(type).result(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void whoami(Context ctx, ServerContext server) {
    secure(ctx);
    Optional<ApiAuth.Caller> caller = server.auth().callerOfHeader(ctx.header("Authorization"));
    if (caller.isEmpty()) {
      ctx.header("WWW-Authenticate", "Bearer realm=\"mozpool\"");
      ctx.status(401).json(Map.of("error", "an API token is required"));
      return;
    }
    ctx.json(Map.of("name", caller.get().name(),
        "role", caller.get().role() == ApiAuth.Role.OPERATOR ? "operator" : "client"));
  }
}
