package org.mozpool.bmm;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One HTTP/1.1 request to the device callback endpoint, read from its socket before a deadline,
 * and the one answer written back; the connection is then closed (devices make one call per
 * connection). Only what the endpoint needs: origin-form targets, bodies by {@code
 * Content-Length} or chunked, {@code Expect: 100-continue}. Every part is bounded: the request
 * line, the headers and the body have size limits, and the whole request must arrive before the
 * deadline, so that a slow or silent client cannot hold a thread for long.
 */
final class CallbackRequest {

  /** The longest request line (method, target, version). */
  static final int MAX_REQUEST_LINE = 8 * 1024;
  /** The most bytes of header lines, all together. */
  static final int MAX_HEADER_BYTES = 16 * 1024;
  private static final int MAX_HEADERS = 100;
  private static final int MAX_CHUNK_LINE = 1024;
  private static final java.util.Set<String> FRAMING_HEADERS =
      java.util.Set.of("content-length", "transfer-encoding");

  /** Why a request cannot be read, and the status that says so. */
  static final class Malformed extends Exception {
    private static final long serialVersionUID = 1L;
    final int status;

    Malformed(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }

  final String method;
  /** The target's path, still percent-encoded. */
  final String rawPath;
  /** The target's query, still percent-encoded; null when there is none. */
  final String rawQuery;
  private final Map<String, String> headers;
  /** The {@code Content-Length}, or -1 when the request has none. */
  final long declaredLength;
  /** The body (empty when there is none), or null when it is larger than the limit. */
  final byte[] body;

  private CallbackRequest(String method, URI target, Map<String, String> headers,
      long declaredLength, byte[] body) {
    this.method = method;
    this.rawPath = target.getRawPath() == null ? "" : target.getRawPath();
    this.rawQuery = target.getRawQuery();
    this.headers = headers;
    this.declaredLength = declaredLength;
    this.body = body;
  }

  /** The first value of header {@code name} (any case), or null. */
  String header(String name) {
    return headers.get(name);
  }

  /**
   * Reads one request from {@code socket}; a body over {@code maxBodyBytes} is left unread.
   *
   * @param deadline by when ({@link System#nanoTime()}) the whole request must have arrived
   * @throws SocketTimeoutException when it did not
   * @throws EOFException when the client closed the connection first
   * @throws Malformed when it is not a request this endpoint can read
   */
  static CallbackRequest read(Socket socket, long deadline, int maxBodyBytes)
      throws IOException, Malformed {
    DeadlineInput in = new DeadlineInput(socket, deadline);
    String requestLine;
    do { // RFC 9112 §2.2: ignore empty lines before the request line
      requestLine = in.line(MAX_REQUEST_LINE, 414, "request line too long");
    } while (requestLine.isEmpty());
    String[] parts = requestLine.split(" ", -1);
    if (parts.length != 3 || !parts[0].matches("[A-Z]{1,16}") || !parts[2].startsWith("HTTP/")) {
      throw new Malformed(400, "malformed request line");
    }
    if (!parts[2].equals("HTTP/1.1") && !parts[2].equals("HTTP/1.0")) {
      throw new Malformed(505, "only HTTP/1.0 and HTTP/1.1 are served");
    }
    URI target;
    try {
      target = new URI(parts[1]);
    } catch (URISyntaxException e) {
      throw new Malformed(400, "malformed request target");
    }
    if (!parts[1].startsWith("/") && !target.isAbsolute()) {
      throw new Malformed(400, "malformed request target");
    }
    Map<String, String> headers = readHeaders(in);

    String transferEncoding = headers.get("Transfer-Encoding");
    String contentLength = headers.get("Content-Length");
    if (transferEncoding != null && contentLength != null) {
      throw new Malformed(400, "both Transfer-Encoding and Content-Length");
    }
    boolean continueExpected = "100-continue".equalsIgnoreCase(headers.get("Expect"));
    if (transferEncoding != null) {
      if (!transferEncoding.trim().toLowerCase(Locale.ROOT).equals("chunked")) {
        throw new Malformed(501, "unsupported transfer encoding");
      }
      continueIfExpected(socket, continueExpected);
      return new CallbackRequest(parts[0], target, headers, -1,
          readChunked(in, maxBodyBytes));
    }
    if (contentLength == null) {
      return new CallbackRequest(parts[0], target, headers, -1, new byte[0]);
    }
    long declared;
    try {
      declared = contentLength.trim().matches("[0-9]{1,18}")
          ? Long.parseLong(contentLength.trim()) : -1;
    } catch (NumberFormatException e) {
      declared = -1;
    }
    if (declared < 0) {
      throw new Malformed(400, "malformed Content-Length");
    }
    if (declared > maxBodyBytes) {
      return new CallbackRequest(parts[0], target, headers, declared, null);
    }
    if (declared > 0) {
      continueIfExpected(socket, continueExpected);
    }
    return new CallbackRequest(parts[0], target, headers, declared,
        in.exactly((int) declared));
  }

