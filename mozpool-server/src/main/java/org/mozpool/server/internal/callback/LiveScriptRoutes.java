package org.mozpool.server.internal.callback;

import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.mozpool.bmm.DeviceCallbacks;
import org.mozpool.bmm.LiveScripts;
import org.mozpool.server.internal.ServerContext;
import org.mozpool.spi.DeviceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /live/{script}}: the live image's second-stage scripts ({@code init}, {@code
 * install-image}, {@code self-test}, {@code maintenance} and the {@code mozpool-lib} they source;
 * {@code mozpool-bmm/LIVE-IMAGE.md}), fetched by a network-booted board so that a new version
 * needs no image rebuild. The board presents its device token, as on the callback routes
 * ({@code Authorization: Bearer} or {@code ?token=}); an operator API token may fetch them too.
 * 401 without a valid token, 404 for a script that does not exist; JSON errors.
 */
public final class LiveScriptRoutes {

  private static final Logger LOG = LoggerFactory.getLogger(LiveScriptRoutes.class);

  /** The route. */
  static final String SCRIPT = "/live/{script}";

  private LiveScriptRoutes() {
  }

  /** Adds the route to {@code app}; it runs once {@code context} gives a context. */
  public static void register(Javalin app, Supplier<ServerContext> context) {
    app.get(SCRIPT, ctx -> serve(ctx, context.get()));
  }

  private static void serve(Context ctx, ServerContext server) {
    String token = DeviceCallbacks.presentedToken(ctx.header("Authorization"),
        ctx.queryParam("token"));
    Optional<String> who = holder(server, token);
    if (who.isEmpty()) {
      ctx.status(401).json(Map.of("error", "a device token (or an operator API token) is"
          + " required to fetch live-image scripts"));
      return;
    }
    String name = ctx.pathParam("script");
    Optional<byte[]> script = LiveScripts.script(name);
    if (script.isEmpty()) {
      ctx.status(404).json(Map.of("error", "no live-image script named '"
          + DeviceCallbacks.printable(name, 64) + "'; there are " + LiveScripts.names()));
      return;
    }
    LOG.debug("live-image script {} fetched by {}", name, who.get());
    ctx.contentType("text/x-shellscript; charset=utf-8").result(script.get());
  }

  /**
   * Who presents {@code token}: a device whose callback token it is, or an operator. Every
   * device's token is compared, each in constant time, so the answer's timing says nothing about
   * which devices exist.
   */
  private static Optional<String> holder(ServerContext server, String token) {
    if (token == null || token.isEmpty()) {
      return Optional.empty();
    }
    Optional<String> operator = CallbackRoutes.operator(server.auth(), token);
    if (operator.isPresent()) {
      return operator;
    }
    String found = null;
    for (DeviceRecord d : server.store().inTransaction(tx -> tx.devices())) {
      if (DeviceCallbacks.tokenMatches(d.callbackToken(), token) && found == null) {
        found = "device " + d.spec().name();
      }
    }
    return Optional.ofNullable(found);
  }
}
