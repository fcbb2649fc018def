package org.mozpool.testkit.agent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The on-device SUT agent of a booted board, on a real TCP socket, for tests of agent clients.
 *
 * <p>On connect, and after every reply, it sends the prompt {@code $>} followed by a NUL byte.
 * Commands are CRLF-terminated lines: {@code testroot}, {@code ver}, {@code isdir <path>}
 * ({@code TRUE}/{@code FALSE}), {@code mkdr <path>}, {@code rmdr <path>}, {@code push <path>
 * <size>} followed by exactly {@code size} bytes (answers their MD5 in hex), {@code exec},
 * {@code quit}. Anything else, or a bad argument, is answered with a line starting
 * {@code ##AGENT-WARNING##}. Files live in memory.
 *
 * <p>Thread safe; serves several connections at once. {@link #close()} stops every thread and
 * socket and is idempotent.
 */
public final class SutAgentEmulator implements AutoCloseable {

  /** The default agent port of a device. */
  public static final int DEFAULT_PORT = 20701;

  /** The test root the emulated agent reports. */
  public static final String TEST_ROOT = "/mnt/sdcard/tests";

  /** How the emulated agent misbehaves. */
  public enum Fault {
    /** Behaves like a healthy agent. */
    NONE,
    /** Accepts connections and reads, but never sends a prompt or an answer. */
    NEVER_ANSWERS,
    /** Answers {@code push} with a checksum that does not match the bytes (a bad SD card). */
    BAD_MD5,
    /** Answers every command with {@code ##AGENT-WARNING##}. */
    WARNINGS
  }

  private static final byte[] PROMPT = {'$', '>', 0};
  private static final int MAX_LINE = 4096;
  private static final long MAX_PUSH = 16L * 1024 * 1024;

  private final ServerSocket server;
  private final Thread acceptor;
  private final Set<String> dirs = ConcurrentHashMap.newKeySet();
  private final Map<String, byte[]> files = new ConcurrentHashMap<>();
  private final List<String> received = new CopyOnWriteArrayList<>();
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private volatile Fault fault = Fault.NONE;
  private volatile boolean closed;

  private SutAgentEmulator(InetSocketAddress address) throws IOException {
    if (!address.getAddress().isLoopbackAddress()) {
      throw new IllegalArgumentException("the agent emulator binds loopback addresses only, got "
          + address);
    }
    server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(address);
    dirs.add("/");
    dirs.add("/mnt");
    dirs.add("/mnt/sdcard");
    acceptor = new Thread(this::acceptLoop, "sut-agent-emulator-" + address());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /**
   * Starts an agent on {@code address} (a loopback address such as {@code 127.0.3.7}; port 0
   * picks a free port).
   */
  public static SutAgentEmulator start(InetSocketAddress address) {
    try {
      return new SutAgentEmulator(Objects.requireNonNull(address, "address"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start SUT agent emulator on " + address, e);
    }
  }

  /** The address the agent listens on. */
  public InetSocketAddress address() {
    return (InetSocketAddress) server.getLocalSocketAddress();
  }

  /** The port the agent listens on. */
  public int port() {
    return server.getLocalPort();
  }

  /** Makes the agent misbehave (or behave again with {@link Fault#NONE}) on the next command. */
  public SutAgentEmulator fault(Fault fault) {
    this.fault = Objects.requireNonNull(fault, "fault");
    return this;
  }

  /** Every command line received, in order (a push's bytes are not included). */
  public List<String> commands() {
    return List.copyOf(received);
  }

  /** Whether {@code path} is a directory in the agent's file system. */
  public boolean isDirectory(String path) {
    return dirs.contains(normalize(path));
  }

  /** The paths of the files currently in the agent's file system. */
  public Set<String> files() {
    return Set.copyOf(files.keySet());
  }

  private void acceptLoop() {
    while (!closed) {
      Socket socket;
      try {
        socket = server.accept();
      } catch (IOException e) {
        return;
      }
      open.add(socket);
      Thread t = new Thread(() -> serve(socket), "sut-agent-emulator-conn");
      t.setDaemon(true);
      t.start();
    }
  }

  private void serve(Socket socket) {
    try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
      prompt(out);
      while (!closed) {
        String line = readLine(in);
        if (line == null) {
          return;
        }
        received.add(line);
        if (fault == Fault.NEVER_ANSWERS) {
          continue;
        }
        String reply = handle(line, in);
        if (reply == null) {
          return; // quit
        }
        out.write((reply + "\r\n").getBytes(StandardCharsets.UTF_8));
        prompt(out);
      }
    } catch (IOException e) {
      // connection ended
    } finally {
      open.remove(socket);
    }
  }

  private void prompt(OutputStream out) throws IOException {
    if (fault != Fault.NEVER_ANSWERS) {
      out.write(PROMPT);
      out.flush();
    }
  }

  private String handle(String line, InputStream in) throws IOException {
    String[] words = line.trim().split("\\s+");
    String cmd = words[0];
    if (cmd.equals("push")) {
      // always consume the bytes, even when the agent is about to complain
      return push(words, in);
    }
    if (fault == Fault.WARNINGS) {
      return "##AGENT-WARNING## emulated failure of " + cmd;
    }
    switch (cmd) {
      case "testroot":
        return TEST_ROOT;
      case "ver":
        return "SUTAgentAndroid Version 1.20 (mozpool testkit emulator)";
      case "isdir":
        return words.length == 2 ? (isDirectory(words[1]) ? "TRUE" : "FALSE")
            : warning("isdir needs a path");
      case "mkdr":
        if (words.length != 2) {
          return warning("mkdr needs a path");
        }
        String dir = normalize(words[1]);
        if (!dirs.contains(parent(dir))) {
          return warning("Could not create directory " + dir);
        }
        dirs.add(dir);
        return dir + " successfully created";
      case "rmdr":
        if (words.length != 2) {
          return warning("rmdr needs a path");
        }
        String gone = normalize(words[1]);
        if (!dirs.contains(gone)) {
          return warning("Unable to delete directory " + gone);
        }
        dirs.removeIf(d -> d.equals(gone) || d.startsWith(gone + "/"));
        files.keySet().removeIf(f -> f.startsWith(gone + "/"));
        return "Deleting file(s) from " + gone;
      case "exec":
        return "success";
      case "quit":
        return null;
      default:
        return warning("unknown command " + cmd);
    }
  }

  private String push(String[] words, InputStream in) throws IOException {
    if (words.length != 3) {
      return warning("push needs a path and a size");
    }
    long size;
    try {
      size = Long.parseLong(words[2]);
    } catch (NumberFormatException e) {
      return warning("push size is not a number: " + words[2]);
    }
    if (size < 0 || size > MAX_PUSH) {
      return warning("push size out of range: " + size);
    }
    byte[] data = in.readNBytes((int) size);
    if (data.length != size) {
      throw new IOException("connection closed during push");
    }
    if (fault == Fault.WARNINGS) {
      return warning("emulated failure of push");
    }
    String path = normalize(words[1]);
    if (!dirs.contains(parent(path))) {
      return warning("no such directory " + parent(path));
    }
    files.put(path, data);
    byte[] md5 = md5(data);
    if (fault == Fault.BAD_MD5) {
      md5[0] ^= 0x5a;
    }
    return HexFormat.of().formatHex(md5);
  }

  private static String warning(String message) {
    return "##AGENT-WARNING## " + message;
  }

  private static byte[] md5(byte[] data) {
    try {
      return MessageDigest.getInstance("MD5").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("MD5 is a required JDK algorithm", e);
    }
  }

  private static String normalize(String path) {
    String p = path.replaceAll("/+", "/");
    if (p.length() > 1 && p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    return p;
  }

  private static String parent(String path) {
    int slash = path.lastIndexOf('/');
    return slash <= 0 ? "/" : path.substring(0, slash);
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    while (true) {
      int b = in.read();
      if (b < 0) {
        return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
      }
      if (b == '\n') {
        String s = line.toString(StandardCharsets.UTF_8);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
      }
      if (line.size() >= MAX_LINE) {
        throw new IOException("command line too long");
      }
      line.write(b);
    }
  }

  /** Stops the agent: closes the listening socket and every connection. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
    for (Socket s : open) {
      try {
        s.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
    try {
      acceptor.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
