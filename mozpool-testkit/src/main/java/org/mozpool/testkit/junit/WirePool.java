package org.mozpool.testkit.junit;

import org.mozpool.Pool;
import org.mozpool.testkit.sim.WireLab;

/**
 * A running pool over a {@link WireLab}, as {@link MozpoolWireExtension} needs it: the testkit
 * simulates the boards, and the pool's drivers, TFTP server and callback endpoint come from
 * elsewhere (usually {@code mozpool-bmm}, which the testkit cannot depend on). {@code
 * examples}' {@code WireStack} is one.
 */
public interface WirePool extends AutoCloseable {

  /** The running pool. */
  Pool pool();

  /** The simulated boards it drives. */
  WireLab lab();

  /** Stops the pool, its servers and the lab. */
  @Override
  void close();

  /**
   * Starts a {@link WirePool} over the lab that {@code lab} describes; the extension calls it
   * once per test or per class.
   */
  @FunctionalInterface
  interface Factory {
    /** A started pool over the lab built from {@code lab}. */
    WirePool start(WireLab.Builder lab);
  }
}
