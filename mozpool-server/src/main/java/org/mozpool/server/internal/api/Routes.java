package org.mozpool.server.internal.api;

import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import org.mozpool.ConflictException;
import org.mozpool.InvalidRequestException;
import org.mozpool.LeaseException;
import org.mozpool.NoSuchDeviceException;
import org.mozpool.NoSuchImageException;
import org.mozpool.NoSuchRequestException;
import org.mozpool.NotDrivenHereException;
import org.mozpool.RefusedException;
import org.mozpool.server.internal.ApiAuth;
import org.mozpool.server.internal.ServerContext;
import org.mozpool.server.internal.callback.CallbackRoutes;
import org.mozpool.spi.InstanceRecord;

/**
 * How the API's routes are declared: each with the role it needs, each run inside the one place
 * that turns exceptions into status codes and JSON error bodies, so no handler writes an error
 * status by hand. Also the bearer-token check every {@code /api/} call goes through, except the
 * device callbacks (they carry per-device tokens and are checked by their own routes).
 */
final class Routes {

  /** A route's work, given the call and the server's context. */
  @FunctionalInterface
  interface Handler {
    void handle(Context ctx, ServerContext server) throws Exception;
  }

  private static final String CALLER = "mozpool.api.caller";
  /** The device callback routes (DESIGN §7.4), owned by the callback endpoint. */

  private final Javalin app;
  private final Supplier<ServerContext> context;

  Routes(Javalin app, Supplier<ServerContext> context) {
    this.app = app;
    this.context = context;
  }

  /** Requires a known bearer token on every {@code /api/} call but the device callbacks. */
  void requireTokens() {
    app.before("/api/*", ctx -> {
      ServerContext server = context.get();
      if (server == null || CallbackRoutes.isCallbackPath(ctx.path())) {
        return; // not started yet (answered 503 by the server), or a device's own call
      }
      String header = ctx.header("Authorization");
      ApiAuth.Caller caller = server.auth().callerOfHeader(header).orElse(null);
      if (caller == null) {
        ctx.header("WWW-Authenticate", "Bearer realm=\"mozpool\"");
        ctx.status(401).json(error(header == null ? "this API needs a bearer token"
            + " (Authorization: Bearer <token>)" : "unknown or malformed bearer token"));
        ctx.skipRemainingHandlers();
        return;
      }
      ctx.attribute(CALLER, caller);
    });
  }

  void get(String path, ApiAuth.Role role, Handler handler) {
    app.get(path, ctx -> run(ctx, role, handler));
  }

  void post(String path, ApiAuth.Role role, Handler handler) {
    app.post(path, ctx -> run(ctx, role, handler));
  }

  /** The caller the token check found. */
  static ApiAuth.Caller caller(Context ctx) {
    ApiAuth.Caller caller = ctx.attribute(CALLER);
    return caller != null ? caller : ApiAuth.ANONYMOUS;
  }

  static Map<String, Object> error(String message) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", message);
    return body;
  }

  private void run(Context ctx, ApiAuth.Role role, Handler handler) throws Exception {
    ServerContext server = context.get();
    if (server == null) {
      ctx.status(503).json(error("the server is starting"));
      return;
    }
    ApiAuth.Caller caller = caller(ctx);
    if (!caller.may(role)) {
      ctx.status(403).json(error("'" + caller.name() + "' has the " + lower(caller.role())
          + " role; " + ctx.method() + " " + ctx.path() + " needs the " + lower(role) + " role"));
      return;
    }
    try {
      handler.handle(ctx, server);
    } catch (Exception e) {
      Throwable t = unwrap(e);
      if (t instanceof NotDrivenHereException elsewhere) {
        routeToDriver(ctx, server, elsewhere);
        return;
      }
      int status = status(t);
      if (status == 0) {
        throw e; // a bug: the server's handler logs it and answers 500 without details
      }
      ctx.status(status).json(error(t.getMessage()));
    }
  }

  /**
   * A call for a device or request that no live instance drives now (DESIGN §9; nothing changed):
   * {@code 503} with {@code Retry-After}, the dead-after silence within which a live instance adopts
   * a dead one's requests (and the standby its devices). Calls for what another live instance
   * drives never get here: the pool sends them to that instance through the store's outbox and
   * answers with its outcome.
   */
  private static void routeToDriver(Context ctx, ServerContext server, NotDrivenHereException e) {
    String driver = e.driver();
    String here = Drivers.here(server);
    InstanceRecord record = driver.isEmpty() || driver.equals(here) ? null
        : Drivers.instance(server, driver).orElse(null);
    long seconds = Math.max(1, (Drivers.deadAfter(server).toMillis() + 999) / 1000);
    boolean request = ctx.path().startsWith("/api/request/");
    String what = (request ? "request " : "device ") + e.machine();
    String adopter = request ? "a live instance adopts it within " + seconds + " s"
        : "the instance standing by for its lab network, if any, adopts it within " + seconds
            + " s";
    String message;
    if (driver.isEmpty()) {
      message = what + " is driven by no instance now; " + adopter;
    } else if (driver.equals(here)) {
      message = what + " was driven by this instance (" + here + ") until it lapsed; it is"
          + " joining again, or " + adopter;
    } else if (record != null && Drivers.answering(server, record)) {
      message = what + " is driven by instance " + driver + ", which did not take the call; "
          + "try again";
    } else {
      message = what + " is driven by instance " + driver + ", which is not answering; "
          + adopter;
    }
    ctx.header("Retry-After", Long.toString(seconds));
    ctx.status(503).json(error(message));
  }

  private static String lower(ApiAuth.Role role) {
    return role.name().toLowerCase(java.util.Locale.ROOT);
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** The status of a domain failure; 0 for anything else. */
  private static int status(Throwable t) {
    if (t instanceof ApiException a) {
      return a.status();
    }
    if (t instanceof NoSuchDeviceException || t instanceof NoSuchRequestException
        || t instanceof NoSuchImageException) {
      return 404;
    }
    if (t instanceof ConflictException || t instanceof RefusedException
        || t instanceof LeaseException) {
      return 409;
    }
    if (t instanceof InvalidRequestException || t instanceof IllegalArgumentException) {
      return 400;
    }
    return 0;
  }
}
