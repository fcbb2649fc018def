package org.mozpool.examples.several;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.mozpool.DeviceSpec;
import org.mozpool.DeviceStates;
import org.mozpool.DeviceView;
import org.mozpool.InstancePolicy;
import org.mozpool.Lease;
import org.mozpool.Mozpool;
import org.mozpool.Pool;
import org.mozpool.PoolPolicy;
import org.mozpool.RequestFailedException;
import org.mozpool.RequestSpec;
import org.mozpool.bmm.LabHardware;
import org.mozpool.bmm.NetworkDeviceProbe;
import org.mozpool.bmm.ProxrPowerControl;
import org.mozpool.core.DeviceSelectors;
import org.mozpool.core.SystemTimekeeper;
import org.mozpool.jdbc.JdbcPoolStore;
import org.mozpool.lifeguard.LifeguardPolicy;
import org.mozpool.lifeguard.StandardLifeguard;
import org.mozpool.testkit.sim.LabInventory;

/**
 * One instance of {@link SeveralInstancesTest}, in a JVM of its own: a pool on a shared
 * PostgreSQL database with an {@link InstancePolicy}, over {@code mozpool-bmm}'s real lab hardware
 * (ProXR relay driver bound to this instance's own source address, PXE configs written into the
 * lab's shared TFTP root, the device callback endpoint, TCP/agent probes) against the harness's
 * wire lab, and a workload of its own: client threads filing {@code any} requests through this
 * instance's Pool API, waiting for ready, holding briefly and returning.
 *
 * <p>Arguments, {@code key=value}: {@code url}, {@code id}, {@code net}, {@code standby} (comma
 * separated, may be empty), {@code source} (source address for relay boards), {@code tftp} (the
 * shared TFTP root), {@code ping}, {@code agent} (the boards' probe ports), {@code devices} (a file
 * of devices to register, or {@code -}), {@code register-images} ({@code true} for the first
 * instance), {@code records} (output file), {@code go} and {@code stop} (files whose appearance
 * starts and ends the workload), {@code clients}, {@code compression}, {@code seed}.
 *
 * <p>Record lines (tab separated, wall-clock milliseconds): {@code up <id>}; {@code filed <R> <t>};
 * {@code ready <R> <device> <readyAt> <expiresAt> <returningAt>}; {@code failed <R> <state>
 * <reason>}; {@code error <R> <exception>}; {@code done <id>}.
 */
public final class InstanceProcess {
  /** The image asked for: reusable, so a device carrying it is only power-cycled. */
  static final String IMAGE = "b2g";

  private InstanceProcess() {}

