package org.mozpool.testkit.sim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * What a booted board's network stack offers a TCP-connect probe: a port that accepts and closes
 * connections. Stops with {@link #close()}.
 */
final class PingResponder implements AutoCloseable {
  private final ServerSocket server;

  PingResponder(InetSocketAddress address) {
    try {
      server = new ServerSocket();
      server.setReuseAddress(true);
      server.bind(address);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on " + address, e);
    }
    Thread t = new Thread(this::serve, "sim-ping-" + address);
    t.setDaemon(true);
    t.start();
  }

  private void serve() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        s.close(); // accepted: that is the whole answer
      } catch (IOException e) {
        return;
      }
    }
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException e) {
      // closing a listening socket: nothing left to do
    }
  }
}
