package org.mozpool.testkit.store;

import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.spi.PoolStore;

/** The reference store meets the contract it defines. */
class InMemoryPoolStoreContractTest extends PoolStoreContract {
  @Override
  protected PoolStore createStore() {
    return new InMemoryPoolStore();
  }
}
