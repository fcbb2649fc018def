package org.mozpool.examples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Objects;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.mozpool.Mozpool;
import org.mozpool.Pool;
import org.mozpool.PoolPolicy;
import org.mozpool.bmm.DeviceCallbackServer;
import org.mozpool.bmm.NetworkDeviceProbe;
import org.mozpool.bmm.ProxrPowerControl;
import org.mozpool.bmm.PxeBootControl;
import org.mozpool.bmm.TftpServer;
import org.mozpool.core.DeviceSelectors;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.core.SystemTimekeeper;
import org.mozpool.lifeguard.LifeguardPolicy;
import org.mozpool.lifeguard.StandardLifeguard;
import org.mozpool.spi.Timekeeper;
import org.mozpool.testkit.junit.WirePool;
import org.mozpool.testkit.sim.DeviceTimings;
import org.mozpool.testkit.sim.WireLab;

/**
 * A whole Mozpool over a {@link WireLab}, in real time on loopback: the real ProXR relay driver
 * against the relay-board emulators, the real PXE boot control and TFTP server, the real device
 * callback endpoint, and TCP/SUT-agent probes against the simulated boards. Every timeout of
 * Lifeguard and the pool, and every step of the boards, is divided by the same compression factor,
 * so that an imaging takes seconds instead of minutes.
 *
 * <pre>{@code
 * try (WireStack stack = WireStack.start(WireLab.builder().devices(4), 20)) {
 *   Lease lease = stack.pool().request(RequestSpec.any().image("android").build());
 *   lease.awaitReady(Duration.ofMinutes(1));
 * }
 * }</pre>
 *
 * <p>{@link #close()} stops the pool and every server, thread and emulator, and deletes the TFTP
 * root. It is a {@link WirePool}, so that the testkit's {@code MozpoolWireExtension} starts one
 * per test or per class: {@code MozpoolWireExtension.using(lab -> WireStack.start(lab, 20))}.
 */
public final class WireStack implements WirePool {
  private final Path tftpRoot;
  private final TftpServer tftp;
  private final WireLab lab;
  private final Timekeeper time;
  private final ProxrPowerControl power;
  private final NetworkDeviceProbe probe;
  private final Pool pool;
  private final DeviceCallbackServer callbacks;

  private WireStack(WireLab.Builder labBuilder, double compression,
      UnaryOperator<LifeguardPolicy> lifeguardTweaks) throws IOException {
    InetAddress loopback = InetAddress.getLoopbackAddress();
    tftpRoot = Files.createTempDirectory("mozpool-tftp-");
    // every simulated board fetches and calls back from 127.0.0.1, so the per-address bounds
    // that keep one host from starving the others are lifted to the overall ones here
    tftp = TftpServer.builder(tftpRoot).bindAddress(loopback).port(0)
        .timeout(Duration.ofMillis(500)).maxTransfersPerClient(64).build().start();
    int callbackPort;
    try (ServerSocket reserve = new ServerSocket(0, 1, loopback)) {
      callbackPort = reserve.getLocalPort();
    }
    PxeBootControl boot = new PxeBootControl(tftpRoot,
        loopback.getHostAddress() + ":" + callbackPort);
    lab = labBuilder.timings(DeviceTimings.pandas().compressed(compression))
        .tftp(tftp.address(), tftp.port()).build();
    time = new SystemTimekeeper();
    power = ProxrPowerControl.builder().cycleDelay(Duration.ofMillis(200))
        .coolDown(Duration.ofMillis(100)).connectTimeout(Duration.ofSeconds(1))
        .ioTimeout(Duration.ofSeconds(1)).build();
    probe = NetworkDeviceProbe.builder().tcpConnectPing(lab.pingPort())
        .agentPort(lab.agentPort()).pingTimeout(Duration.ofSeconds(1))
        .commandTimeout(Duration.ofSeconds(2)).build();
    InMemoryPoolStore store = new InMemoryPoolStore();
    pool = Mozpool.builder()
        .lifeguard(StandardLifeguard.factory(lifeguardTweaks.apply(
            LifeguardPolicy.defaults().compressed(compression))))
        .store(store).timekeeper(time).powerControl(power).bootControl(boot).deviceProbe(probe)
        .selector(DeviceSelectors.firstByName()).policy(PoolPolicy.defaults().compressed(compression))
        .build();
    callbacks = DeviceCallbackServer.builder(store, pool.lifeguard()).clock(pool.clock())
        .bind(new InetSocketAddress(loopback, callbackPort)).eventTimeout(Duration.ofSeconds(5))
        .maxConnectionsPerPeer(64).start();
    lab.registerInventory(pool.inventory());
  }

  /**
   * Starts the lab described by {@code lab} and a pool over it, with every timeout divided by
   * {@code compression} (at least 1).
   */
  public static WireStack start(WireLab.Builder lab, double compression) {
    return start(lab, compression, UnaryOperator.identity());
  }

  /** Like {@link #start(WireLab.Builder, double)}, adjusting the compressed Lifeguard policy. */
  public static WireStack start(WireLab.Builder lab, double compression,
      UnaryOperator<LifeguardPolicy> lifeguardTweaks) {
    Objects.requireNonNull(lab, "lab");
    if (!(compression >= 1)) {
      throw new IllegalArgumentException("compression must be at least 1, got " + compression);
    }
    try {
      return new WireStack(lab, compression, lifeguardTweaks);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the wire-mode stack", e);
    }
  }

  /** The running pool. */
  @Override
  public Pool pool() {
    return pool;
  }

  /** The simulated lab. */
  @Override
  public WireLab lab() {
    return lab;
  }

  /** The callback endpoint the boards post to. */
  public DeviceCallbackServer callbacks() {
    return callbacks;
  }

  /** The TFTP server the boards fetch their PXE configs from. */
  public TftpServer tftp() {
    return tftp;
  }

  @Override
  public void close() {
    try (Stream<Path> files = Files.walk(tftpRoot)) {
      pool.close();
      callbacks.close();
      lab.close();
      power.close();
      probe.close();
      tftp.close();
      time.close();
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
