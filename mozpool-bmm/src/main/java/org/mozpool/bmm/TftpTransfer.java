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
  /** When the transfer is ended whatever the client does ({@link System#nanoTime()}). */
  private long deadline;

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
    long started = System.nanoTime();
    deadline = started + settings.maxTransferTime().toNanos();
    String outcome = "error";
    try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(settings.bindAddress(), 0))) {
      socket = s;
      sockets.add(s);
      if (serverClosed.getAsBoolean()) {
        outcome = "aborted";
        return;
      }
      s.connect(request.getAddress(), request.getPort());
      outcome = transfer();
    } catch (IOException e) {
      outcome = serverClosed.getAsBoolean() ? "aborted" : "error";
      if (!serverClosed.getAsBoolean()) {
        LOG.debug("TFTP transfer of {} to {} aborted: {}", request.getFilename(), client,
            e.getMessage());
      }
    } finally {
      if (socket != null) {
        sockets.remove(socket);
      }
      settings.meters().tftpTransfer(outcome, System.nanoTime() - started);
    }
  }

  /**
   * Serves the request; returns its outcome: {@code sent}, {@code not_found}, {@code refused} or
   * {@code abandoned} (the client stopped acknowledging, gave up, or was too slow).
   */
  private String transfer() throws IOException {
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
      return r.code == TFTPErrorPacket.FILE_NOT_FOUND ? "not_found" : "refused";
    }
    boolean netascii = request.getMode() == TFTP.NETASCII_MODE;
    long size = Files.size(file);
    Map<String, String> accepted = negotiate(netascii, size);
    int blockSize = Integer.parseInt(accepted.getOrDefault("blksize", "512"));

    try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 64 * 1024);
        InputStream in = netascii ? new NetasciiInputStream(raw) : raw) {
      if (!accepted.isEmpty() && !sendAndAwaitAck(oack(accepted), 0)) {
        return "abandoned";
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
          return "abandoned";
        }
        sent += n;
        if (n < blockSize) {
          LOG.debug("TFTP: sent {} ({} bytes, {} mode, block size {}) to {}", filename, sent,
              netascii ? "netascii" : "octet", blockSize, client);
          return "sent";
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
            // RFC 2349: the acknowledged value must be the one asked for, so a timeout above
            // the server's maximum is not lowered but left out, and the server's own applies
            int seconds = Integer.parseInt(value);
            if (seconds >= 1 && seconds <= 255
                && seconds <= settings.maxTimeoutOption().toSeconds()) {
              timeout = Duration.ofSeconds(seconds);
              accepted.put("timeout", Integer.toString(seconds));
            } else {
              LOG.debug("TFTP: {} asked for a {} s timeout; keeping {}", client, value, timeout);
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
   * are ignored rather than answered (the "Sorcerer's Apprentice" bug). Past the transfer's
   * deadline the client is sent an error instead.
   *
   * @return false when the client gave up (error packet), never answered, or the transfer ran
   *     out of time
   */
  private boolean sendAndAwaitAck(DatagramPacket packet, int block) throws IOException {
    for (int attempt = 0; attempt <= settings.maxRetries(); attempt++) {
      long now = System.nanoTime();
      if (deadline - now <= 0) {
        return outOfTime();
      }
      socket.send(packet);
      // the last wait ends at the deadline rather than after a whole timeout
      boolean last = deadline - now <= timeout.toNanos();
      Boolean answer = awaitAck(block, last ? deadline : now + timeout.toNanos());
      if (answer != null) {
        return answer;
      }
      if (last) {
        return outOfTime();
      }
    }
    LOG.info("TFTP: {} stopped acknowledging {} (block {}); transfer abandoned", client,
        request.getFilename(), block);
    return false;
  }

  /**
   * Waits until {@code until} ({@link System#nanoTime()}) for the acknowledgement of {@code
   * block}: true when it came, false when the client sent an error, null when time ran out.
   */
  private Boolean awaitAck(int block, long until) throws IOException {
    while (true) {
      long left = until - System.nanoTime();
      if (left <= 0) {
        return null;
      }
      // round up: a wait rounded down to 0 ms would be no wait (or, to the socket, an endless one)
      socket.setSoTimeout((int) Math.max(1, (left + 999_999) / 1_000_000));
      DatagramPacket in = new DatagramPacket(receiveBuffer, receiveBuffer.length);
      try {
        socket.receive(in);
      } catch (SocketTimeoutException e) {
        return null;
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

  private boolean outOfTime() throws IOException {
    LOG.info("TFTP: transfer of {} to {} took longer than {}; ended", request.getFilename(),
        client, settings.maxTransferTime());
    sendError(TFTPErrorPacket.UNDEFINED, "transfer took longer than the server allows ("
        + settings.maxTransferTime().toMillis() + " ms)");
    return false;
  }

  private void sendError(int code, String message) throws IOException {
    socket.send(new TFTPErrorPacket(request.getAddress(), request.getPort(), code, message)
        .newDatagram());
  }
}
