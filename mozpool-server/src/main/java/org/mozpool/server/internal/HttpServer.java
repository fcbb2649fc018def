package org.mozpool.server.internal;

import io.javalin.Javalin;
import io.javalin.http.HttpResponseException;
import io.javalin.http.HttpStatus;
import io.javalin.json.JavalinJackson;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.ConnectionLimit;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.servlet.FilterHolder;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.mozpool.server.ConfigException;
import org.mozpool.server.ServerConfig;
import org.mozpool.server.internal.api.ApiRoutes;
import org.mozpool.server.internal.callback.CallbackRoutes;
import org.mozpool.server.internal.callback.LiveScriptRoutes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one HTTP server of a Mozpool server (Javalin on Jetty): the REST API and the device
 * callbacks, one port, one set of {@linkplain Limits limits}. Until the server's context exists
 * every call is answered 503; an error anywhere is answered as JSON {@code {"error": "..."}} —
 * unknown routes 404, wrong methods 405, oversized bodies 413, malformed requests 400/431, late
 * requests 408 — never a stack trace, and no answer names the server's software.
 *
 * <p>Hardening, for the whole port: bodies are bounded ({@link BodyLimit}); a request must arrive
 * within the request timeout, and one peer address may hold only so many connections ({@link
 * ConnectionGuard}); connections overall are capped (Jetty's {@link ConnectionLimit}); the
 * thread pool is bounded; Jetty's idle timeout bounds every stalled read and write.
 */
public final class HttpServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(HttpServer.class);

  private final Javalin app;
  private final CountDownLatch stopped = new CountDownLatch(1);

  private HttpServer(Javalin app) {
    this.app = app;
  }

  /** Listens on {@code api.listen()} with the {@linkplain Limits#defaults default limits}. */
  public static HttpServer start(ServerConfig.Api api, Supplier<ServerContext> context) {
    return start(api, context, Limits.defaults());
  }

  /**
   * Listens on {@code api.listen()}; routes are served once {@code context} gives a context.
   *
   * @throws ConfigException when the address cannot be listened on
   */
  public static HttpServer start(ServerConfig.Api api, Supplier<ServerContext> context,
      Limits limits) {
    String host = host(api.listen());
    int port;
    try {
      port = port(api.listen());
    } catch (NumberFormatException e) {
      throw new ConfigException(java.util.List.of("api.listen: expected host:port, got '"
          + api.listen() + "'"));
    }
    Javalin app = Javalin.create(config -> {
      config.showJavalinBanner = false;
      config.router.ignoreTrailingSlashes = true;
      config.router.treatMultipleSlashesAsSingleSlash = true;
      config.jsonMapper(new JavalinJackson(Json.MAPPER, false));
      config.http.maxRequestSize = limits.maxBodyBytes();
      config.http.prefer405over404 = true;
      QueuedThreadPool threads = new QueuedThreadPool(limits.maxThreads(), 4, 60_000);
      threads.setName("mozpool-http");
      threads.setDaemon(true);
      config.jetty.threadPool = threads;
      config.jetty.modifyHttpConfiguration(http -> harden(http, limits));
      config.jetty.addConnector((server, http) -> {
        harden(http, limits);
        ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(host);
        connector.setPort(port);
        connector.setIdleTimeout(limits.idleTimeout().toMillis());
        connector.addBean(new ConnectionGuard(limits.requestTimeout(),
            limits.maxConnectionsPerPeer()));
        return connector;
      });
      config.jetty.modifyServer(server -> {
        server.addBean(new ConnectionLimit(limits.maxConnections(), server));
        server.setErrorHandler(new JsonErrorHandler());
      });
      config.jetty.modifyServletContextHandler(handler -> {
        handler.setErrorHandler(new JsonErrorHandler());
        handler.addFilter(new FilterHolder(new BodyLimit(limits.maxBodyBytes())), "/*",
            EnumSet.of(DispatcherType.REQUEST));
      });
    });
    app.before(ctx -> {
      if (context.get() == null) {
        ctx.status(HttpStatus.SERVICE_UNAVAILABLE).json(Map.of("error", "the server is starting"));
        ctx.skipRemainingHandlers();
      }
    });
    // Every body is read (within the port's limit and the request timeout) before any handler
    // runs: the connection guard's body deadline then ends when the request has arrived, never
    // under a handler that takes long (a relay test) without having read the body it was sent.
    app.before(ctx -> ctx.bodyAsBytes());
    app.exception(HttpResponseException.class, (e, ctx) ->
        ctx.status(e.getStatus()).json(Map.of("error", e.getMessage() == null
            ? HttpStatus.forStatus(e.getStatus()).getMessage() : e.getMessage())));
    app.exception(Exception.class, (e, ctx) -> {
      String unreadable = unreadableRequest(e);
      if (unreadable != null) {
        // the client's fault (broken chunking, a body cut short), not the server's
        ctx.status(HttpStatus.BAD_REQUEST).json(Map.of("error", "the request could not be read: "
            + unreadable));
        return;
      }
      LOG.warn("{} {} failed", ctx.method(), ctx.path(), e);
      ctx.status(HttpStatus.INTERNAL_SERVER_ERROR)
          .json(Map.of("error", "internal error; see the server's log"));
    });
    // Javalin writes its own plain-text "not found" first; every 404 that is not already JSON
    // becomes one
    app.error(HttpStatus.NOT_FOUND, ctx -> {
      String type = ctx.res().getContentType();
      if (type == null || !type.contains("json")) {
        ctx.json(Map.of("error", "no such route: " + ctx.method() + " " + ctx.path()));
      }
    });
    ApiRoutes.register(app, context);
    CallbackRoutes.register(app, context, limits);
    LiveScriptRoutes.register(app, context);
    org.mozpool.server.internal.web.WebRoutes.register(app, context);
    org.mozpool.server.internal.ops.OpsRoutes.register(app, context, app::port);
    try {
      app.start();
    } catch (RuntimeException e) {
      app.stop();
      throw new ConfigException(java.util.List.of("api.listen: cannot listen on " + api.listen()
          + ": " + e.getMessage()));
    }
    return new HttpServer(app);
  }

  /**
   * Why the request itself could not be read, when that is what {@code e} comes from: Jetty's
   * BadMessageException (malformed framing) or an I/O failure reading the body anywhere in the
   * cause chain; null otherwise.
   */
  private static String unreadableRequest(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof org.eclipse.jetty.http.BadMessageException bad) {
        return bad.getReason() == null ? "malformed request" : bad.getReason();
      }
      if (t instanceof java.io.IOException) {
        return "the body was cut short or malformed";
      }
    }
    return null;
  }

  private static void harden(HttpConfiguration http, Limits limits) {
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    http.setRequestHeaderSize(limits.maxHeaderBytes());
    http.setIdleTimeout(limits.idleTimeout().toMillis());
  }

  /**
   * Jetty's own error answers (malformed requests, oversized heads, anything that fails outside
   * Javalin) as {@code {"error": "..."}} instead of HTML pages with stack traces.
   */
  private static final class JsonErrorHandler extends ErrorHandler {
    JsonErrorHandler() {
      setShowStacks(false);
      setShowServlet(false);
    }

    private static byte[] json(int status, String message) {
      String text = message == null || message.isBlank()
          ? HttpStatus.forStatus(status).getMessage() : message;
      try {
        return Json.MAPPER.writeValueAsBytes(Map.of("error", text));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        return "{\"error\":\"error\"}".getBytes(StandardCharsets.UTF_8);
      }
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
      fields.put(HttpHeader.CONTENT_TYPE, "application/json");
      return ByteBuffer.wrap(json(status, reason));
    }

    @Override
    protected void generateAcceptableResponse(Request baseRequest, HttpServletRequest request,
        HttpServletResponse response, int code, String message) throws IOException {
      baseRequest.setHandled(true);
      response.setContentType("application/json");
      response.getOutputStream().write(json(code, message));
    }
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
