package org.mozpool.examples;

import static org.junit.jupiter.api.Assertions.fail;

import java.sql.SQLException;
import org.junit.jupiter.api.Assumptions;

/**
 * What a test needing PostgreSQL does when the server does not answer: it is skipped, with the
 * command that starts the server, except under {@code CI=true}, where it fails.
 */
public final class PostgresUnreachable {
  private PostgresUnreachable() {}

  /** Skips or fails the running test: {@code url} as {@code user} could not be reached. */
  public static void skipOrFail(String url, String user, SQLException e) {
    String message = "PostgreSQL is not reachable at " + url + " as " + user + " ("
        + e.getMessage() + "). Start it with: pg_ctlcluster --skip-systemctl-redirect"
        + " $(ls /etc/postgresql) main start";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail(message + " [CI=true: database tests must run]");
    }
    Assumptions.abort(message);
  }
}
