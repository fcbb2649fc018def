package org.mozpool.benchmarks;

import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.spi.PoolStore;

/** The stores a benchmark can run on, by name. */
final class Stores {
  private Stores() {}

  /** A fresh, empty store. */
  static PoolStore open(String name) {
    return switch (name) {
      case "memory" -> new InMemoryPoolStore();
      default -> throw new IllegalArgumentException("unknown store '" + name
          + "'; expected memory (h2 and postgres need mozpool-jdbc)");
    };
  }
}
