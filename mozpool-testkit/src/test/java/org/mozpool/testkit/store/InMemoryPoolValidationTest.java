package org.mozpool.testkit.store;

import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.spi.PoolStore;

/** A pool over the reference store refuses bad input as the contract says. */
class InMemoryPoolValidationTest extends PoolValidationContract {
  @Override
  protected PoolStore createStore() {
    return new InMemoryPoolStore();
  }
}