  private static Map<String, String> readHeaders(DeadlineInput in)
      throws IOException, Malformed {
    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    int budget = MAX_HEADER_BYTES;
    int count = 0;
    while (true) {
      String line = in.line(budget, 431, "request headers too large");
      budget -= line.length() + 2;
      if (line.isEmpty()) {
        return headers;
      }
      if (++count > MAX_HEADERS) {
        throw new Malformed(431, "too many request headers");
      }
      int colon = line.indexOf(':');
      if (colon <= 0 || line.charAt(0) == ' ' || line.charAt(0) == '\t'
          || Character.isWhitespace(line.charAt(colon - 1))) {
        throw new Malformed(400, "malformed header line"); // obsolete line folding included
      }
      String name = line.substring(0, colon);
      if (headers.containsKey(name) && FRAMING_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
        // Two framings of one body could be read differently by a proxy in front (RFC 9112 §6.3).
        throw new Malformed(400, "repeated " + name + " header");
      }
      headers.putIfAbsent(name, line.substring(colon + 1).trim());
    }
  }

  /** A chunked body, or null (the rest left unread) once it grows over {@code max}. */
  private static byte[] readChunked(DeadlineInput in, int max) throws IOException, Malformed {
    // One growing buffer: joining arrays per chunk made a body of many tiny chunks cost the
    // square of their number.
    java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
    while (true) {
      String line = in.line(MAX_CHUNK_LINE, 400, "chunk size line too long");
      int semicolon = line.indexOf(';');
      String hex = (semicolon < 0 ? line : line.substring(0, semicolon)).trim();
      if (!hex.matches("[0-9A-Fa-f]{1,8}")) {
        throw new Malformed(400, "malformed chunk size");
      }
      long size = Long.parseLong(hex, 16);
      if (size == 0) {
        readHeaders(in); // trailer fields: read and ignored
        return body.toByteArray();
      }
      if (body.size() + size > max) {
        return null;
      }
      body.write(in.exactly((int) size));
      if (!in.line(2, 400, "chunk not followed by CRLF").isEmpty()) {
        throw new Malformed(400, "chunk not followed by CRLF");
      }
    }
  }

  private static void continueIfExpected(Socket socket, boolean expected) throws IOException {
    if (expected) {
      OutputStream out = socket.getOutputStream();
      out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
    }
  }

  /**
   * Writes the answer and closes the connection. Answers are small, so writing does not block
   * on a client that does not read.
   */
  static void answer(Socket socket, int status, byte[] json) throws IOException {
    String head = "HTTP/1.1 " + status + " " + reason(status) + "\r\n"
        + "Content-Type: application/json\r\n"
        + "Content-Length: " + json.length + "\r\n"
        + "Connection: close\r\n\r\n";
    OutputStream out = socket.getOutputStream();
    out.write(head.getBytes(StandardCharsets.US_ASCII));
    out.write(json);
    out.flush();
  }

  static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 408 -> "Request Timeout";
      case 409 -> "Conflict";
      case 413 -> "Content Too Large";
      case 414 -> "URI Too Long";
      case 431 -> "Request Header Fields Too Large";
      case 500 -> "Internal Server Error";
      case 501 -> "Not Implemented";
      case 503 -> "Service Unavailable";
      case 505 -> "HTTP Version Not Supported";
      default -> "Status " + status;
    };
  }

  /** The socket's input, each read limited to the time left before the deadline. */
  private static final class DeadlineInput {
    private final Socket socket;
    private final InputStream in;
    private final long deadline;
    private final byte[] buffer = new byte[8192];
    private int position;
    private int limit;

    DeadlineInput(Socket socket, long deadline) throws IOException {
      this.socket = socket;
      this.in = socket.getInputStream();
      this.deadline = deadline;
    }

    private void fill() throws IOException {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new SocketTimeoutException("the request did not arrive in time");
      }
      // rounded up: 0 would mean no timeout at all to the socket
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, (left + 999_999) / 1_000_000)));
      int n = in.read(buffer, 0, buffer.length);
      if (n < 0) {
        throw new EOFException("the client closed the connection mid-request");
      }
      position = 0;
      limit = n;
    }

    /** One line without its CRLF (or bare LF), read as ISO-8859-1; at most {@code max} bytes. */
    String line(int max, int status, String tooLong) throws IOException, Malformed {
      StringBuilder line = new StringBuilder();
      while (true) {
        if (position == limit) {
          fill();
        }
        byte b = buffer[position++];
        if (b == '\n') {
          int end = line.length();
          if (end > 0 && line.charAt(end - 1) == '\r') {
            line.setLength(end - 1);
          }
          return line.toString();
        }
        if (line.length() >= max) {
          throw new Malformed(status, tooLong);
        }
        line.append((char) (b & 0xff));
      }
    }

    byte[] exactly(int n) throws IOException {
      byte[] bytes = new byte[n];
      int done = 0;
      while (done < n) {
        if (position == limit) {
          fill();
        }
        int chunk = Math.min(n - done, limit - position);
        System.arraycopy(buffer, position, bytes, done, chunk);
        position += chunk;
        done += chunk;
      }
      return bytes;
    }
  }
}
