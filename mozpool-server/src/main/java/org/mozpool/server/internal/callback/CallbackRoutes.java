package org.mozpool.server.internal.callback;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import java.io.IOException;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.mozpool.bmm.DeviceCallbacks;
import org.mozpool.bmm.DeviceCallbacks.Answer;
import org.mozpool.server.internal.ApiAuth;
import org.mozpool.server.internal.Limits;
import org.mozpool.server.internal.ServerContext;

/**
 * The device callbacks the live image calls home on (DESIGN §7.4, §13), on the server's one port:
 * {@code GET|POST /api/device/{name}/event/{event}/} and {@code GET
 * /api/device/{name}/bootconfig/}. What a call means — token check, event names, device log,
 * refusal rate limit, Lifeguard — is {@link DeviceCallbacks}'s, the same as the standalone {@code
 * DeviceCallbackServer}'s; these routes only carry calls to it and its answers back, with the
 * same statuses and JSON bodies ({@code {"ok":true}}, the boot config, or {@code
 * {"ok":false,"error":"..."}}).
 *
 * <p>Who may call: the device itself, with its callback token ({@code Authorization: Bearer} or
 * {@code ?token=}); or an operator, with an operator API token, for both routes (operators can
 * already drive a device through the API; posting an event by hand is how they unstick a live
 * image whose callback was lost). The device log names the operator. A client API token is
 * refused (401), and with {@code auth: open} the routes still want the device's token: opening
 * the API does not open the endpoints only the live image needs.
 *
 * <p>Bodies of events are bounded by {@link Limits#callbackMaxBodyBytes()} (413); the port's
 * other limits (request timeout, connections per peer) apply as to every route.
 */
public final class CallbackRoutes {

  /** The event route; {@code ignoreTrailingSlashes} also serves it with the trailing slash. */
  static final String EVENT = "/api/device/{name}/event/{event}";
  /** The boot config route. */
  static final String BOOTCONFIG = "/api/device/{name}/bootconfig";

  private static final Pattern PATHS = Pattern.compile(
      "/+api/+device/+[^/]+/+(event/+[^/]+|bootconfig)/*");

  private CallbackRoutes() {
  }

  /**
   * Whether {@code path} is one of these routes, for handlers on {@code /api/*} that must leave
   * them alone (API-token checks: these routes check their own tokens).
   */
  public static boolean isCallbackPath(String path) {
    return path != null && PATHS.matcher(path).matches();
  }

  /** Adds the routes to {@code app} with the default limits. */
  public static void register(Javalin app, Supplier<ServerContext> context) {
    register(app, context, Limits.defaults());
  }

  /** Adds the routes to {@code app}; they run once {@code context} gives a context. */
  public static void register(Javalin app, Supplier<ServerContext> context, Limits limits) {
    Routes routes = new Routes(context, limits);
    app.get(EVENT, routes::event);
    app.post(EVENT, routes::event);
    app.get(BOOTCONFIG, routes::bootConfig);
    Handler eventMethod = ctx -> answer(ctx, Answer.error(405, "use GET or POST to report an event"));
    Handler bootMethod = ctx -> answer(ctx, Answer.error(405, "use GET to fetch the boot config"));
    for (HandlerType method : List.of(HandlerType.PUT, HandlerType.PATCH, HandlerType.DELETE)) {
      app.addHttpHandler(method, EVENT, eventMethod);
      app.addHttpHandler(method, BOOTCONFIG, bootMethod);
    }
    app.addHttpHandler(HandlerType.POST, BOOTCONFIG, bootMethod);
  }

  private static void answer(Context ctx, Answer answer) {
    ctx.status(answer.status()).json(answer.body());
  }

  /** Who holds {@code token} if it is an operator's API token (never with {@code auth: open}). */
  static Optional<String> operator(ApiAuth auth, String token) {
    if (auth.open()) {
      return Optional.empty();
    }
    return auth.caller(token).filter(c -> c.role() == ApiAuth.Role.OPERATOR)
        .map(c -> "operator " + c.name());
  }

  /** The routes of one server: one {@link DeviceCallbacks} per server context. */
  private static final class Routes {
    private final Supplier<ServerContext> context;
    private final Limits limits;
    private Bound bound; // guarded by this

    private record Bound(ServerContext context, DeviceCallbacks callbacks) {
    }

    Routes(Supplier<ServerContext> context, Limits limits) {
      this.context = context;
      this.limits = limits;
    }

    /**
     * The callbacks over the current context, made once (the refusal log lives in them, so two
     * made by concurrent first calls would each let their own quota of refusals through).
     */
    private synchronized DeviceCallbacks callbacks() {
      ServerContext now = context.get();
      if (now == null) {
        throw new IllegalStateException("device callback before the server context exists");
      }
      Bound b = bound;
      if (b == null || b.context() != now) {
        b = new Bound(now, DeviceCallbacks.builder(now.store(), now.pool().lifeguard())
            .clock(now.clock()).eventTimeout(limits.callbackEventTimeout())
            .alsoAccept(token -> operator(now.auth(), token)).meterRegistry(now.meters())
            .build());
        bound = b;
      }
      return b.callbacks();
    }

    void event(Context ctx) throws IOException {
      int max = limits.callbackMaxBodyBytes();
      if (ctx.req().getContentLengthLong() > max) {
        ctx.header("Connection", "close"); // the body stays unread
        answer(ctx, Answer.error(413, "body larger than " + max + " bytes"));
        return;
      }
      Map<String, String> query = query(ctx);
      DeviceCallbacks callbacks = callbacks();
      byte[] all = ctx.bodyAsBytes(); // read by the server's before-handler, within its limits
      byte[] body = all.length > max ? null : all;
      String event = ctx.pathParam("event");
      if (PleaseEvents.isPleaseEvent(event)) {
        answer(ctx, PleaseEvents.handle(context.get(), DeviceCallbacks.presentedToken(
            ctx.header("Authorization"), query.get("token")), ctx.pathParam("name"), event, body,
            limits.callbackEventTimeout()));
        return;
      }
      answer(ctx, callbacks.event(call(ctx, query), event, query, body, max));
    }

    void bootConfig(Context ctx) throws IOException {
      answer(ctx, callbacks().bootConfig(call(ctx, query(ctx))));
    }

    private static DeviceCallbacks.Call call(Context ctx, Map<String, String> query)
        throws java.net.UnknownHostException {
      return new DeviceCallbacks.Call(ctx.pathParam("name"),
          DeviceCallbacks.presentedToken(ctx.header("Authorization"), query.get("token")),
          InetAddress.getByName(ctx.req().getRemoteAddr())); // a literal address: no lookup
    }

    /** The first value of each query parameter, decoded. */
    private static Map<String, String> query(Context ctx) {
      Map<String, String> first = new LinkedHashMap<>();
      ctx.queryParamMap().forEach((k, v) -> {
        if (!v.isEmpty()) {
          first.put(k, v.get(0));
        }
      });
      return first;
    }
  }
}
