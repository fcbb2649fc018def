package org.mozpool.server;

import io.javalin.Javalin;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.mozpool.Mozpool;
import org.mozpool.Pool;
import org.mozpool.PoolPolicy;
import org.mozpool.bmm.NetworkDeviceProbe;
import org.mozpool.bmm.ProxrPowerControl;
import org.mozpool.bmm.PxeBootControl;
import org.mozpool.bmm.TftpServer;
import org.mozpool.core.SystemTimekeeper;
import org.mozpool.jdbc.JdbcPoolStore;
import org.mozpool.lifeguard.LifeguardPolicy;
import org.mozpool.lifeguard.StandardLifeguard;
import org.mozpool.server.internal.ApiAuth;
import org.mozpool.server.internal.HealthChecks;
import org.mozpool.server.internal.HttpServer;
import org.mozpool.server.internal.InventorySync;
import org.mozpool.server.internal.ServerContext;
import org.mozpool.spi.PoolStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Mozpool service: the pool over its database, the lab's hardware drivers (ProXR
 * relays, PXE configs served by the TFTP server, network probes), and one HTTP server for the
 * REST API and the device callbacks. Start one from a config file with {@code mozpool server
 * --config lab.yaml}, or from Java:
 *
 * <pre>{@code
 * try (MozpoolServer server = MozpoolServer.builder(ConfigLoader.load(Path.of("lab.yaml")))
 *     .start()) {
 *   server.awaitStop();
 * }
 * }</pre>
 *
 * <p>Starting syncs the config's inventory into the database (new devices and images registered,
 * changed ones updated, devices no longer listed retired) and resumes every device and request
 * where the database left them. {@link #close()} stops everything it started.
 *
 * <p>Every part publishes its meters (listed in {@code METRICS.md}) to one Prometheus registry,
 * served at {@code GET /metrics}; {@code GET /healthz} answers 200 or 503 for a load balancer or
 * systemd (see {@code API.md}).
 */
public final class MozpoolServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(MozpoolServer.class);

  private final ServerContext context;
  private final HttpServer http;
  private final NetworkDeviceProbe probe;
  private final Runnable extraClose;
  private final SystemTimekeeper timekeeper;
  private final java.util.concurrent.atomic.AtomicBoolean closed =
      new java.util.concurrent.atomic.AtomicBoolean();

  private MozpoolServer(ServerContext context, HttpServer http, NetworkDeviceProbe probe,
      SystemTimekeeper timekeeper, Runnable extraClose) {
    this.timekeeper = timekeeper;
    this.context = context;
    this.http = http;
    this.probe = probe;
    this.extraClose = extraClose;
  }

  /** Starts describing a server running {@code config}. */
  public static Builder builder(ServerConfig config) {
    return new Builder(config);
  }

  /** The base URL of the HTTP server (the config's public URL, or the listen address). */
  public URI uri() {
    return context.publicUrl();
  }

  /** The port the HTTP server listens on. */
  public int port() {
    return http.port();
  }

  /** The running pool, for embedding the server in a test or a larger program. */
  public Pool pool() {
    return context.pool();
  }

  /** The TFTP server. */
  public TftpServer tftp() {
    return context.tftp();
  }

  /** The config the server runs. */
  public ServerConfig config() {
    return context.config();
  }

  /** The registry every part of the server publishes to, scraped at {@code /metrics}. */
  public MeterRegistry meterRegistry() {
    return context.meters();
  }

  /** Blocks until the server is closed (from another thread or a shutdown hook). */
  public void awaitStop() throws InterruptedException {
    http.awaitStop();
  }

  /** Stops the HTTP server, the pool and every driver; idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    http.close();
    context.health().close();
    context.pool().close();
    timekeeper.close();
    context.power().close();
    probe.close();
    context.tftp().close();
    context.store().close();
    context.meters().close();
    extraClose.run();
    LOG.info("Mozpool server {} stopped", context.config().instance());
  }

  /** Options of a server beyond its config, for tests and the demo lab; not thread safe. */
  public static final class Builder {
    private final ServerConfig config;
    private Path configDirectory = Path.of(".");
    private Map<String, String> environment = System.getenv();
    private LifeguardPolicy lifeguardPolicy = LifeguardPolicy.defaults();
    private PoolPolicy poolPolicy = PoolPolicy.defaults();
    private ProxrPowerControl power;
    private PoolStore store;
    private NetworkDeviceProbe probe;
    private java.util.function.UnaryOperator<TftpServer.Builder> tftpSettings =
        java.util.function.UnaryOperator.identity();
    private Runnable onClose = () -> { };
    private PrometheusMeterRegistry meters;
    private Duration healthDatabaseDeadline = Duration.ofSeconds(2);
    private Duration healthEngineLagLimit = Duration.ofSeconds(5);

    private Builder(ServerConfig config) {
      this.config = Objects.requireNonNull(config, "config");
    }

    /** The directory relative paths in the config are resolved against (the config file's). */
    public Builder configDirectory(Path directory) {
      this.configDirectory = Objects.requireNonNull(directory, "directory");
      return this;
    }

    /** Where the secrets named by {@code *_env} keys are read; the process environment by default. */
    public Builder environment(Map<String, String> environment) {
      this.environment = Map.copyOf(environment);
      return this;
    }

    /**
     * Lifeguard's timeouts and retry limits; {@link LifeguardPolicy#defaults()} by default. A
     * hardware type's own {@code lifeguard} settings in the config apply over it for that type's
     * devices.
     */
    public Builder lifeguardPolicy(LifeguardPolicy policy) {
      this.lifeguardPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** The pool's timeouts; {@link PoolPolicy#defaults()} by default. */
    public Builder poolPolicy(PoolPolicy policy) {
      this.poolPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** The relay driver; {@link ProxrPowerControl#create()} by default. Closed with the server. */
    public Builder powerControl(ProxrPowerControl power) {
      this.power = Objects.requireNonNull(power, "power");
      return this;
    }

    /** A store to use instead of the config's database. Closed with the server. */
    public Builder store(PoolStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /** The device probe; one built from the config's {@code probe} section by default. Closed with the server. */
    public Builder deviceProbe(NetworkDeviceProbe probe) {
      this.probe = Objects.requireNonNull(probe, "probe");
      return this;
    }

    /**
     * Adjusts the TFTP server beyond the config's root, address and port (transfer limits,
     * timeouts), e.g. for a simulated lab whose boards all fetch from one loopback address.
     */
    public Builder tftpSettings(java.util.function.UnaryOperator<TftpServer.Builder> settings) {
      this.tftpSettings = Objects.requireNonNull(settings, "settings");
      return this;
    }

    /**
     * The registry to publish to and serve at {@code /metrics}; a new one by default. Closed with
     * the server.
     */
    public Builder meterRegistry(PrometheusMeterRegistry registry) {
      this.meters = Objects.requireNonNull(registry, "registry");
      return this;
    }

    /**
     * Limits of {@code /healthz}: how long the database probe may take (default 2 s), and how late
     * the engine's timers may run (default 5 s).
     *
     * @throws IllegalArgumentException unless both are positive
     */
    public Builder healthLimits(Duration databaseDeadline, Duration engineLagLimit) {
      for (Duration d : new Duration[] {databaseDeadline, engineLagLimit}) {
        if (d == null || d.isNegative() || d.isZero()) {
          throw new IllegalArgumentException("health limits must be positive, got " + d);
        }
      }
      this.healthDatabaseDeadline = databaseDeadline;
      this.healthEngineLagLimit = engineLagLimit;
      return this;
    }

    /** Something to close after the server (a demo lab). */
    public Builder onClose(Runnable onClose) {
      this.onClose = Objects.requireNonNull(onClose, "onClose");
      return this;
    }

    /**
     * Starts the server: listens, opens the database, syncs the inventory, starts the pool.
     *
     * @throws ConfigException when the config cannot be used (every problem listed)
     */
    public MozpoolServer start() {
      // every problem of the config before anything listens or opens the database
      ConfigLoader.check(config, configDirectory);
      ApiAuth auth = ApiAuth.from(config.auth(), environment, configDirectory);
      if (auth.open()) {
        LOG.warn("auth: open — the API accepts every call without a token; never run a lab"
            + " network like this");
      }
      // what has been started, closed in reverse order if a later step fails
      Deque<AutoCloseable> started = new ArrayDeque<>();
      try {
        PrometheusMeterRegistry registry = meters != null ? meters
            : new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        started.push(registry::close);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        AtomicReference<ServerContext> context = new AtomicReference<>();
        HttpServer http = HttpServer.start(config.api(), context::get);
        started.push(http);
        URI publicUrl = publicUrl(config.api(), http.port());
        PoolStore db = store != null ? store : openStore(config.database(), environment,
            configDirectory, registry);
        started.push(db);
        Path tftpRoot = configDirectory.resolve(config.tftp().root());
        try {
          java.nio.file.Files.createDirectories(tftpRoot);
        } catch (java.io.IOException e) {
          throw new ConfigException(java.util.List.of("tftp.root: cannot create " + tftpRoot
              + ": " + e.getMessage()));
        }
        TftpServer tftp = tftpSettings.apply(TftpServer.builder(tftpRoot)
            .bindAddress(address(config.tftp().bind())).port(config.tftp().port())
            .meterRegistry(registry))
            .build().start();
        started.push(tftp);
        // With other instances on the database, nothing reaches a relay board unless this
        // instance's heartbeat is current (its fence): a paused instance is silent on the wire.
        AtomicReference<Pool> fenced = new AtomicReference<>();
        ProxrPowerControl relays = power != null ? power
            : ProxrPowerControl.builder().meterRegistry(registry)
                .interlock(() -> mayAct(fenced.get())).build();
        started.push(relays);
        NetworkDeviceProbe probe = this.probe != null ? this.probe : probe(config.probe());
        started.push(probe);
        PxeBootControl boot = new PxeBootControl(tftpRoot, publicUrl.getAuthority());
        SystemTimekeeper timekeeper = new SystemTimekeeper();
        started.push(timekeeper);
        Mozpool.Builder poolBuilder = Mozpool.builder()
            .timekeeper(timekeeper).meterRegistry(registry)
            .lifeguard(StandardLifeguard.factory(config.lifeguardPolicies(lifeguardPolicy)))
            .store(db).powerControl(relays).bootControl(boot).deviceProbe(probe)
            .policy(poolPolicy).serverId(config.instance());
        if (config.cluster() != null) {
          poolBuilder.instancePolicy(config.cluster().policy(publicUrl.toString()));
        }
        Pool pool = poolBuilder.build();
        fenced.set(pool);
        started.push(pool);
        InventorySync.apply(config, configDirectory, pool.inventory(), pool.lifeguard());
        HealthChecks health = new HealthChecks(db, timekeeper, tftp::isServing, registry,
            healthDatabaseDeadline, healthEngineLagLimit);
        if (config.cluster() != null) {
          health.instance(() -> mayAct(pool));
        }
        started.push(health);
        ServerContext ctx = new ServerContext(config, publicUrl, db, pool, relays, boot, tftp,
            auth, registry, health);
        context.set(ctx);
        LOG.info("Mozpool server {} serving {} ({} devices)", config.instance(), publicUrl,
            pool.inventory().devices().size());
        return new MozpoolServer(ctx, http, probe, timekeeper, onClose);
      } catch (RuntimeException e) {
        while (!started.isEmpty()) {
          try {
            started.pop().close();
          } catch (Exception closing) {
            e.addSuppressed(closing);
          }
        }
        throw e;
      }
    }


    /**
     * Whether {@code pool} may send hardware commands now. While it is being built (null) its own
     * engine, which checks the same fence before starting any operation, is the only caller.
     */
    private static boolean mayAct(Pool pool) {
      return !(pool instanceof org.mozpool.core.internal.StandardPool p) || p.fence().mayAct();
    }

    private static URI publicUrl(ServerConfig.Api api, int port) {
      if (!api.publicUrl().isBlank()) {
        return URI.create(api.publicUrl().replaceAll("/+$", ""));
      }
      String host = HttpServer.host(api.listen());
      if (host.equals("0.0.0.0") || host.equals("::")) {
        host = "127.0.0.1";
      }
      return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port);
    }

    private static PoolStore openStore(ServerConfig.Database database, Map<String, String> env,
        Path base, MeterRegistry registry) {
      String url = database.url();
      JdbcPoolStore.Options options = JdbcPoolStore.Options.builder().meterRegistry(registry)
          .build();
      if (url.startsWith("h2:")) {
        return JdbcPoolStore.h2(base.resolve(url.substring("h2:".length())), options);
      }
      String user = database.userEnv() == null ? null : env.get(database.userEnv());
      String password = database.passwordEnv() == null ? null : env.get(database.passwordEnv());
      if (database.passwordFile() != null && !database.passwordFile().isBlank()) {
        try {
          password = java.nio.file.Files.readAllLines(base.resolve(database.passwordFile()))
              .stream().findFirst().orElse("").strip();
        } catch (java.io.IOException e) {
          throw new ConfigException(java.util.List.of("database.password_file: cannot read "
              + database.passwordFile() + ": " + e.getMessage()));
        }
      }
      return JdbcPoolStore.forUrl(url, user, password, options);
    }

    private static NetworkDeviceProbe probe(ServerConfig.Probe probe) {
      NetworkDeviceProbe.Builder b = NetworkDeviceProbe.builder()
          .agentPort(probe.agentPort())
          .pingTimeout(Duration.ofSeconds(probe.timeoutSeconds()));
      if (probe.ping().startsWith("tcp:")) {
        b.tcpConnectPing(Integer.parseInt(probe.ping().substring("tcp:".length())));
      } else {
        b.icmpPing();
      }
      return b.build();
    }

    private static InetAddress address(String host) {
      try {
        return InetAddress.getByName(host);
      } catch (UnknownHostException e) {
        throw new ConfigException(java.util.List.of("tftp.bind: unknown address " + host));
      }
    }
  }
}
