package org.mozpool.bmm;

import java.net.URI;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a device's power is switched: relay {@code relay} of bank {@code bank} on the ProXR board
 * at {@code host:port}.
 *
 * <p>Parses both {@code proxr://host[:port]/bank/B/relay/R} and the original Mozpool form
 * {@code host[:port]:bankB:relayR}; the port defaults to {@value #DEFAULT_PORT}. Banks are 1 to
 * {@value #MAX_BANK}, relays 1 to {@value #MAX_RELAY}; anything else is rejected with an
 * {@link IllegalArgumentException} that quotes the address.
 *
 * @param host board host name or address
 * @param port board TCP port
 * @param bank bank number, 1 to 4
 * @param relay relay number within the bank, 1 to 8
 */
public record RelayAddress(String host, int port, int bank, int relay) {

  /** The ProXR boards' default TCP port. */
  public static final int DEFAULT_PORT = 2101;
  /** Highest bank number on a ProXR board. */
  public static final int MAX_BANK = 4;
  /** Highest relay number within a bank. */
  public static final int MAX_RELAY = 8;

  private static final Pattern LEGACY =
      Pattern.compile("(?<board>.+):bank(?<bank>-?\\d+):relay(?<relay>-?\\d+)");
  private static final Pattern PATH = Pattern.compile("/bank/(?<bank>-?\\d+)/relay/(?<relay>-?\\d+)/?");

  public RelayAddress {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("relay board host is required");
    }
    checkPort(port);
    if (bank < 1 || bank > MAX_BANK) {
      throw new IllegalArgumentException(
          "bank must be 1.." + MAX_BANK + ", got " + bank + " (board " + host + ":" + port + ")");
    }
    if (relay < 1 || relay > MAX_RELAY) {
      throw new IllegalArgumentException(
          "relay must be 1.." + MAX_RELAY + ", got " + relay + " (board " + host + ":" + port + ")");
    }
  }

  /**
   * Parses a power address.
   *
   * @throws IllegalArgumentException when it is in neither form or out of range
   */
  public static RelayAddress parse(String address) {
    Objects.requireNonNull(address, "power address");
    String a = address.trim();
    try {
      if (a.startsWith("proxr://")) {
        URI uri = URI.create(a);
        Matcher m = PATH.matcher(Objects.requireNonNullElse(uri.getPath(), ""));
        if (uri.getHost() == null || !m.matches()) {
          throw new IllegalArgumentException("expected proxr://host[:port]/bank/B/relay/R");
        }
        int port = uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort();
        return new RelayAddress(uri.getHost(), port, Integer.parseInt(m.group("bank")),
            Integer.parseInt(m.group("relay")));
      }
      Matcher m = LEGACY.matcher(a);
      if (!m.matches()) {
        throw new IllegalArgumentException(
            "expected proxr://host[:port]/bank/B/relay/R or host[:port]:bankB:relayR");
      }
      Board board = Board.parse(m.group("board"));
      return new RelayAddress(board.host, board.port, Integer.parseInt(m.group("bank")),
          Integer.parseInt(m.group("relay")));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("bad power address '" + address + "': " + e.getMessage(), e);
    }
  }

  /** Builds an address from a {@code host[:port]} board and numbers, as operators type them. */
  public static RelayAddress of(String hostAndPort, int bank, int relay) {
    Board board = Board.parse(hostAndPort);
    return new RelayAddress(board.host, board.port, bank, relay);
  }

  /** The board part, {@code host:port}. */
  public String board() {
    return host + ":" + port;
  }

  /** The canonical form {@code proxr://host:port/bank/B/relay/R}. */
  @Override
  public String toString() {
    return "proxr://" + board() + "/bank/" + bank + "/relay/" + relay;
  }

  static void checkPort(int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be 1..65535, got " + port);
    }
  }

  /** A parsed {@code host[:port]}. */
  record Board(String host, int port) {
    static Board parse(String hostAndPort) {
      Objects.requireNonNull(hostAndPort, "host");
      String s = hostAndPort.trim();
      int colon = s.lastIndexOf(':');
      if (colon < 0) {
        return new Board(requireHost(s, hostAndPort), DEFAULT_PORT);
      }
      String host = requireHost(s.substring(0, colon), hostAndPort);
      int port;
      try {
        port = Integer.parseInt(s.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("port is not a number in '" + hostAndPort + "'");
      }
      checkPort(port);
      return new Board(host, port);
    }

    private static String requireHost(String host, String original) {
      if (host.isBlank() || host.contains(":") || host.contains("/")) {
        throw new IllegalArgumentException("expected HOST[:PORT], got '" + original + "'");
      }
      return host;
    }
  }
}
