package org.mozpool.jdbc;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** {@code kill -9} durability of the embedded default, an H2 file. */
class H2KillNineDurabilityTest extends KillNineDurabilityContract {
  @TempDir
  Path dir;

  @Override
  String url() {
    return "jdbc:h2:file:" + dir.resolve("mozpool").toAbsolutePath();
  }

  @Override
  String user() {
    return "sa";
  }

  @Override
  String password() {
    return "";
  }

  @Override
  String schema() {
    return "-";
  }
}
