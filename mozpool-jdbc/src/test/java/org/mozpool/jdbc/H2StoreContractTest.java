package org.mozpool.jdbc;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.spi.PoolStore;
import org.mozpool.testkit.store.PoolStoreContract;

/** The H2 file store meets the store contract. */
class H2StoreContractTest extends PoolStoreContract {
  @TempDir
  Path dir;

  @Override
  protected PoolStore createStore() {
    return JdbcPoolStore.h2(dir.resolve("mozpool"), JdbcPoolStore.Options.builder()
        .poolSize(8).build());
  }
}
