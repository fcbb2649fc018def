package org.mozpool.server.internal.api;

/**
 * A call the API answers with a 4xx status and {@code {"error": message}}: bad input, a missing
 * token, a role that may not call the route. Thrown by the handlers, mapped by {@link Routes}.
 */
final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int status;

  ApiException(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  static ApiException badRequest(String message) {
    return new ApiException(400, message);
  }

  static ApiException notFound(String message) {
    return new ApiException(404, message);
  }

  static ApiException conflict(String message) {
    return new ApiException(409, message);
  }

  int status() {
    return status;
  }
}
