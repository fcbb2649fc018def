package org.mozpool.server.internal;

import io.javalin.Javalin;
import io.javalin.http.HttpStatus;
import io.javalin.json.JavalinJackson;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import org.mozpool.server.ConfigException;
import org.mozpool.server.ServerConfig;
import org.mozpool.server.internal.api.ApiRoutes;
import org.mozpool.server.internal.callback.CallbackRoutes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one HTTP server of a Mozpool server (Javalin on Jetty): the REST API and the device
 * callbacks, one port, one set of limits. Until the server's context exists every call is
 * answered 503; an error anywhere is answered as JSON {@code {"error": "..."}}, never a stack
 * trace.
 */
public final class HttpServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(HttpServer.class);

  private final Javalin app;
  private final CountDownLatch stopped = new CountDownLatch(1);

  private HttpServer(Javalin app) {
    this.app = app;
  }

  /** Listens on {@code api.listen()}, routes served once {@code context} gives a context. */
  public static HttpServer start(ServerConfig.Api api, Supplier<ServerContext> context) {
    Javalin app = Javalin.create(config -> {
      config.showJavalinBanner = false;
      config.router.ignoreTrailingSlashes = true;
      config.router.treatMultipleSlashesAsSingleSlash = true;
      config.jsonMapper(new JavalinJackson(Json.MAPPER, false));
      config.http.maxRequestSize = Limits.MAX_BODY_BYTES;
    });
    app.before(ctx -> {
      if (context.get() == null) {
        ctx.status(HttpStatus.SERVICE_UNAVAILABLE).json(Map.of("error", "the server is starting"));
        ctx.skipRemainingHandlers();
      }
    });
    app.exception(Exception.class, (e, ctx) -> {
      LOG.warn("{} {} failed", ctx.method(), ctx.path(), e);
      ctx.status(HttpStatus.INTERNAL_SERVER_ERROR)
          .json(Map.of("error", "internal error; see the server's log"));
    });
    app.error(HttpStatus.NOT_FOUND, ctx -> {
      if (ctx.result() == null || ctx.result().isEmpty()) {
        ctx.json(Map.of("error", "no such route: " + ctx.method() + " " + ctx.path()));
      }
    });
    ApiRoutes.register(app, context);
    CallbackRoutes.register(app, context);
    try {
      app.start(host(api.listen()), port(api.listen()));
    } catch (RuntimeException e) {
      throw new ConfigException(java.util.List.of("api.listen: cannot listen on " + api.listen()
          + ": " + e.getMessage()));
    }
    return new HttpServer(app);
  }

  /** The host of a {@code host:port} listen address. */
  public static String host(String listen) {
    int colon = listen.lastIndexOf(':');
    String host = colon < 0 ? listen : listen.substring(0, colon);
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }

  private static int port(String listen) {
    int colon = listen.lastIndexOf(':');
    return colon < 0 ? 8080 : Integer.parseInt(listen.substring(colon + 1));
  }

  /** The port listened on. */
  public int port() {
    return app.port();
  }

  /** Blocks until {@link #close()}. */
  public void awaitStop() throws InterruptedException {
    stopped.await();
  }

  @Override
  public void close() {
    app.stop();
    stopped.countDown();
  }
}