  public static void main(String[] args) throws Exception {
    java.util.Map<String, String> a = new java.util.HashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      a.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    String id = a.get("id");
    Path records = Path.of(a.get("records"));
    double compression = Double.parseDouble(a.get("compression"));
    Set<String> standby = new TreeSet<>();
    for (String s : a.get("standby").split(",")) {
      if (!s.isBlank()) {
        standby.add(s.trim());
      }
    }
    Recorder out = new Recorder(records);

    JdbcPoolStore store = JdbcPoolStore.forUrl(a.get("url"), "postgres", "",
        JdbcPoolStore.Options.builder().poolSize(6).build());
    store.start();
    SystemTimekeeper time = new SystemTimekeeper();
    InetAddress loopback = InetAddress.getLoopbackAddress();
    InstancePolicy policy = InstancePolicy.on(a.get("net")).withStandbyFor(standby)
        .withLiveness(Duration.ofMillis(250), Duration.ofSeconds(2))
        .withEventPoll(Duration.ofMillis(200));
    LabHardware hardware = LabHardware.builder(Path.of(a.get("tftp")))
        // this instance's own TFTP server is not used: the lab's boot server (run by the harness
        // over the shared root) outlives every instance
        .tftp(t -> t.bindAddress(loopback).port(0))
        .callbacks(c -> c.bind(new InetSocketAddress(loopback, 0))
            .eventTimeout(Duration.ofSeconds(5)).maxConnectionsPerPeer(64))
        .powerControl(ProxrPowerControl.builder().cycleDelay(Duration.ofMillis(100))
            .coolDown(Duration.ofMillis(30)).connectTimeout(Duration.ofSeconds(2))
            .ioTimeout(Duration.ofSeconds(2))
            .localAddress(InetAddress.getByName(a.get("source"))))
        .deviceProbe(NetworkDeviceProbe.builder().tcpConnectPing(Integer.parseInt(a.get("ping")))
            .agentPort(Integer.parseInt(a.get("agent"))).pingTimeout(Duration.ofSeconds(1))
            .commandTimeout(Duration.ofSeconds(2)))
        .pool(Mozpool.builder().serverId(id).instancePolicy(policy)
            .lifeguard(StandardLifeguard.factory(LifeguardPolicy.defaults()
                // pinging starts sooner (a panda boots in ~47 s uncompressed; pings are retried)
                .withTimeout(DeviceStates.PC_REBOOTING, Duration.ofSeconds(30))
                .compressed(compression)))
            .timekeeper(time).selector(DeviceSelectors.firstByName())
            .policy(PoolPolicy.defaults().compressed(compression)), store)
        .start();
    Pool pool = hardware.pool();
    if (Boolean.parseBoolean(a.get("register-images"))) {
      LabInventory.registerImages(pool.inventory());
    }
    if (!a.get("devices").equals("-")) {
      for (String line : Files.readAllLines(Path.of(a.get("devices")))) {
        if (!line.isBlank()) {
          pool.inventory().registerDevice(device(line));
        }
      }
    }
    out.line("up", id);

    Path go = Path.of(a.get("go"));
    Path stop = Path.of(a.get("stop"));
    while (!Files.exists(go)) {
      Thread.sleep(50);
    }
    int clients = Integer.parseInt(a.get("clients"));
    long seed = Long.parseLong(a.get("seed"));
    AtomicLong ids = new AtomicLong();
    AtomicBoolean stopping = new AtomicBoolean();
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      java.util.Random random = new java.util.Random(seed * 31 + id.hashCode() * 17L + c);
      Thread t = new Thread(() -> {
        while (!stopping.get()) {
          client(pool, out, random, compression);
        }
      }, "client-" + c);
      t.setDaemon(true);
      t.start();
      threads.add(t);
    }
    while (!Files.exists(stop)) {
      Thread.sleep(50);
    }
    stopping.set(true);
    for (Thread t : threads) {
      t.join(120_000);
    }
    out.line("done", id);
    // The instance stays up (driving its devices, answering the outbox) until the harness ends it.
    while (true) {
      Thread.sleep(1000);
    }
  }

  /** One request: filed, awaited, held briefly, returned; what happened is recorded. */
  private static void client(Pool pool, Recorder out, java.util.Random random,
      double compression) {
    String requestId = "?";
    try {
      Lease lease = pool.request(RequestSpec.any().image(IMAGE).bootConfig("b2gbase", "http://b2g")
          .leaseDuration(Duration.ofSeconds(10)).waitBudget(Duration.ofSeconds(10))
          .requester("several-instances").build());
      requestId = lease.id();
      out.line("filed", requestId, Long.toString(System.currentTimeMillis()));
      DeviceView device;
      try {
        device = lease.awaitReady(Duration.ofSeconds(60));
      } catch (RequestFailedException e) {
        out.line("failed", requestId, e.state(), e.reason());
        return;
      }
      long readyAt = System.currentTimeMillis();
      long expiresAt = lease.expiresAt().toEpochMilli();
      Thread.sleep(50 + random.nextInt(250));
      long returningAt = System.currentTimeMillis();
      // recorded before the return, so the recorded hold ends before the device is free
      out.line("ready", requestId, device.spec().name(), Long.toString(readyAt),
          Long.toString(expiresAt), Long.toString(returningAt));
      lease.returnDevice();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      out.line("error", requestId, e.toString().replace('\t', ' ').replace('\n', ' '));
      try {
        Thread.sleep(100);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** A device from a line {@code name fqdn mac hardwareType model chassis powerAddress}. */
  static DeviceSpec device(String line) {
    String[] f = line.split("\t");
    return DeviceSpec.builder(f[0]).fqdn(f[1]).mac(f[2]).hardwareType(f[3]).hardwareModel(f[4])
        .tag("chassis", f[5]).powerAddress(f[6]).build();
  }

  /** The line {@link #device} reads back. */
  static String line(DeviceSpec d) {
    return String.join("\t", d.name(), d.fqdn(), d.mac(), d.hardwareType(), d.hardwareModel(),
        d.tags().getOrDefault("chassis", ""), d.powerAddress());
  }

  /** Appends tab-separated lines, each flushed whole. */
  static final class Recorder {
    private final PrintWriter out;

    Recorder(Path file) throws IOException {
      this.out = new PrintWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND), false);
    }

    synchronized void line(String... fields) {
      out.println(String.join("\t", Arrays.asList(fields)));
      out.flush();
      if (out.checkError()) {
        throw new UncheckedIOException(new IOException("cannot write the records"));
      }
    }
  }
}
