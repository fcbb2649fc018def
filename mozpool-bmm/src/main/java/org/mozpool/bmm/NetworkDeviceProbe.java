package org.mozpool.bmm;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.mozpool.MozpoolException;
import org.mozpool.spi.DeviceProbe;
import org.mozpool.spi.DeviceTarget;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes real devices over the network: {@link #ping} by ICMP or by TCP connect (see {@link
 * NetworkProbe}), {@link #verifyAgent} and {@link #checkStorage} through the device's SUT agent
 * ({@link SutAgentClient}). The device is found by resolving its {@linkplain DeviceTarget#fqdn()
 * fqdn}.
 *
 * <p>Each check runs on the probe's own bounded thread pool and completes within the caller's
 * deadline (ping additionally within the ping timeout, each agent command within the command
 * timeout). A failed check completes the stage exceptionally with a {@link MozpoolException}
 * saying what failed on which device; it is also logged. Thread safe. {@link #close()} stops the
 * pool's threads and is idempotent.
 */
public final class NetworkDeviceProbe implements DeviceProbe, AutoCloseable {

  /** How {@link #ping} asks whether a device answers. */
  public enum PingMethod {
    /** ICMP echo through {@link InetAddress#isReachable}. */
    ICMP,
    /** A TCP connect to the configured port. */
    TCP_CONNECT
  }

  private static final Logger LOG = LoggerFactory.getLogger(NetworkDeviceProbe.class);
  private static final int MAX_QUEUED = 10_000;

  private final PingMethod pingMethod;
  private final int tcpPort;
  private final int agentPort;
  private final Duration pingTimeout;
  private final Duration commandTimeout;
  private final ThreadPoolExecutor executor;
  private final DaemonThreads threads = DaemonThreads.numbered("device-probe");

  private NetworkDeviceProbe(Builder b) {
    this.pingMethod = b.pingMethod;
    this.tcpPort = b.tcpPort;
    this.agentPort = b.agentPort;
    this.pingTimeout = b.pingTimeout;
    this.commandTimeout = b.commandTimeout;
    this.executor = new ThreadPoolExecutor(b.maxConcurrentProbes, b.maxConcurrentProbes, 30,
        TimeUnit.SECONDS, new LinkedBlockingQueue<>(MAX_QUEUED), threads);
    executor.allowCoreThreadTimeOut(true);
  }

  /** Starts configuring a probe. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public CompletionStage<Void> ping(DeviceTarget device, Duration deadline) {
    return run(device, "ping", deadline, (address, left) -> {
      Duration timeout = min(pingTimeout, left);
      boolean answered = switch (pingMethod) {
        case ICMP -> NetworkProbe.icmpPing(address, timeout);
        case TCP_CONNECT -> NetworkProbe.tcpConnect(new InetSocketAddress(address, tcpPort), timeout);
      };
      if (!answered) {
        throw new IOException("no answer to " + (pingMethod == PingMethod.ICMP ? "ICMP echo"
            : "TCP connect on port " + tcpPort) + " within " + timeout);
      }
    });
  }

  @Override
  public CompletionStage<Void> verifyAgent(DeviceTarget device, Duration deadline) {
    return run(device, "agent verify", deadline, (address, left) -> {
      try (SutAgentClient agent = SutAgentClient.connect(
          new InetSocketAddress(address, agentPort), commandTimeout, left)) {
        agent.verify();
      }
    });
  }

  @Override
  public CompletionStage<Void> checkStorage(DeviceTarget device, Duration deadline) {
    return run(device, "storage check", deadline, (address, left) -> {
      try (SutAgentClient agent = SutAgentClient.connect(
          new InetSocketAddress(address, agentPort), commandTimeout, left)) {
        agent.checkStorage();
      }
    });
  }

  private interface Check {
    void run(InetAddress address, Duration timeLeft) throws IOException;
  }

  private CompletionStage<Void> run(DeviceTarget device, String what, Duration deadline,
      Check check) {
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(deadline, "deadline");
    if (deadline.isNegative() || deadline.isZero()) {
      return CompletableFuture.failedFuture(
          new IllegalArgumentException("deadline must be positive, got " + deadline));
    }
    long deadlineNanos = System.nanoTime() + deadline.toNanos();
    try {
      return CompletableFuture.runAsync(() -> {
        try {
          // time spent queued behind other probes counts: the caller's deadline is absolute
          long left = deadlineNanos - System.nanoTime();
          if (left <= 0) {
            throw new IOException("deadline of " + deadline + " passed before the probe started");
          }
          check.run(InetAddress.getByName(device.fqdn()), Duration.ofNanos(left));
          LOG.debug("device {}: {} ok", device.device(), what);
        } catch (UnknownHostException e) {
          throw failure(device, what, "cannot resolve " + device.fqdn(), e);
        } catch (IOException e) {
          throw failure(device, what, e.getMessage(), e);
        }
      }, executor);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(failure(device, what,
          executor.isShutdown() ? "probe is closed" : "too many probes queued", e));
    }
  }

  private static CompletionException failure(DeviceTarget device, String what, String reason,
      Throwable cause) {
    String message = "device " + device.device() + " (" + device.fqdn() + "): " + what
        + " failed: " + reason;
    LOG.info(message);
    return new CompletionException(new MozpoolException(message, cause));
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /**
   * Fails queued checks and stops the probe's threads, waiting (up to 5 s) for running checks to
   * end. Idempotent.
   */
  @Override
  public void close() {
    executor.shutdownNow();
    try {
      if (!executor.awaitTermination(5, TimeUnit.SECONDS) || !threads.joinAll(Duration.ofSeconds(5))) {
        LOG.warn("device probe: threads did not stop within 5 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Configures a {@link NetworkDeviceProbe}. Defaults: ICMP ping with a 10 s timeout, agent port
   * 20701, 15 s per agent command, at most 64 probes at once (more wait, within their deadline).
   * Setters validate eagerly and throw naming the setting and the value. Not thread safe.
   */
  public static final class Builder {
    private PingMethod pingMethod = PingMethod.ICMP;
    private int tcpPort = 22;
    private int agentPort = SutAgentClient.DEFAULT_PORT;
    private Duration pingTimeout = Duration.ofSeconds(10);
    private Duration commandTimeout = SutAgentClient.DEFAULT_COMMAND_TIMEOUT;
    private int maxConcurrentProbes = 64;

    private Builder() {}

    /** Pings by ICMP echo (the default). */
    public Builder icmpPing() {
      this.pingMethod = PingMethod.ICMP;
      return this;
    }

    /**
     * Pings by connecting to TCP {@code port} instead of ICMP (port 22 unless given).
     *
     * @throws IllegalArgumentException if {@code port} is outside 1..65535
     */
    public Builder tcpConnectPing(int port) {
      checkPort(port, "TCP ping port");
      this.pingMethod = PingMethod.TCP_CONNECT;
      this.tcpPort = port;
      return this;
    }

    /**
     * The port of the devices' SUT agent (default 20701).
     *
     * @throws IllegalArgumentException if {@code port} is outside 1..65535
     */
    public Builder agentPort(int port) {
      checkPort(port, "agent port");
      this.agentPort = port;
      return this;
    }

    /**
     * The longest a ping waits (default 10 s; the caller's deadline also bounds it).
     *
     * @throws NullPointerException if {@code timeout} is null
     * @throws IllegalArgumentException if it is zero or negative
     */
    public Builder pingTimeout(Duration timeout) {
      this.pingTimeout = positive(timeout, "ping timeout");
      return this;
    }

    /**
     * The longest one agent command may take (default 15 s; the caller's deadline also bounds
     * it).
     *
     * @throws NullPointerException if {@code timeout} is null
     * @throws IllegalArgumentException if it is zero or negative
     */
    public Builder commandTimeout(Duration timeout) {
      this.commandTimeout = positive(timeout, "command timeout");
      return this;
    }

    /**
     * The most checks that run at once; more wait their turn (default 64).
     *
     * @throws IllegalArgumentException if {@code max} is not positive
     */
    public Builder maxConcurrentProbes(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxConcurrentProbes must be positive, got " + max);
      }
      this.maxConcurrentProbes = max;
      return this;
    }

    /** Builds the probe. */
    public NetworkDeviceProbe build() {
      return new NetworkDeviceProbe(this);
    }

    private static void checkPort(int port, String what) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException(what + " must be 1..65535, got " + port);
      }
    }

    private static Duration positive(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive, got " + d);
      }
      return d;
    }
  }
}
