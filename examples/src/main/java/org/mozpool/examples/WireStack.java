package org.mozpool.examples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
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
import org.mozpool.bmm.LabHardware;
import org.mozpool.bmm.NetworkDeviceProbe;
import org.mozpool.bmm.ProxrPowerControl;
import org.mozpool.core.DeviceSelectors;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.core.SystemTimekeeper;
import org.mozpool.lifeguard.LifeguardPolicy;
import org.mozpool.lifeguard.StandardLifeguard;
import org.mozpool.testkit.agent.SutAgentEmulator;
import org.mozpool.testkit.junit.WirePool;
import org.mozpool.testkit.sim.DeviceTimings;
import org.mozpool.testkit.sim.WireLab;

/**
 * A whole Mozpool over a {@link WireLab}, in real time on loopback: {@code mozpool-bmm}'s {@link
 * LabHardware} (the real ProXR relay driver against the relay-board emulators, the real PXE boot
 * control and TFTP server, the real device callback endpoint, TCP/SUT-agent probes against the
 * simulated boards) on ports the system picks, and the lab built once the TFTP server's port is
 * known. The boards' probe and agent ports are set here (the lab builder's are overridden), so
 * that the probes find them. Every timeout of Lifeguard and the pool, and every step of the
 * boards, is divided by the same compression factor, so that an imaging takes seconds instead of
 * minutes.
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
  /** The port the simulated boards accept TCP probes on, and the probes use. */
  private static final int PING_PORT = 20722;

  private final Path tftpRoot;
  private final SystemTimekeeper time;
  private final LabHardware hardware;
  private final WireLab lab;

  private WireStack(WireLab.Builder labBuilder, double compression,
      UnaryOperator<LifeguardPolicy> lifeguardTweaks) throws IOException {
    InetAddress loopback = InetAddress.getLoopbackAddress();
    tftpRoot = Files.createTempDirectory("mozpool-tftp-");
    time = new SystemTimekeeper();
    LabHardware started = null;
    try {
      // every simulated board fetches and calls back from 127.0.0.1, so the per-address bounds
      // that keep one host from starving the others are lifted to the overall ones here
      started = LabHardware.builder(tftpRoot)
          .tftp(t -> t.bindAddress(loopback).port(0).timeout(Duration.ofMillis(500))
              .maxTransfersPerClient(64))
          .callbacks(c -> c.bind(new InetSocketAddress(loopback, 0))
              .eventTimeout(Duration.ofSeconds(5)).maxConnectionsPerPeer(64))
          .powerControl(ProxrPowerControl.builder().cycleDelay(Duration.ofMillis(200))
              .coolDown(Duration.ofMillis(100)).connectTimeout(Duration.ofSeconds(1))
              .ioTimeout(Duration.ofSeconds(1)))
          .deviceProbe(NetworkDeviceProbe.builder().tcpConnectPing(PING_PORT)
              .agentPort(SutAgentEmulator.DEFAULT_PORT).pingTimeout(Duration.ofSeconds(1))
              .commandTimeout(Duration.ofSeconds(2)))
          .pool(Mozpool.builder()
              .lifeguard(StandardLifeguard.factory(lifeguardTweaks.apply(
                  LifeguardPolicy.defaults().compressed(compression))))
              .timekeeper(time).selector(DeviceSelectors.firstByName())
              .policy(PoolPolicy.defaults().compressed(compression)), new InMemoryPoolStore())
          .start();
      InetSocketAddress tftp = started.tftpAddress();
      lab = labBuilder.timings(DeviceTimings.pandas().compressed(compression))
          .tftp(tftp.getAddress(), tftp.getPort())
          .pingPort(PING_PORT).agentPort(SutAgentEmulator.DEFAULT_PORT).build();
      lab.registerInventory(started.pool().inventory());
    } catch (RuntimeException e) {
      if (started != null) {
        started.close();
      }
      time.close();
      deleteTree(tftpRoot);
      throw e;
    }
    hardware = started;
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
    Objects.requireNonNull(lifeguardTweaks, "lifeguardTweaks");
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
    return hardware.pool();
  }

  /** The simulated lab. */
  @Override
  public WireLab lab() {
    return lab;
  }

  /** The real hardware side: callback endpoint, TFTP server, drivers. */
  public LabHardware hardware() {
    return hardware;
  }

  @Override
  public void close() {
    try {
      hardware.close();
      lab.close();
    } finally {
      time.close();
      deleteTree(tftpRoot);
    }
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> files = Files.walk(root)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
