package org.mozpool.jdbc;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.spi.PoolStore;
import org.mozpool.testkit.store.PoolValidationContract;

/** A pool over the H2 file store refuses bad input as the contract says. */
class H2PoolValidationTest extends PoolValidationContract {
  @TempDir
  Path dir;

  @Override
  protected PoolStore createStore() {
    return JdbcPoolStore.h2(dir.resolve("mozpool"), JdbcPoolStore.Options.builder()
        .poolSize(8).build());
  }
}
