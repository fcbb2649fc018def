package org.mozpool.bmm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.mozpool.Mozpool;
import org.mozpool.Pool;
import org.mozpool.core.internal.MachineEngine;
import org.mozpool.core.internal.StandardPool;
import org.mozpool.spi.PoolStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pool on real lab hardware, assembled in the one order that works: the device callback
 * endpoint listens first, so that its real address (port 0 allowed) is known; the {@link
 * PxeBootControl} names that address as {@code %IPADDRESS%}; the {@link TftpServer} serves the
 * PXE configs; the {@link ProxrPowerControl relay driver} and {@link NetworkDeviceProbe probes} are
 * made; the pool is built and started over them; only then does the endpoint route calls to the
 * pool. A board that calls back before that — a device resumed by a restarting pool, say — is
 * answered 503 and retries; no call ever meets a missing pool, and no port is reserved by opening
 * and closing a socket.
 *
 * <pre>{@code
 * try (LabHardware lab = LabHardware.builder(Path.of("/srv/tftp"))
 *     .tftp(t -> t.bindAddress(labFacing).port(69))
 *     .callbacks(c -> c.bind(new InetSocketAddress(labFacing, 8010)))
 *     .deviceProbe(NetworkDeviceProbe.builder().tcpConnectPing(22))
 *     .pool(Mozpool.builder().lifeguard(StandardLifeguard.factory()), JdbcPoolStore.h2Default())
 *     .start()) {
 *   Lease lease = lab.pool().request(RequestSpec.any().image("android").build());
 * }
 * }</pre>
 *
 * <p>The relay driver's {@linkplain ProxrPowerControl.Builder#interlock interlock} is the pool's
 * fence: every command to a relay board is written only while the pool {@linkplain
 * MachineEngine.Fence#mayAct may act on hardware} — with several instances on one database
 * (DESIGN §9), only while this instance's heartbeat is fresh, so an instance that was paused past
 * its acting window sends nothing to boards whose devices another instance may have adopted. While
 * the pool is being built (it resumes devices as it starts), its engine, which checks the same fence
 * before starting any operation, is the only caller, so the interlock lets that through; an
 * interlock given on {@link Builder#powerControl} must allow the command too.
 *
 * <p>{@link #close()} stops the endpoint routing (calls are answered 503 again) and then closes
 * the pool, the probes, the relay driver, the TFTP server and the endpoint, in that order (the
 * reverse of the start). A start that fails closes whatever it had started before throwing. The
 * store and the pool's timekeeper are the caller's: neither is closed here. The TFTP root is
 * created if missing and never deleted.
 *
 * <p>Thread safe.
 */
public final class LabHardware implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LabHardware.class);

  private final Pool pool;
  private final DeviceCallbackServer callbacks;
  private final URI callbackUri;
  private final InetSocketAddress tftpAddress;
  /** What was started, the last on top. */
  private final Deque<AutoCloseable> started;
  private boolean closed;

  private LabHardware(Pool pool, DeviceCallbackServer callbacks, URI callbackUri,
      InetSocketAddress tftpAddress, Deque<AutoCloseable> started) {
    this.pool = pool;
    this.callbacks = callbacks;
    this.callbackUri = callbackUri;
    this.tftpAddress = tftpAddress;
    this.started = started;
  }

  /**
   * Starts configuring the hardware side of a pool whose PXE configs go under {@code tftpRoot}
   * (created by {@link Builder#start()} if missing), served by the TFTP server.
   *
   * @throws NullPointerException if {@code tftpRoot} is null
   * @throws IllegalArgumentException if {@code tftpRoot} exists and is not a directory
   */
  public static Builder builder(Path tftpRoot) {
    return new Builder(tftpRoot);
  }

  /** The running pool. */
  public Pool pool() {
    return pool;
  }

  /**
   * The base URI the boards call back on, e.g. {@code http://10.0.0.1:8010/}: the {@linkplain
   * Builder#callbackHost callback host} and the port the endpoint really listens on. Its authority
   * is what the PXE configs get for {@code %IPADDRESS%}.
   */
  public URI callbackUri() {
    return callbackUri;
  }

  /** Where the TFTP server listens (with the actual port). */
  public InetSocketAddress tftpAddress() {
    return tftpAddress;
  }

  /**
   * Answers callbacks 503, then closes the pool, the probes, the relay driver, the TFTP server and
   * the callback endpoint. Idempotent.
   *
   * @throws RuntimeException the first failure to close a part, every other one suppressed in
   *     it, once every part has been tried
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    callbacks.unroute();
    RuntimeException failure = closeAll(started, null);
    if (failure != null) {
      throw failure;
    }
  }

  /** Closes every part, the last started first; returns the failure to throw, if any. */
  private static RuntimeException closeAll(Deque<AutoCloseable> parts, RuntimeException failure) {
    while (!parts.isEmpty()) {
      AutoCloseable part = parts.pop();
      try {
        part.close();
      } catch (Exception e) {
        if (failure == null) {
          failure = e instanceof RuntimeException r ? r
              : new IllegalStateException("cannot close " + part + ": " + e.getMessage(), e);
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    return failure;
  }

  /**
   * Configures a {@link LabHardware}. Each part keeps its own builder's defaults and checks; the
   * setters here apply and check them at once (an invalid setting throws from the setter, not
   * from {@link #start()}). Required: {@link #pool}. Not thread safe.
   */
  public static final class Builder {
    private final Path tftpRoot;
    private TftpServer.Builder tftp;
    private DeviceCallbackServer.Builder callbacks = DeviceCallbackServer.unrouted();
    private String callbackHost;
    private ProxrPowerControl.Builder power = ProxrPowerControl.builder();
    private NetworkDeviceProbe.Builder probe = NetworkDeviceProbe.builder();
    private Mozpool.Builder pool;
    private PoolStore store;

    private Builder(Path tftpRoot) {
      Objects.requireNonNull(tftpRoot, "tftpRoot");
      if (Files.exists(tftpRoot) && !Files.isDirectory(tftpRoot)) {
        throw new IllegalArgumentException("the TFTP root " + tftpRoot + " is not a directory");
      }
      this.tftpRoot = tftpRoot.toAbsolutePath().normalize();
      this.tftp = TftpServer.builder(this.tftpRoot);
    }

    /**
     * The TFTP server's settings, applied now to a builder for the TFTP root (default {@link
     * TftpServer.Builder}'s: 127.0.0.1, port 69; port 0 picks a free one, see {@link
     * LabHardware#tftpAddress()}).
     *
     * @throws NullPointerException if {@code settings} is null or returns null
     * @throws IllegalArgumentException what the TFTP builder's setters throw
     */
    public Builder tftp(UnaryOperator<TftpServer.Builder> settings) {
      this.tftp = Objects.requireNonNull(Objects.requireNonNull(settings, "settings")
          .apply(TftpServer.builder(tftpRoot)), "the TFTP settings returned null");
      return this;
    }

    /**
     * The callback endpoint's settings (where it listens, limits, event timeout), applied now to
     * a fresh builder (default {@link DeviceCallbackServer.Builder}'s: 127.0.0.1 on a free port).
     * Its clock is replaced by the pool's when the pool is up.
     *
     * @throws NullPointerException if {@code settings} is null or returns null
     * @throws IllegalArgumentException what the endpoint builder's setters throw
     */
    public Builder callbacks(UnaryOperator<DeviceCallbackServer.Builder> settings) {
      this.callbacks = Objects.requireNonNull(Objects.requireNonNull(settings, "settings")
          .apply(DeviceCallbackServer.unrouted()), "the callback settings returned null");
      return this;
    }

    /**
     * The host name or address the boards reach the callback endpoint at (default: the address
     * it listens on; required when that is a wildcard such as 0.0.0.0). The port is always the
     * one the endpoint really listens on.
     *
     * @throws NullPointerException if {@code host} is null
     * @throws IllegalArgumentException if {@code host} is blank or holds whitespace, '/', '@' or
     *     a port
     */
    public Builder callbackHost(String host) {
      Objects.requireNonNull(host, "host");
      boolean bracketed = host.startsWith("[") && host.endsWith("]");
      String bare = bracketed ? host.substring(1, host.length() - 1) : host;
      int colons = (int) bare.chars().filter(c -> c == ':').count();
      // a bracketed host is an IPv6 address; an unbracketed one with one colon is host:port
      if (bare.isBlank() || !bare.matches("[^\\s/@\\[\\]]+") || (bracketed && colons < 2)
          || colons == 1) {
        throw new IllegalArgumentException("callbackHost must be a host name or address without"
            + " a port, got '" + host + "'");
      }
      this.callbackHost = host;
      return this;
    }

    /**
     * The relay driver's settings (default {@link ProxrPowerControl#builder()}). Its interlock, if
     * any, is combined with the pool's fence when the driver is built (both must allow a command);
     * {@code power} itself is left as it was given.
     *
     * @throws NullPointerException if {@code power} is null
     */
    public Builder powerControl(ProxrPowerControl.Builder power) {
      this.power = Objects.requireNonNull(power, "power");
      return this;
    }

    /**
     * The probes' settings (default {@link NetworkDeviceProbe#builder()}).
     *
     * @throws NullPointerException if {@code probe} is null
     */
    public Builder deviceProbe(NetworkDeviceProbe.Builder probe) {
      this.probe = Objects.requireNonNull(probe, "probe");
      return this;
    }

    /**
     * The pool to build over the hardware (required): {@link #start()} sets {@code store} and the
     * three drivers on {@code pool}, replacing any set there, and builds it. The callback endpoint
     * reads the devices' tokens from {@code store}. The store is the caller's to close.
     *
     * @throws NullPointerException if either is null
     */
    public Builder pool(Mozpool.Builder pool, PoolStore store) {
      this.pool = Objects.requireNonNull(pool, "pool");
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /**
     * Starts everything, in order: the callback endpoint listens, the PXE boot control names its
     * address, the TFTP server serves, the relay driver and probes are made, the pool is built
     * and started, and the endpoint routes calls to it. If a step fails, what was started is
     * closed, in reverse order, before the failure is thrown.
     *
     * @throws IllegalStateException if no {@link #pool} was given, or the endpoint listens on a
     *     wildcard address and no {@link #callbackHost} was given (checked before anything is
     *     opened); or what {@link Mozpool.Builder#build()} throws for an incomplete pool
     * @throws UncheckedIOException if the TFTP root cannot be created or a port cannot be bound
     */
    public LabHardware start() {
      if (pool == null) {
        throw new IllegalStateException("no pool: call .pool(Mozpool.builder().lifeguard(...),"
            + " store)");
      }
      InetAddress bind = callbacks.bindAddress().getAddress();
      if (callbackHost == null && (bind == null || bind.isAnyLocalAddress())) {
        throw new IllegalStateException("the callback endpoint listens on a wildcard address ("
            + callbacks.bindAddress() + "): call .callbackHost(...) with the address the boards"
            + " reach it at");
      }
      try {
        Files.createDirectories(tftpRoot);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create the TFTP root " + tftpRoot + ": "
            + e.getMessage(), e);
      }
      Deque<AutoCloseable> started = new ArrayDeque<>();
      try {
        DeviceCallbackServer endpoint = callbacks.start();
        started.push(endpoint);
        URI callbackUri = callbackUri(endpoint.address());
        PxeBootControl boot = new PxeBootControl(tftpRoot, callbackUri.getAuthority());
        TftpServer tftpServer = tftp.build().start();
        started.push(tftpServer);
        // The fence of the pool, once it exists; before, only the starting pool's engine (which
        // checks that fence itself before each operation) calls the driver.
        AtomicReference<MachineEngine.Fence> fence = new AtomicReference<>();
        BooleanSupplier given = power.interlock();
        ProxrPowerControl relays;
        try {
          relays = power.interlock(() -> {
            MachineEngine.Fence f = fence.get();
            return (f == null || f.mayAct()) && given.getAsBoolean();
          }).build();
        } finally {
          power.interlock(given);
        }
        started.push(relays);
        NetworkDeviceProbe probes = probe.build();
        started.push(probes);
        Pool built = pool.store(store).powerControl(relays).bootControl(boot).deviceProbe(probes)
            .build();
        started.push(built);
        fence.set(built instanceof StandardPool standard ? standard.fence()
            : MachineEngine.Fence.NONE);
        endpoint.routeTo(store, built.lifeguard(), built.clock());
        InetSocketAddress tftpAddress = new InetSocketAddress(tftpServer.address(),
            tftpServer.port());
        LOG.info("lab hardware up: callbacks at {}, TFTP on {}:{} serving {}", callbackUri,
            tftpAddress.getAddress().getHostAddress(), tftpAddress.getPort(), tftpRoot);
        return new LabHardware(built, endpoint, callbackUri, tftpAddress, started);
      } catch (RuntimeException e) {
        throw closeAll(started, e);
      }
    }

    private URI callbackUri(InetSocketAddress listening) {
      String host = callbackHost;
      if (host == null) {
        InetAddress a = listening.getAddress();
        host = a instanceof Inet6Address ? "[" + a.getHostAddress() + "]" : a.getHostAddress();
      } else if (host.contains(":") && !host.startsWith("[")) {
        host = "[" + host + "]";
      }
      return URI.create("http://" + host + ":" + listening.getPort() + "/");
    }
  }
}
