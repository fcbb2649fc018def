package org.mozpool.server.internal.api;

import io.javalin.Javalin;
import java.util.function.Supplier;
import org.mozpool.server.internal.ServerContext;

/** The original Mozpool's REST routes under {@code /api/}, with bearer-token roles. */
public final class ApiRoutes {
  private ApiRoutes() {
  }

  /** Adds the routes to {@code app}; they run once {@code context} gives a context. */
  public static void register(Javalin app, Supplier<ServerContext> context) {
    app.get("/api/version", ctx -> ctx.json(java.util.Map.of("version", "0.1.0")));
  }
}
