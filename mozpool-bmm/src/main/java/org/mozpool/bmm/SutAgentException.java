package org.mozpool.bmm;

import java.io.IOException;

/**
 * The SUT agent answered, but not as hoped: a {@code ##AGENT-WARNING##} reply, a checksum that
 * does not match, or a reply the client cannot make sense of. Transport failures (refused,
 * timed out, closed) are plain {@link IOException}s.
 */
public class SutAgentException extends IOException {
  private static final long serialVersionUID = 1L;

  public SutAgentException(String message) {
    super(message);
  }
}
