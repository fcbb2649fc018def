package org.mozpool.core;

import com.google.inject.Inject;
import com.google.inject.Injector;
import com.google.inject.ProvisionException;
import java.util.ArrayList;
import java.util.List;
import org.mozpool.Pool;
import org.mozpool.spi.LifeguardContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts and stops the pool of a Guice injector that installed {@link MozpoolModule}: the object
 * an application calls from its own start and shutdown hooks. One per injector (a singleton).
 *
 * <p>{@link #start()} provisions the pool, which starts it (the store first, then every device and
 * request resumes from it). {@link #close()} closes the pool, then the drivers, the store and the
 * timekeeper bound in the injector that are {@link AutoCloseable} — whether a module made them or
 * the application handed them over with {@code toInstance}: the injector owns what it was given.
 * Both are idempotent; a lifecycle once closed does not start again. Thread safe.
 */
public final class PoolLifecycle implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PoolLifecycle.class);

  private final Injector injector;
  private Pool pool;
  private boolean closed;

  @Inject
  PoolLifecycle(Injector injector) {
    this.injector = injector;
  }

  /**
   * Starts the pool, or returns it if it is already running.
   *
   * @return the running pool, the same instance as the injector's {@link Pool}
   * @throws IllegalStateException if this lifecycle was closed, or if the configuration is
   *     incomplete (the message names every missing part)
   * @throws org.mozpool.StoreException if the store cannot be started
   */
  public synchronized Pool start() {
    if (closed) {
      throw new IllegalStateException("this pool's lifecycle is closed; make a new injector");
    }
    if (pool == null) {
      try {
        pool = injector.getInstance(Pool.class);
      } catch (ProvisionException e) {
        throw unwrap(e);
      }
    }
    return pool;
  }

  /** Whether {@link #start()} has succeeded and {@link #close()} has not been called. */
  public synchronized boolean isRunning() {
    return pool != null && !closed;
  }

  /**
   * Closes the pool (if it was started), then the power control, boot control, device probe,
   * store and timekeeper, in that order. A part that fails to close is logged and the others are
   * still closed; the first failure is thrown at the end.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (pool == null) {
      return; // nothing was started: nothing of the injector's parts is ours to close
    }
    List<AutoCloseable> parts = new ArrayList<>();
    parts.add(pool);
    // exactly the parts this pool was made of, rather than new instances of unscoped bindings
    List<Object> made = pool instanceof LifeguardContext used
        ? List.of(used.powerControl(), used.bootControl(), used.deviceProbe(), used.store(),
            used.timekeeper())
        : List.of();
    for (Object part : made) {
      if (part instanceof AutoCloseable c && parts.stream().noneMatch(p -> p == c)) {
        parts.add(c);
      }
    }
    RuntimeException first = null;
    for (AutoCloseable part : parts) {
      try {
        part.close();
      } catch (Exception e) {
        LOG.warn("closing {} failed", part, e);
        if (first == null) {
          first = e instanceof RuntimeException r ? r
              : new IllegalStateException("closing " + part + " failed", e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  /** The cause a provider threw, rather than Guice's wrapper. */
  static RuntimeException unwrap(ProvisionException e) {
    Throwable cause = e.getCause();
    if (cause == null && e.getErrorMessages().size() == 1) {
      cause = e.getErrorMessages().iterator().next().getCause();
    }
    return cause instanceof RuntimeException r ? r : e;
  }
}
