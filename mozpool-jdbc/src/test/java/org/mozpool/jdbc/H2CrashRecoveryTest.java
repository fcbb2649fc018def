package org.mozpool.jdbc;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** Crash recovery over an H2 file. */
class H2CrashRecoveryTest extends CrashRecoveryContract {
  @TempDir
  Path dir;

  @Override
  JdbcPoolStore newStore() {
    return JdbcPoolStore.h2(dir.resolve("mozpool"));
  }
}
