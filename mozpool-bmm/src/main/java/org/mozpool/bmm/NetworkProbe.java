package org.mozpool.bmm;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Objects;

/**
 * The two ways to ask whether a device answers on the network (DESIGN §7.3): ICMP echo (through
 * {@link InetAddress#isReachable}, which falls back to a TCP echo when the JVM may not send ICMP)
 * and a TCP connect to a port the booted device listens on. Both block for at most the timeout.
 * Stateless and thread safe.
 */
public final class NetworkProbe {

  private NetworkProbe() {}

  /** Whether {@code address} answers an ICMP echo within {@code timeout}. */
  public static boolean icmpPing(InetAddress address, Duration timeout) {
    Objects.requireNonNull(address, "address");
    try {
      return address.isReachable(millis(timeout));
    } catch (IOException e) {
      return false;
    }
  }

  /** Whether a TCP connection to {@code address} is accepted within {@code timeout}. */
  public static boolean tcpConnect(InetSocketAddress address, Duration timeout) {
    Objects.requireNonNull(address, "address");
    try (Socket socket = new Socket()) {
      socket.connect(address, millis(timeout));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static int millis(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive, got " + timeout);
    }
    return (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
  }
}
