package org.mozpool.bmm;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A client for the on-device SUT agent (DESIGN §7.3), used to verify a freshly imaged device.
 *
 * <p>The agent sends the prompt {@code $>} followed by a NUL byte when it is ready; commands are
 * CRLF-terminated lines and the reply is everything up to the next prompt. A reply starting with
 * {@code ##AGENT-WARNING##} is an error ({@link SutAgentException}). Every command must be
 * answered within the command timeout (15 s by default) and, when one is given, before the
 * client's overall deadline; otherwise an {@link IOException} says which command timed out.
 *
 * <p>Not thread safe: one client is one conversation. {@link #close()} is idempotent.
 */
public final class SutAgentClient implements AutoCloseable {

  /** The agent's default port. */
  public static final int DEFAULT_PORT = 20701;
  /** The default bound on each command. */
  public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(15);

  private static final String WARNING = "##AGENT-WARNING##";
  private static final int MAX_REPLY = 1024 * 1024;
  private static final int STORAGE_CHECK_BYTES = 4096;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final Duration commandTimeout;
  private final long deadlineNanos;
  private final String agent;

  private SutAgentClient(Socket socket, Duration commandTimeout, long deadlineNanos)
      throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
    this.commandTimeout = commandTimeout;
    this.deadlineNanos = deadlineNanos;
    this.agent = "SUT agent at " + socket.getRemoteSocketAddress();
  }

  /** Connects with the default command timeout and no overall deadline, and waits for the prompt. */
  public static SutAgentClient connect(InetSocketAddress address) throws IOException {
    return connect(address, DEFAULT_COMMAND_TIMEOUT, null);
  }

  /**
   * Connects to the agent at {@code address} and waits for its first prompt.
   *
   * @param commandTimeout the longest any one command (and the connect) may take
   * @param deadline the longest the whole conversation may take, or {@code null} for no bound
   * @throws IOException when the agent cannot be reached or does not prompt in time
   */
  public static SutAgentClient connect(InetSocketAddress address, Duration commandTimeout,
      Duration deadline) throws IOException {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(commandTimeout, "commandTimeout");
    if (commandTimeout.isNegative() || commandTimeout.isZero()) {
      throw new IllegalArgumentException("command timeout must be positive, got " + commandTimeout);
    }
    long deadlineNanos = deadline == null ? Long.MAX_VALUE : System.nanoTime() + deadline.toNanos();
    Socket socket = new Socket();
    try {
      long connectMillis = Math.min(commandTimeout.toMillis(),
          Math.max(1, (deadlineNanos - System.nanoTime()) / 1_000_000));
      try {
        socket.connect(address, (int) Math.max(1, connectMillis));
      } catch (SocketTimeoutException e) {
        throw new IOException("SUT agent at " + address + ": no connection within "
            + connectMillis + " ms", e);
      }
      SutAgentClient client = new SutAgentClient(socket, commandTimeout, deadlineNanos);
      client.readReply("the first prompt");
      return client;
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /**
   * Sends one command line and returns the reply, trimmed.
   *
   * @throws SutAgentException when the agent answers {@code ##AGENT-WARNING##}
   * @throws IOException when the agent does not answer in time or the connection breaks
   */
  public String command(String line) throws IOException {
    Objects.requireNonNull(line, "line");
    if (line.indexOf('\r') >= 0 || line.indexOf('\n') >= 0) {
      throw new IllegalArgumentException("a command is one line, got " + line.replace("\r", "\\r")
          .replace("\n", "\\n"));
    }
    out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
    return checked(line, readReply(line));
  }

  /**
   * Sends {@code data} to {@code path} ({@code push <path> <size>} then the bytes) and checks that
   * the MD5 the agent answers matches.
   *
   * @throws SutAgentException on a warning or a checksum mismatch
   */
  public void push(String path, byte[] data) throws IOException {
    String line = "push " + path + " " + data.length;
    out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
    out.write(data);
    out.flush();
    String reply = checked(line, readReply(line));
    String expected = HexFormat.of().formatHex(md5(data));
    // the agent may print the path before the checksum; the checksum is the last word
    String[] words = reply.trim().split("\\s+");
    String actual = words[words.length - 1];
    if (!actual.equalsIgnoreCase(expected)) {
      throw new SutAgentException(agent + ": push " + path + " stored MD5 " + actual
          + " but " + expected + " was sent (bad storage?)");
    }
  }

  /**
   * Verifies the agent (DESIGN §7.3): asks for its test root, creates it if it is not a directory,
   * then asks for its version.
   *
   * @return the agent's version string
   */
  public String verify() throws IOException {
    ensureTestRoot();
    String version = command("ver");
    if (version.isBlank()) {
      throw new SutAgentException(agent + ": empty answer to ver");
    }
    return version;
  }

  /**
   * Checks the device's storage: creates a scratch directory under the test root, pushes a small
   * random file whose MD5 must come back right, and removes the directory again. The test root
   * is created first if it is missing.
   */
  public void checkStorage() throws IOException {
    String root = ensureTestRoot();
    byte[] name = new byte[6];
    RANDOM.nextBytes(name);
    String dir = root + "/mozpool-check-" + HexFormat.of().formatHex(name);
    command("mkdr " + dir);
    try {
      byte[] data = new byte[STORAGE_CHECK_BYTES];
      RANDOM.nextBytes(data);
      push(dir + "/check.bin", data);
    } finally {
      if (!socket.isClosed()) {
        try {
          command("rmdr " + dir);
        } catch (IOException e) {
          // the check's verdict stands; a leftover scratch directory is harmless
        }
      }
    }
  }

  private String ensureTestRoot() throws IOException {
    String root = testRoot();
    if (!command("isdir " + root).trim().equalsIgnoreCase("TRUE")) {
      command("mkdr " + root);
      if (!command("isdir " + root).trim().equalsIgnoreCase("TRUE")) {
        throw new SutAgentException(agent + ": test root " + root + " could not be created");
      }
    }
    return root;
  }

  private String testRoot() throws IOException {
    String root = command("testroot").trim();
    if (root.isEmpty() || root.contains(" ")) {
      throw new SutAgentException(agent + ": unusable test root '" + root + "'");
    }
    return root;
  }

  private String checked(String command, String reply) throws SutAgentException {
    if (reply.startsWith(WARNING)) {
      throw new SutAgentException(agent + ": '" + command + "' failed: " + reply);
    }
    return reply;
  }

  /** Reads up to the prompt ({@code $>} NUL) within the command timeout and the deadline. */
  private String readReply(String what) throws IOException {
    long now = System.nanoTime();
    long until = Math.min(now + commandTimeout.toNanos(), deadlineNanos);
    boolean deadlineBound = deadlineNanos <= now + commandTimeout.toNanos();
    ByteArrayOutputStream reply = new ByteArrayOutputStream();
    while (true) {
      long left = (until - System.nanoTime()) / 1_000_000;
      if (left <= 0) {
        throw timeout(what, deadlineBound);
      }
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
      int b;
      try {
        b = in.read();
      } catch (SocketTimeoutException e) {
        throw timeout(what, deadlineBound);
      }
      if (b < 0) {
        throw new IOException(agent + ": connection closed waiting for the answer to '" + what + "'");
      }
      reply.write(b);
      if (b == 0 && endsWithPrompt(reply)) {
        byte[] bytes = reply.toByteArray();
        return new String(bytes, 0, bytes.length - 3, StandardCharsets.UTF_8).strip();
      }
      if (reply.size() > MAX_REPLY) {
        throw new SutAgentException(agent + ": answer to '" + what + "' longer than "
            + MAX_REPLY + " bytes");
      }
    }
  }

  private IOException timeout(String what, boolean deadlineBound) {
    return new IOException(agent + ": no answer to '" + what + "' within "
        + (deadlineBound ? "the probe's deadline" : commandTimeout.toString()));
  }

  private static boolean endsWithPrompt(ByteArrayOutputStream reply) {
    byte[] b = reply.toByteArray();
    int n = b.length;
    return n >= 3 && b[n - 3] == '$' && b[n - 2] == '>' && b[n - 1] == 0;
  }

  private static byte[] md5(byte[] data) {
    try {
      return MessageDigest.getInstance("MD5").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("MD5 is a required JDK algorithm", e);
    }
  }

  /** Closes the connection. Idempotent. */
  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // nothing more to do
    }
  }
}
