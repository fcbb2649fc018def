package org.mozpool.server.internal;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.HttpChannel;
import org.eclipse.jetty.server.HttpConnection;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps hostile or broken clients from holding the HTTP port (a Jetty bean of the connector):
 * one peer address may hold only so many connections (the rest are answered 503 and closed at
 * once), and every request must arrive in time — its head within the request timeout of the
 * connection opening or of the previous answer (else 408 and closed; this also closes idle
 * keep-alive connections, without an answer), its body within the request timeout of its head (else the connection
 * is closed under the handler, whose read then fails). Jetty 11 offers neither: its {@code
 * ConnectionLimit} counts all peers together, and its idle timeout restarts at every byte, so a
 * client dripping one byte at a time would never be cut off.
 *
 * <p>Thread safe; a sweeper thread checks the deadlines every 100 ms while the bean runs.
 */
final class ConnectionGuard extends AbstractLifeCycle
    implements Connection.Listener, HttpChannel.Listener {

  private static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);
  private static final long NONE = Long.MAX_VALUE;

  /** A watched connection: when it must have sent what it is sending, and what it is at. */
  private static final class Watch {
    final InetAddress peer;
    volatile long deadline;
    /** Whether a request is being handled (then the connection is only closed, not answered). */
    volatile boolean handling;
    /** Whether a request has been answered on it (it is a keep-alive connection). */
    volatile boolean served;

    Watch(InetAddress peer, long deadline) {
      this.peer = peer;
      this.deadline = deadline;
    }
  }

  private final long timeoutNanos;
  private final Duration timeout;
  private final int perPeer;
  private final Map<Connection, Watch> watched = new ConcurrentHashMap<>();
  /** Open connections per peer address; entries go when they reach zero. */
  private final Map<InetAddress, Integer> open = new ConcurrentHashMap<>();
  private ScheduledExecutorService sweeper;

  ConnectionGuard(Duration requestTimeout, int maxConnectionsPerPeer) {
    this.timeout = requestTimeout;
    this.timeoutNanos = requestTimeout.toNanos();
    this.perPeer = maxConnectionsPerPeer;
  }

  @Override
  protected void doStart() {
    sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "mozpool-http-deadlines");
      t.setDaemon(true);
      return t;
    });
    sweeper.scheduleWithFixedDelay(this::sweep, 100, 100, TimeUnit.MILLISECONDS);
  }

  @Override
  protected void doStop() throws InterruptedException {
    sweeper.shutdownNow();
    sweeper.awaitTermination(5, TimeUnit.SECONDS);
    watched.clear();
    open.clear();
  }

  @Override
  public void onOpened(Connection connection) {
    if (!(connection instanceof HttpConnection)) {
      return; // an upgraded connection (a WebSocket) has its own rules; its HTTP one was counted
    }
    EndPoint endPoint = connection.getEndPoint();
    InetAddress peer = peer(endPoint.getRemoteSocketAddress());
    if (peer == null) {
      return;
    }
    int now = open.merge(peer, 1, Integer::sum);
    Watch watch = new Watch(peer, System.nanoTime() + timeoutNanos);
    watched.put(connection, watch);
    if (now > perPeer) {
      LOG.debug("{} has {} connections open; refusing another", peer.getHostAddress(), now);
      answerAndClose(connection, watched.remove(connection), 503,
          "too many connections from " + peer.getHostAddress() + ", try again later");
    }
  }

  @Override
  public void onClosed(Connection connection) {
    if (!(connection instanceof HttpConnection)) {
      return;
    }
    Watch watch = watched.remove(connection);
    InetAddress peer = watch != null ? watch.peer
        : peer(connection.getEndPoint().getRemoteSocketAddress());
    if (peer != null) {
      open.computeIfPresent(peer, (p, n) -> n <= 1 ? null : n - 1);
    }
  }

  @Override
  public void onRequestBegin(Request request) {
    Watch watch = watched.get(request.getHttpChannel().getConnection());
    if (watch != null) {
      // the head has arrived; the body (if any) now has its own request timeout
      watch.handling = true;
      watch.deadline = System.nanoTime() + timeoutNanos;
    }
  }

  @Override
  public void onRequestEnd(Request request) {
    Watch watch = watched.get(request.getHttpChannel().getConnection());
    if (watch != null) {
      watch.deadline = NONE; // the whole request has arrived: the handler takes its time
    }
  }

  @Override
  public void onComplete(Request request) {
    Watch watch = watched.get(request.getHttpChannel().getConnection());
    if (watch != null) {
      watch.handling = false;
      watch.served = true;
      watch.deadline = System.nanoTime() + timeoutNanos; // the next request, if any
    }
  }

  private void sweep() {
    long now = System.nanoTime();
    for (Map.Entry<Connection, Watch> e : watched.entrySet()) {
      Watch w = e.getValue();
      if (now - w.deadline <= 0 || w.deadline == NONE) {
        continue;
      }
      if (!watched.remove(e.getKey(), w)) {
        continue;
      }
      try {
        if (w.served && !w.handling && e.getKey() instanceof HttpConnection http
            && http.getParser().isStart()) {
          // an idle keep-alive connection: an unasked-for 408 could cross the client's next
          // request, so it is only closed
          e.getKey().getEndPoint().close();
        } else if (w.handling) {
          LOG.debug("{} did not send its request body within {}; disconnecting",
              w.peer.getHostAddress(), timeout);
          e.getKey().getEndPoint().close();
        } else {
          answerAndClose(e.getKey(), w, 408, "the request did not arrive within " + timeout);
        }
      } catch (RuntimeException ex) {
        LOG.debug("closing a late connection failed", ex);
      }
    }
  }

  /**
   * Writes a whole short JSON answer straight to the connection and closes it: no request is
   * being handled on it, so nothing else writes there.
   */
  private static void answerAndClose(Connection connection, Watch watch, int status,
      String message) {
    EndPoint endPoint = connection.getEndPoint();
    byte[] body = ("{\"error\":\"" + message.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}")
        .getBytes(StandardCharsets.UTF_8);
    String head = "HTTP/1.1 " + status + (status == 503 ? " Service Unavailable"
        : " Request Timeout") + "\r\nContent-Type: application/json\r\nContent-Length: "
        + body.length + "\r\nConnection: close\r\n\r\n";
    ByteBuffer bytes = ByteBuffer.allocate(head.length() + body.length);
    bytes.put(head.getBytes(StandardCharsets.US_ASCII)).put(body).flip();
    endPoint.write(Callback.from(endPoint::close, failure -> endPoint.close()), bytes);
  }

  private static InetAddress peer(SocketAddress address) {
    return address instanceof InetSocketAddress a ? a.getAddress() : null;
  }
}
