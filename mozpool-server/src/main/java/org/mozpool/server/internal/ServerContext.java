package org.mozpool.server.internal;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.time.Clock;
import java.util.Objects;
import org.mozpool.Pool;
import org.mozpool.bmm.ProxrPowerControl;
import org.mozpool.bmm.PxeBootControl;
import org.mozpool.bmm.TftpServer;
import org.mozpool.server.ServerConfig;
import org.mozpool.spi.PoolStore;

/**
 * Everything the routes of one server reach: the config, the pool and the hardware drivers under
 * it. Built once the HTTP server listens (the PXE configs need its address), so routes run only
 * after {@link ServerGate} has opened.
 *
 * @param config the config the server started with
 * @param publicUrl the base URL the live image and clients reach the server at
 * @param store the pool's store (device callback tokens live there)
 * @param pool the running pool
 * @param power the relay driver
 * @param boot the PXE boot control
 * @param tftp the TFTP server
 * @param auth the API tokens
 * @param meters the registry every part of the server publishes to, scraped at {@code /metrics}
 * @param health the checks of {@code /healthz}
 */
public record ServerContext(ServerConfig config, URI publicUrl, PoolStore store, Pool pool,
    ProxrPowerControl power, PxeBootControl boot, TftpServer tftp, ApiAuth auth,
    PrometheusMeterRegistry meters, HealthChecks health) {

  /** A context with a registry of its own and no health checks (for tests of other routes). */
  public ServerContext(ServerConfig config, URI publicUrl, PoolStore store, Pool pool,
      ProxrPowerControl power, PxeBootControl boot, TftpServer tftp, ApiAuth auth) {
    this(config, publicUrl, store, pool, power, boot, tftp, auth,
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), null);
  }

  public ServerContext {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(publicUrl, "publicUrl");
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(pool, "pool");
    Objects.requireNonNull(power, "power");
    Objects.requireNonNull(boot, "boot");
    Objects.requireNonNull(tftp, "tftp");
    Objects.requireNonNull(auth, "auth");
    Objects.requireNonNull(meters, "meters");
  }

  /** The pool's clock. */
  public Clock clock() {
    return pool.clock();
  }
}
