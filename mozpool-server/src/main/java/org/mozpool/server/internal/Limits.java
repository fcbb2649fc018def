package org.mozpool.server.internal;

import java.time.Duration;

/**
 * The HTTP server's limits, set once for the whole port: the REST API and the device callbacks
 * share them (DESIGN §13). The server runs with {@link #defaults()}; tests shrink them.
 *
 * @param maxBodyBytes the largest request body on any route; larger ones are answered 413
 * @param callbackMaxBodyBytes the largest body of a device event (they carry small arguments)
 * @param requestTimeout how long a client has to send a request's head (request line and
 *     headers) from connecting or from its previous answer, and its body from the head; a client
 *     that takes longer is answered 408 (or, once its request is being handled, disconnected).
 *     Idle keep-alive connections are closed after it too
 * @param idleTimeout Jetty's idle timeout: the longest a read or write may stall while a request
 *     is handled (a client that stops reading its answer)
 * @param maxThreads the most threads serving requests (the pool is bounded)
 * @param maxConnections the most open connections; beyond it Jetty stops accepting until one
 *     closes (further clients wait in the listen backlog)
 * @param maxConnectionsPerPeer the most open connections from one peer address; further ones
 *     are answered 503 and closed, so that one host cannot take every connection
 * @param maxHeaderBytes the largest request head (line and headers); larger ones are answered 431
 * @param callbackEventTimeout how long a device event waits for Lifeguard before a 503
 */
public record Limits(long maxBodyBytes, int callbackMaxBodyBytes, Duration requestTimeout,
    Duration idleTimeout, int maxThreads, int maxConnections, int maxConnectionsPerPeer,
    int maxHeaderBytes, Duration callbackEventTimeout) {

  /** The largest request body accepted by default. */
  public static final long MAX_BODY_BYTES = 1024 * 1024;

  /** Checks the limits for sense. */
  public Limits {
    if (maxBodyBytes < 0 || callbackMaxBodyBytes < 0 || callbackMaxBodyBytes > maxBodyBytes) {
      throw new IllegalArgumentException("body limits must be 0 <= callbackMaxBodyBytes ("
          + callbackMaxBodyBytes + ") <= maxBodyBytes (" + maxBodyBytes + ")");
    }
    positive("requestTimeout", requestTimeout);
    positive("idleTimeout", idleTimeout);
    positive("callbackEventTimeout", callbackEventTimeout);
    if (maxThreads < 8) {
      throw new IllegalArgumentException("maxThreads must be at least 8 (Jetty's acceptor and"
          + " selector take some), got " + maxThreads);
    }
    if (maxConnectionsPerPeer < 1 || maxConnectionsPerPeer > maxConnections) {
      throw new IllegalArgumentException("maxConnectionsPerPeer must be 1..maxConnections ("
          + maxConnections + "), got " + maxConnectionsPerPeer);
    }
    if (maxHeaderBytes < 1024) {
      throw new IllegalArgumentException("maxHeaderBytes must be at least 1024, got "
          + maxHeaderBytes);
    }
  }

  /**
   * The server's limits: 1 MiB bodies (64 KiB for device events), 10 s to send a request, 30 s
   * idle timeout, 64 threads, 512 connections and 32 per peer address, 16 KiB request heads,
   * 10 s for Lifeguard to take a device event.
   */
  public static Limits defaults() {
    return new Limits(MAX_BODY_BYTES, 64 * 1024, Duration.ofSeconds(10), Duration.ofSeconds(30),
        64, 512, 32, 16 * 1024, Duration.ofSeconds(10));
  }

  /** These limits with {@code requestTimeout} instead. */
  public Limits withRequestTimeout(Duration timeout) {
    return new Limits(maxBodyBytes, callbackMaxBodyBytes, timeout, idleTimeout, maxThreads,
        maxConnections, maxConnectionsPerPeer, maxHeaderBytes, callbackEventTimeout);
  }

  /** These limits with {@code perPeer} connections per peer address instead. */
  public Limits withMaxConnectionsPerPeer(int perPeer) {
    return new Limits(maxBodyBytes, callbackMaxBodyBytes, requestTimeout, idleTimeout,
        maxThreads, maxConnections, perPeer, maxHeaderBytes, callbackEventTimeout);
  }

  /** These limits with {@code timeout} for Lifeguard to take a device event instead. */
  public Limits withCallbackEventTimeout(Duration timeout) {
    return new Limits(maxBodyBytes, callbackMaxBodyBytes, requestTimeout, idleTimeout,
        maxThreads, maxConnections, maxConnectionsPerPeer, maxHeaderBytes, timeout);
  }

  private static void positive(String name, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, got " + d);
    }
  }
}
