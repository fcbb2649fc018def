package org.mozpool.server.internal;

import io.javalin.http.BadRequestResponse;
import io.javalin.http.ContentTooLargeResponse;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The request body limit of the whole port, as a servlet filter in front of Javalin: a request
 * whose {@code Content-Length} is over the limit is answered 413 without reading it, and a body
 * without a length (chunked) fails with a 413 {@link ContentTooLargeResponse} as soon as it grows
 * over the limit while a handler reads it. (Javalin checks only the declared length, and only
 * when a handler asks for the whole body.)
 */
final class BodyLimit implements Filter {

  private final long maxBodyBytes;

  BodyLimit(long maxBodyBytes) {
    this.maxBodyBytes = maxBodyBytes;
  }

  @Override
  public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    HttpServletRequest http = (HttpServletRequest) request;
    if (http.getContentLengthLong() > maxBodyBytes) {
      HttpServletResponse out = (HttpServletResponse) response;
      out.setStatus(413);
      out.setContentType("application/json");
      out.setHeader("Connection", "close"); // the body is not read
      out.getOutputStream().write(("{\"error\":\"body larger than " + maxBodyBytes
          + " bytes\"}").getBytes(StandardCharsets.UTF_8));
      return;
    }
    chain.doFilter(http.getContentLengthLong() >= 0 ? request : new Limited(http, maxBodyBytes),
        response);
  }

  /** A request whose body stream fails once more than the limit has been read from it. */
  private static final class Limited extends HttpServletRequestWrapper {
    private final long max;
    private ServletInputStream stream;

    Limited(HttpServletRequest request, long max) {
      super(request);
      this.max = max;
    }

    @Override
    public synchronized ServletInputStream getInputStream() throws IOException {
      if (stream == null) {
        stream = new Counting(super.getInputStream(), max);
      }
      return stream;
    }
  }

  private static final class Counting extends ServletInputStream {
    private final ServletInputStream in;
    private final long max;
    private long read;

    Counting(ServletInputStream in, long max) {
      this.in = in;
      this.max = max;
    }

    private int count(int n) {
      if (n > 0) {
        read += n;
        if (read > max) {
          throw new ContentTooLargeResponse("body larger than " + max + " bytes");
        }
      }
      return n;
    }

    @Override
    public int read() throws IOException {
      int b;
      try {
        b = in.read();
      } catch (IOException e) {
        throw unreadable(e);
      }
      if (b >= 0) {
        count(1);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return count(in.read(b, off, len));
      } catch (IOException e) {
        throw unreadable(e);
      }
    }

    /**
     * A body that cannot be read (broken chunking, cut short) is the client's fault: a 400, which
     * Javalin would otherwise answer 500 (it takes Jetty's EofException for a server failure).
     */
    private static BadRequestResponse unreadable(IOException e) {
      return new BadRequestResponse("the request body could not be read: "
          + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
    }

    @Override
    public boolean isFinished() {
      return in.isFinished();
    }

    @Override
    public boolean isReady() {
      return in.isReady();
    }

    @Override
    public void setReadListener(ReadListener listener) {
      in.setReadListener(listener);
    }
  }
}
