package org.mozpool.bmm;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.apache.commons.net.tftp.TFTP;
import org.apache.commons.net.tftp.TFTPAckPacket;
import org.apache.commons.net.tftp.TFTPErrorPacket;
import org.apache.commons.net.tftp.TFTPPacket;
import org.apache.commons.net.tftp.TFTPPacketException;
import org.apache.commons.net.tftp.TFTPReadRequestPacket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One read transfer, on its own UDP socket (the server's "transfer identifier"). Commons Net 3.13
 * parses every incoming packet and builds error packets; data packets larger than 512 bytes and
 * option acknowledgements (RFC 2347) are encoded here, since its classes cap data at 512 bytes and
 * have no OACK type.
 */
final class TftpTransfer implements Runnable {

  /** The largest block size RFC 2348 allows. */
  static final int MAX_BLOCK_SIZE = 65464;

  private static final Logger LOG = LoggerFactory.getLogger(TftpServer.class);
  private static final int MIN_BLOCK_SIZE = 8;

  private final TftpServer.Settings settings;
  private final TFTPReadRequestPacket request;
  private final Set<DatagramSocket> sockets;
  private final BooleanSupplier serverClosed;
  private final String client;
  private final byte[] receiveBuffer = new byte[1024];
  private DatagramSocket socket;
  private Duration timeout;

  TftpTransfer(TftpServer.Settings settings, TFTPReadRequestPacket request,
      Set<DatagramSocket> sockets, BooleanSupplier serverClosed) {
    this.settings = settings;
    this.request = request;
    this.sockets = sockets;
    this.serverClosed = serverClosed;
    this.client = TftpServer.client(request);
    this.timeout = settings.timeout();
  }

  /** Why a request is refused: the TFTP error code and message. */
  static final class Refusal extends Exception {
    private static final long serialVersionUID = 1L;
    final int code;

    Refusal(int code, String message) {
      super(message, null, false, false);
      this.code = code;
    }
  }

  /**
   * Resolves {@code filename} inside {@code root} (a real path), refusing anything that leads
   * outside it, lexically or through symbolic links.
   */
  static Path resolve(Path root, String filename) throws Refusal {
    if (filename.isEmpty() || filename.indexOf('\0') >= 0) {
      throw new Refusal(TFTPErrorPacket.ACCESS_VIOLATION, "bad file name");
    }
    Path candidate;
    try {
      candidate = root.resolve(filename).normalize();
    } catch (InvalidPathException e) {
      throw new Refusal(TFTPErrorPacket.ACCESS_VIOLATION, "bad file name");
    }
    if (!candidate.startsWith(root)) {
      throw new Refusal(TFTPErrorPacket.ACCESS_VIOLATION, "access outside the TFTP root refused");
    }
    if (!Files.exists(candidate)) {
      throw new Refusal(TFTPErrorPacket.FILE_NOT_FOUND, "file not found");
    }
    Path real;
    try {
      real = candidate.toRealPath();
    } catch (IOException e) {
      throw new Refusal(TFTPErrorPacket.FILE_NOT_FOUND, "file not found");
    }
    if (!real.startsWith(root)) {
      throw new Refusal(TFTPErrorPacket.ACCESS_VIOLATION, "access outside the TFTP root refused");
    }
    if (!Files.isRegularFile(real)) {
      throw new Refusal(TFTPErrorPacket.FILE_NOT_FOUND, "not a file");
    }
    if (!Files.isReadable(real)) {
      throw new Refusal(TFTPErrorPacket.ACCESS_VIOLATION, "file not readable");
    }
    return real;
  }

  @Override
  public void run() {
    try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(settings.bindAddress(), 0))) {
      socket = s;
      sockets.add(s);
      if (serverClosed.getAsBoolean()) {
        return;
      }
      s.connect(request.getAddress(), request.getPort());
      transfer();
    } catch (IOException e) {
      if (!serverClosed.getAsBoolean()) {
        LOG.debug("TFTP transfer of {} to {} aborted: {}", request.getFilename(), client,
            e.getMessage());
      }
    } finally {
      if (socket != null) {
        sockets.remove(socket);
      }
    }
  }

  private void transfer() throws IOException {
    String filename = request.getFilename();
    Path file;
    try {
      file = resolve(settings.root(), filename);
    } catch (Refusal r) {
      if (r.code == TFTPErrorPacket.ACCESS_VIOLATION) {
        LOG.warn("TFTP: refused {} to {}: {}", filename, client, r.getMessage());
      } else {
        LOG.info("TFTP: {} requested by {}: {}", filename, client, r.getMessage());
      }
      sendError(r.code, r.getMessage());
      return;
    }
    boolean netascii = request.getMode() == TFTP.NETASCII_MODE;
    long size = Files.size(file);
    Map<String, String> accepted = negotiate(netascii, size);
    int blockSize = Integer.parseInt(accepted.getOrDefault("blksize", "512"));

    try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 64 * 1024);
        InputStream in = netascii ? new NetasciiInputStream(raw) : raw) {
      if (!accepted.isEmpty() && !sendAndAwaitAck(oack(accepted), 0)) {
        return;
      }
      byte[] packet = new byte[4 + blockSize];
      long block = 1;
      long sent = 0;
      while (true) {
        int n = in.readNBytes(packet, 4, blockSize);
        packet[0] = 0;
        packet[1] = (byte) TFTPPacket.DATA;
        packet[2] = (byte) (block >> 8);
        packet[3] = (byte) block;
        if (!sendAndAwaitAck(new DatagramPacket(packet, 4 + n), (int) (block & 0xFFFF))) {
          return;
        }
        sent += n;
        if (n < blockSize) {
          LOG.debug("TFTP: sent {} ({} bytes, {} mode, block size {}) to {}", filename, sent,
              netascii ? "netascii" : "octet", blockSize, client);
          return;
        }
        block++;
      }
    }
  }

  /** The options this server accepts from the request, with the values it grants. */
  private Map<String, String> negotiate(boolean netascii, long size) {
    Map<String, String> accepted = new LinkedHashMap<>();
    for (Map.Entry<String, String> option : request.getOptions().entrySet()) {
      String name = option.getKey().toLowerCase(Locale.ROOT);
      String value = option.getValue().trim();
      try {
        switch (name) {
          case "blksize" -> {
            int asked = Integer.parseInt(value);
            if (asked >= MIN_BLOCK_SIZE) {
              accepted.put("blksize", Integer.toString(Math.min(asked, settings.maxBlockSize())));
            }
          }
          case "tsize" -> {
            // the netascii size is not known without reading the whole file: leave it out
            if (!netascii) {
              accepted.put("tsize", Long.toString(size));
            }
          }
          case "timeout" -> {
            int seconds = Integer.parseInt(value);
            if (seconds >= 1 && seconds <= 255) {
              timeout = Duration.ofSeconds(seconds);
              accepted.put("timeout", Integer.toString(seconds));
            }
          }
          default -> {
            // unknown options are ignored (RFC 2347)
          }
        }
      } catch (NumberFormatException e) {
        // a malformed value: ignore the option
      }
    }
    return accepted;
  }

  private static DatagramPacket oack(Map<String, String> options) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.write(TFTPPacket.OACK);
    options.forEach((k, v) -> {
      out.writeBytes(k.getBytes(StandardCharsets.US_ASCII));
      out.write(0);
      out.writeBytes(v.getBytes(StandardCharsets.US_ASCII));
      out.write(0);
    });
    byte[] bytes = out.toByteArray();
    return new DatagramPacket(bytes, bytes.length);
  }

  /**
   * Sends {@code packet} and waits for the acknowledgement of {@code block}, sending again on
   * each timeout, at most {@code maxRetries} times. Duplicate acknowledgements of earlier blocks
   * are ignored rather than answered (the "Sorcerer's Apprentice" bug).
   *
   * @return false when the client gave up (error packet) or never answered
   */
  private boolean sendAndAwaitAck(DatagramPacket packet, int block) throws IOException {
    for (int attempt = 0; attempt <= settings.maxRetries(); attempt++) {
      socket.send(packet);
      long until = System.nanoTime() + timeout.toNanos();
      while (true) {
        long left = (until - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
          break;
        }
        socket.setSoTimeout((int) left);
        DatagramPacket in = new DatagramPacket(receiveBuffer, receiveBuffer.length);
        try {
          socket.receive(in);
        } catch (SocketTimeoutException e) {
          break;
        }
        TFTPPacket reply;
        try {
          reply = TFTPPacket.newTFTPPacket(in);
        } catch (TFTPPacketException e) {
          continue;
        }
        if (reply instanceof TFTPAckPacket ack && ack.getBlockNumber() == block) {
          return true;
        }
        if (reply instanceof TFTPErrorPacket error) {
          LOG.debug("TFTP: {} ended the transfer of {}: error {} {}", client,
              request.getFilename(), error.getError(), error.getMessage());
          return false;
        }
      }
    }
    LOG.info("TFTP: {} stopped acknowledging {} (block {}); transfer abandoned", client,
        request.getFilename(), block);
    return false;
  }

  private void sendError(int code, String message) throws IOException {
    socket.send(new TFTPErrorPacket(request.getAddress(), request.getPort(), code, message)
        .newDatagram());
  }
}
