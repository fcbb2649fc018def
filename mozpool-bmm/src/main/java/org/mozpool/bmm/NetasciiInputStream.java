package org.mozpool.bmm;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Translates a local (Unix) text file to netascii as RFC 1350 asks: LF becomes CR LF and a bare
 * CR becomes CR NUL. Not thread safe.
 */
final class NetasciiInputStream extends FilterInputStream {
  private int pending = -1;

  NetasciiInputStream(InputStream in) {
    super(in);
  }

  @Override
  public int read() throws IOException {
    if (pending >= 0) {
      int b = pending;
      pending = -1;
      return b;
    }
    int b = in.read();
    if (b == '\n') {
      pending = '\n';
      return '\r';
    }
    if (b == '\r') {
      pending = 0;
      return '\r';
    }
    return b;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    if (length == 0) {
      return 0;
    }
    int n = 0;
    while (n < length) {
      int b = read();
      if (b < 0) {
        return n == 0 ? -1 : n;
      }
      buffer[offset + n++] = (byte) b;
      if (pending < 0 && in.available() == 0 && n > 0) {
        // don't block for more when some bytes are in hand
        break;
      }
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    long skipped = 0;
    while (skipped < n && read() >= 0) {
      skipped++;
    }
    return skipped;
  }

  @Override
  public int available() {
    return pending >= 0 ? 1 : 0;
  }

  @Override
  public boolean markSupported() {
    return false;
  }
}
