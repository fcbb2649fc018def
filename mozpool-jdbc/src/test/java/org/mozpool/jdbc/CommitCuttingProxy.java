package org.mozpool.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A TCP proxy on loopback in front of a database server that can cut a connection exactly around
 * its next {@code COMMIT}: before forwarding it (the transaction cannot have committed) or after
 * the server had time to commit but before its answer reaches the client (it did commit, and the
 * client cannot know). It also tells how often a text was sent to the server, to observe which
 * statements a client runs. Plain-text protocols only (PostgreSQL with {@code sslmode=disable}
 * and {@code prepareThreshold=0}, so that every execution sends its statement text).
 */
final class CommitCuttingProxy implements AutoCloseable {
  enum Cut { NONE, BEFORE_COMMIT, AFTER_COMMIT }

  private static final byte[] COMMIT = "COMMIT".getBytes(StandardCharsets.US_ASCII);

  private final ServerSocket server;
  private final int targetPort;
  private final AtomicReference<Cut> next = new AtomicReference<>(Cut.NONE);
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final Thread acceptor;
  private final StringBuffer sent = new StringBuffer();

  CommitCuttingProxy(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.acceptor = new Thread(this::acceptLoop, "commit-cutting-proxy");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return server.getLocalPort();
  }

  /** Cuts the connection that sends the next COMMIT, then behaves normally again. */
  void cutNextCommit(Cut cut) {
    next.set(cut);
  }

  boolean cutPending() {
    return next.get() != Cut.NONE;
  }

  /** How many times {@code text} was sent to the server so far, on any connection. */
  int timesSent(String text) {
    String all = sent.toString();
    int count = 0;
    for (int at = all.indexOf(text); at >= 0; at = all.indexOf(text, at + text.length())) {
      count++;
    }
    return count;
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
        sockets.add(client);
        sockets.add(upstream);
        AtomicBoolean muted = new AtomicBoolean();
        pump(client, upstream, true, muted);
        pump(upstream, client, false, muted);
      } catch (IOException e) {
        return;
      }
    }
  }

  private void pump(Socket from, Socket to, boolean watchForCommit, AtomicBoolean muted) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[16384];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buf)) > 0) {
          if (watchForCommit) {
            // Connections interleave whole reads; a text split across two reads is not counted.
            sent.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
          }
          Cut cut = watchForCommit && contains(buf, n, COMMIT) ? next.getAndSet(Cut.NONE) : Cut.NONE;
          if (cut == Cut.BEFORE_COMMIT) {
            break;
          }
          if (cut == Cut.AFTER_COMMIT) {
            muted.set(true); // the server's answer must not reach the client
          }
          if (!watchForCommit && muted.get()) {
            continue;
          }
          out.write(buf, 0, n);
          out.flush();
          if (cut == Cut.AFTER_COMMIT) {
            Thread.sleep(300); // the server commits; its answer is never delivered
            break;
          }
        }
      } catch (IOException | InterruptedException e) {
        // connection over
      } finally {
        closeQuietly(from);
        closeQuietly(to);
      }
    }, "commit-cutting-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private static boolean contains(byte[] buf, int len, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= len; i++) {
      for (int k = 0; k < needle.length; k++) {
        if (buf[i + k] != needle[k]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    sockets.forEach(CommitCuttingProxy::closeQuietly);
  }
}
