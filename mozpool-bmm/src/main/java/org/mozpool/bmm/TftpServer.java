package org.mozpool.bmm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.commons.net.tftp.TFTPErrorPacket;
import org.apache.commons.net.tftp.TFTPPacket;
import org.apache.commons.net.tftp.TFTPPacketException;
import org.apache.commons.net.tftp.TFTPReadRequestPacket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A read-only TFTP server for PXE boot, built on Commons Net's TFTP packet classes (DESIGN §7.2).
 *
 * <p>Serves read requests (RFC 1350) in octet and netascii mode from one root directory, with
 * the block-size (RFC 2348), transfer-size and timeout (RFC 2349) options. Each transfer runs on
 * its own ephemeral UDP socket and thread; a block that is not acknowledged in time is sent again,
 * a bounded number of times. Write requests are refused, and so is every path that resolves
 * outside the root: {@code ..}, absolute paths elsewhere, symbolic links that lead out.
 *
 * <p>Resources are bounded, so that no client can keep the others from booting: at most
 * {@linkplain Builder#maxTransfers a fixed number} of transfers run at once and at most
 * {@linkplain Builder#maxTransfersPerClient a smaller number} for one client address (further
 * requests get an error packet); a client may ask for a longer retransmission timeout only up to
 * {@linkplain Builder#maxTimeoutOption a maximum} (above it the option is left out of the option
 * acknowledgement, as RFC 2349 allows no other value than the one asked for); and a transfer that
 * takes longer than {@linkplain Builder#maxTransferTime a maximum} is ended with an error packet.
 * A client that stops answering therefore holds its slot for at most ({@code maxRetries} + 1) ×
 * the larger of {@code timeout} and {@code maxTimeoutOption}.
 *
 * <p>Any system tftpd pointed at the same root can replace it. Thread safe. {@link #close()}
 * stops the listener, aborts running transfers and stops every thread; it is idempotent.
 */
public final class TftpServer implements AutoCloseable {

  /** The well-known TFTP port. */
  public static final int DEFAULT_PORT = 69;

  private static final Logger LOG = LoggerFactory.getLogger(TftpServer.class);
  private static final int REQUEST_BUFFER = 2048;

  private final Settings settings;
  private final Set<String> activeClients = ConcurrentHashMap.newKeySet();
  private final Map<InetAddress, Integer> transfersPerAddress = new ConcurrentHashMap<>();
  /** Addresses refused for having too many transfers, so that a flood is logged once. */
  private final Set<InetAddress> throttled = ConcurrentHashMap.newKeySet();
  private final Set<DatagramSocket> transferSockets = ConcurrentHashMap.newKeySet();
  private final DaemonThreads threads = DaemonThreads.numbered("tftp-transfer");
  private final ThreadPoolExecutor transfers;
  private DatagramSocket socket;
  private Thread listener;
  private volatile boolean closed;

  /** Effective settings, shared with transfers. */
  record Settings(Path root, InetAddress bindAddress, int port, int maxTransfers,
      int maxTransfersPerClient, Duration timeout, Duration maxTimeoutOption, int maxRetries,
      Duration maxTransferTime, int maxBlockSize, BmmMeters meters) {}

  private TftpServer(Settings settings) {
    this.settings = settings;
    this.transfers = new ThreadPoolExecutor(0, settings.maxTransfers(), 30, TimeUnit.SECONDS,
        new SynchronousQueue<>(), threads);
  }

  /**
   * Starts configuring a server for {@code root}, the directory it serves (checked by {@link
   * Builder#build()}).
   *
   * @throws NullPointerException if {@code root} is null
   */
  public static Builder builder(Path root) {
    return new Builder(root);
  }

  /**
   * Binds the socket and starts serving.
   *
   * @return this server
   * @throws UncheckedIOException when the address cannot be bound
   * @throws IllegalStateException when already started or closed
   */
  public synchronized TftpServer start() {
    if (closed || socket != null) {
      throw new IllegalStateException("TFTP server already " + (closed ? "closed" : "started"));
    }
    try {
      DatagramSocket s = new DatagramSocket(null);
      s.bind(new InetSocketAddress(settings.bindAddress(), settings.port()));
      socket = s;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind TFTP server to "
          + settings.bindAddress().getHostAddress() + ":" + settings.port() + ": " + e.getMessage(), e);
    }
    listener = new Thread(this::listen, "tftp-listener-" + socket.getLocalPort());
    listener.setDaemon(true);
    listener.start();
    LOG.info("TFTP server serving {} on {}:{}", settings.root(),
        settings.bindAddress().getHostAddress(), socket.getLocalPort());
    return this;
  }

  /** The UDP port the server listens on (the actual one when configured with port 0). */
  public synchronized int port() {
    if (socket == null) {
      throw new IllegalStateException("TFTP server not started");
    }
    return socket.getLocalPort();
  }

  /**
   * Whether the server is serving: started, not closed, and its listening thread alive (for a
   * health check).
   */
  public synchronized boolean isServing() {
    return socket != null && !closed && !socket.isClosed() && listener != null
        && listener.isAlive();
  }

  /** The address the server listens on. */
  public InetAddress address() {
    return settings.bindAddress();
  }

  /** The served root directory (absolute, symbolic links resolved). */
  public Path root() {
    return settings.root();
  }

  private void listen() {
    byte[] buffer = new byte[REQUEST_BUFFER];
    while (!closed) {
      DatagramPacket datagram = new DatagramPacket(buffer, buffer.length);
      try {
        socket.receive(datagram);
      } catch (SocketException e) {
        return; // closed
      } catch (IOException e) {
        LOG.warn("TFTP server: receive failed: {}", e.getMessage());
        continue;
      }
      TFTPPacket packet;
      try {
        packet = TFTPPacket.newTFTPPacket(datagram);
      } catch (TFTPPacketException e) {
        reply(datagram.getAddress(), datagram.getPort(), TFTPErrorPacket.ILLEGAL_OPERATION,
            "malformed request: " + e.getMessage());
        continue;
      }
      switch (packet.getType()) {
        case TFTPPacket.READ_REQUEST -> dispatch((TFTPReadRequestPacket) packet);
        case TFTPPacket.WRITE_REQUEST -> {
          LOG.warn("TFTP server: write request from {} refused", client(packet));
          reply(packet.getAddress(), packet.getPort(), TFTPErrorPacket.ACCESS_VIOLATION,
              "read-only server");
        }
        default -> LOG.debug("TFTP server: ignoring stray packet type {} from {}",
            packet.getType(), client(packet));
      }
    }
  }

  private void dispatch(TFTPReadRequestPacket request) {
    String client = client(request);
    if (!activeClients.add(client)) {
      return; // a retransmitted request for a transfer already running
    }
    InetAddress address = request.getAddress();
    if (!reserveSlotOf(address)) {
      activeClients.remove(client);
      if (throttled.add(address)) {
        LOG.warn("TFTP server: {} transfers to {} running, refusing further requests from it",
            settings.maxTransfersPerClient(), address.getHostAddress());
      }
      settings.meters().tftpTransfer("busy", 0);
      reply(request.getAddress(), request.getPort(), TFTPErrorPacket.UNDEFINED,
          "too many transfers from " + address.getHostAddress() + ", try again later");
      return;
    }
    try {
      transfers.execute(() -> {
        try {
          new TftpTransfer(settings, request, transferSockets, () -> closed).run();
        } finally {
          releaseSlotOf(address);
          activeClients.remove(client);
        }
      });
    } catch (RejectedExecutionException e) {
      releaseSlotOf(address);
      activeClients.remove(client);
      LOG.warn("TFTP server: {} transfers running, refusing {} from {}", settings.maxTransfers(),
          request.getFilename(), client);
      settings.meters().tftpTransfer("busy", 0);
      reply(request.getAddress(), request.getPort(), TFTPErrorPacket.UNDEFINED,
          "server busy, try again later");
    }
  }

  /** Counts a transfer for {@code address}, unless it already has its share. */
  private boolean reserveSlotOf(InetAddress address) {
    boolean[] reserved = {false};
    transfersPerAddress.compute(address, (a, running) -> {
      int n = running == null ? 0 : running;
      if (n >= settings.maxTransfersPerClient()) {
        return running;
      }
      reserved[0] = true;
      return n + 1;
    });
    return reserved[0];
  }

  private void releaseSlotOf(InetAddress address) {
    transfersPerAddress.computeIfPresent(address, (a, running) -> running <= 1 ? null : running - 1);
    throttled.remove(address);
  }

  /** Sends an error from a fresh port: clients expect every answer from a new transfer id. */
  private void reply(InetAddress address, int port, int code, String message) {
    try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(settings.bindAddress(), 0))) {
      s.send(new TFTPErrorPacket(address, port, code, message).newDatagram());
    } catch (IOException e) {
      LOG.debug("TFTP server: cannot send error to {}:{}: {}", address, port, e.getMessage());
    }
  }

  static String client(TFTPPacket p) {
    return p.getAddress().getHostAddress() + ":" + p.getPort();
  }

  /** Stops listening, aborts running transfers and stops every thread. Idempotent. */
  @Override
  public void close() {
    Thread toJoin;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      if (socket != null) {
        socket.close();
      }
      toJoin = listener;
    }
    transfers.shutdownNow();
    for (DatagramSocket s : transferSockets) {
      s.close();
    }
    try {
      if (toJoin != null) {
        toJoin.join(5000);
      }
      if (!transfers.awaitTermination(5, TimeUnit.SECONDS)
          || !threads.joinAll(Duration.ofSeconds(5))) {
        LOG.warn("TFTP server: transfers did not stop within 5 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Configures a {@link TftpServer}. Defaults: bind 127.0.0.1 port 69, 64 concurrent transfers
   * and 8 per client address, 1 s retransmission timeout, timeout option granted up to 5 s, 5
   * retransmissions, 10 minutes per transfer, block sizes up to 65464 bytes. Setters validate
   * eagerly and throw {@link IllegalArgumentException} naming the setting and its accepted range.
   * Not thread safe.
   */
  public static final class Builder {
    private final Path root;
    private InetAddress bindAddress = InetAddress.getLoopbackAddress();
    private int port = DEFAULT_PORT;
    private int maxTransfers = 64;
    private Integer maxTransfersPerClient; // null: 8, or maxTransfers when that is smaller
    private Duration timeout = Duration.ofSeconds(1);
    private Duration maxTimeoutOption = Duration.ofSeconds(5);
    private int maxRetries = 5;
    private Duration maxTransferTime = Duration.ofMinutes(10);
    private io.micrometer.core.instrument.MeterRegistry meterRegistry;
    private int maxBlockSize = TftpTransfer.MAX_BLOCK_SIZE;

    private Builder(Path root) {
      this.root = Objects.requireNonNull(root, "root");
    }

    /**
     * The address to listen on (default 127.0.0.1; use the lab-facing address in production).
     *
     * @throws NullPointerException if {@code bindAddress} is null
     */
    public Builder bindAddress(InetAddress bindAddress) {
      this.bindAddress = Objects.requireNonNull(bindAddress, "bindAddress");
      return this;
    }

    /**
     * The UDP port (default 69; 0 picks a free one, see {@link TftpServer#port()}).
     *
     * @throws IllegalArgumentException when {@code port} is outside 0..65535
     */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0..65535, got " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * The most transfers that run at once (default 64); further clients are told the server is
     * busy.
     *
     * @throws IllegalArgumentException when {@code maxTransfers} is not positive
     */
    public Builder maxTransfers(int maxTransfers) {
      if (maxTransfers < 1) {
        throw new IllegalArgumentException("maxTransfers must be positive, got " + maxTransfers);
      }
      this.maxTransfers = maxTransfers;
      return this;
    }

    /**
     * The most transfers that run at once for one client address (default 8, or {@link
     * #maxTransfers} when that is smaller; at most {@code maxTransfers}, checked by {@link
     * #build()}), so that one host cannot take every slot. Its further requests get an error
     * packet.
     *
     * @throws IllegalArgumentException when {@code maxTransfersPerClient} is not positive
     */
    public Builder maxTransfersPerClient(int maxTransfersPerClient) {
      if (maxTransfersPerClient < 1) {
        throw new IllegalArgumentException("maxTransfersPerClient must be positive, got "
            + maxTransfersPerClient);
      }
      this.maxTransfersPerClient = maxTransfersPerClient;
      return this;
    }

    /**
     * How long to wait for an acknowledgement before sending a block again (default 1 s), unless
     * the client asks for another timeout with the timeout option.
     *
     * @throws NullPointerException if {@code timeout} is null
     * @throws IllegalArgumentException when it is not positive
     */
    public Builder timeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be positive, got " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    /**
     * The longest retransmission timeout a client may ask for with the timeout option (RFC 2349;
     * default 5 s, accepted 1 s..255 s in whole seconds). A client asking for more is answered
     * without the option (the RFC allows no other value than the one asked for) and the transfer
     * keeps {@link #timeout}; this bounds how long a client that stops answering holds its slot.
     *
     * @throws NullPointerException if {@code maxTimeoutOption} is null
     * @throws IllegalArgumentException when outside 1 s..255 s or not whole seconds
     */
    public Builder maxTimeoutOption(Duration maxTimeoutOption) {
      Objects.requireNonNull(maxTimeoutOption, "maxTimeoutOption");
      if (maxTimeoutOption.compareTo(Duration.ofSeconds(1)) < 0
          || maxTimeoutOption.compareTo(Duration.ofSeconds(255)) > 0) {
        throw new IllegalArgumentException("maxTimeoutOption must be 1 s..255 s, got "
            + maxTimeoutOption);
      }
      if (maxTimeoutOption.getNano() != 0) {
        throw new IllegalArgumentException("maxTimeoutOption must be whole seconds (the option"
            + " counts seconds), got " + maxTimeoutOption);
      }
      this.maxTimeoutOption = maxTimeoutOption;
      return this;
    }

    /**
     * How long one transfer may take in all (default 10 minutes); a transfer still running then
     * is ended with an error packet, so that a client acknowledging slowly cannot hold a slot for
     * ever.
     *
     * @throws NullPointerException if {@code maxTransferTime} is null
     * @throws IllegalArgumentException when {@code maxTransferTime} is not positive
     */
    public Builder maxTransferTime(Duration maxTransferTime) {
      Objects.requireNonNull(maxTransferTime, "maxTransferTime");
      if (maxTransferTime.isNegative() || maxTransferTime.isZero()) {
        throw new IllegalArgumentException("maxTransferTime must be positive, got "
            + maxTransferTime);
      }
      this.maxTransferTime = maxTransferTime;
      return this;
    }

    /**
     * How many times a block is sent again before the transfer is abandoned (default 5; 0 sends
     * each block once).
     *
     * @throws IllegalArgumentException when {@code maxRetries} is negative
     */
    public Builder maxRetries(int maxRetries) {
      if (maxRetries < 0) {
        throw new IllegalArgumentException("maxRetries must not be negative, got " + maxRetries);
      }
      this.maxRetries = maxRetries;
      return this;
    }

    /**
     * The largest block size granted to a client asking for the blksize option (default and
     * maximum 65464 bytes, the most a UDP datagram holds; at least 512, the size without the
     * option).
     *
     * @throws IllegalArgumentException when {@code maxBlockSize} is outside 512..65464
     */
    public Builder maxBlockSize(int maxBlockSize) {
      if (maxBlockSize < 512 || maxBlockSize > TftpTransfer.MAX_BLOCK_SIZE) {
        throw new IllegalArgumentException("maxBlockSize must be 512.."
            + TftpTransfer.MAX_BLOCK_SIZE + ", got " + maxBlockSize);
      }
      this.maxBlockSize = maxBlockSize;
      return this;
    }

    /**
     * Where to count every read request as {@code mozpool.tftp.transfers}, timed and tagged with
     * its outcome (see {@code METRICS.md}); default none.
     *
     * @throws NullPointerException if {@code registry} is null
     */
    public Builder meterRegistry(io.micrometer.core.instrument.MeterRegistry registry) {
      this.meterRegistry = Objects.requireNonNull(registry, "meterRegistry");
      return this;
    }

    /**
     * Builds the server (not yet started).
     *
     * @throws UncheckedIOException when the root is not a readable directory
     * @throws IllegalArgumentException when {@link #maxTransfersPerClient} exceeds {@link
     *     #maxTransfers}
     */
    public TftpServer build() {
      if (maxTransfersPerClient != null && maxTransfersPerClient > maxTransfers) {
        throw new IllegalArgumentException("maxTransfersPerClient must be 1..maxTransfers ("
            + maxTransfers + "), got " + maxTransfersPerClient);
      }
      int perClient = maxTransfersPerClient != null ? maxTransfersPerClient
          : Math.min(8, maxTransfers);
      Path real;
      try {
        real = root.toRealPath();
      } catch (IOException e) {
        throw new UncheckedIOException("TFTP root " + root + " does not exist", e);
      }
      if (!Files.isDirectory(real)) {
        throw new IllegalArgumentException("TFTP root " + root + " is not a directory");
      }
      return new TftpServer(new Settings(real, bindAddress, port, maxTransfers,
          perClient, timeout, maxTimeoutOption, maxRetries, maxTransferTime,
          maxBlockSize, BmmMeters.of(meterRegistry)));
    }
  }
}
