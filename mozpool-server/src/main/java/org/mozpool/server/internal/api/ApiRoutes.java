package org.mozpool.server.internal.api;

import io.javalin.Javalin;
import java.util.function.Supplier;
import org.mozpool.server.internal.ServerContext;

/**
 * The original Mozpool's REST routes under {@code /api/} (see {@code mozpool-server/API.md}), with
 * bearer-token roles: a client token may request, renew, return and read; an operator token may do
 * everything. The device callbacks ({@code device/{id}/event/{event}/}, {@code bootconfig/}) are
 * not registered here and not checked here: they carry per-device tokens.
 */
public final class ApiRoutes {
  private ApiRoutes() {
  }

  /** Adds the routes to {@code app}; they run once {@code context} gives a context. */
  public static void register(Javalin app, Supplier<ServerContext> context) {
    Routes routes = new Routes(app, context);
    routes.requireTokens();
    InventoryRoutes.register(routes);
    DeviceRoutes.register(routes);
    RequestRoutes.register(routes);
    HardwareRoutes.register(routes);
    InstanceRoutes.register(routes);
  }
}
