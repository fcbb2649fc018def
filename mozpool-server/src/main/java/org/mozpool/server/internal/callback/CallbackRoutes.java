package org.mozpool.server.internal.callback;

import io.javalin.Javalin;
import java.util.function.Supplier;
import org.mozpool.server.internal.ServerContext;

/** The device callbacks the live image calls home on (DESIGN §7.4), with per-device tokens. */
public final class CallbackRoutes {
  private CallbackRoutes() {
  }

  /** Adds the routes to {@code app}; they run once {@code context} gives a context. */
  public static void register(Javalin app, Supplier<ServerContext> context) {
  }
}
