package org.mozpool.server.callback;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.DeviceView;
import org.mozpool.Lease;
import org.mozpool.LogEntry;
import org.mozpool.PoolPolicy;
import org.mozpool.RequestSpec;
import org.mozpool.bmm.ProxrPowerControl;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.lifeguard.LifeguardPolicy;
import org.mozpool.server.ConfigLoader;
import org.mozpool.server.MozpoolServer;
import org.mozpool.server.ServerConfig;
import org.mozpool.testkit.sim.DeviceTimings;
import org.mozpool.testkit.sim.WireLab;

/**
 * Wire mode through the server: a {@link MozpoolServer} over a {@link WireLab} on loopback, in
 * real time with every timeout compressed 25× (about 20 s: a self-test, then an imaging). The
 * simulated panda follows its ProXR relay, fetches its PXE config from the server's TFTP server,
 * and posts its live-image events with its token to the callback URL written into that config
 * ({@code %IPADDRESS%} = the server's host:port): the server's own HTTP port, where the callback
 * routes take them to Lifeguard.
 */
@Timeout(60)
class WireLabCallbackTest {

  private static final double COMPRESSION = 25;

  @TempDir
  Path dir;

  @Test
  void aDeviceIsImagedToReadyThroughTheServersCallbackRoutes() throws Exception {
    int pingPort = freePort();
    int agentPort = freePort();
    ServerConfig config = ConfigLoader.parse("wire.yaml", """
        instance: wire
        api: {listen: "127.0.0.1:0"}
        tftp: {root: tftp, port: 0}
        auth: {mode: tokens}
        probe: {ping: "tcp:%d", agent_port: %d, timeout_seconds: 1}
        """.formatted(pingPort, agentPort));
    ProxrPowerControl relays = ProxrPowerControl.builder().cycleDelay(Duration.ofMillis(200))
        .coolDown(Duration.ofMillis(100)).connectTimeout(Duration.ofSeconds(1))
        .ioTimeout(Duration.ofSeconds(1)).build();
    try (MozpoolServer server = MozpoolServer.builder(config).configDirectory(dir)
            .store(new InMemoryPoolStore())
            .lifeguardPolicy(compressed(LifeguardPolicy.defaults()))
            .poolPolicy(compressed(PoolPolicy.defaults()))
            .powerControl(relays).start();
        WireLab lab = WireLab.builder().devices(1).pingPort(pingPort).agentPort(agentPort)
            .timings(DeviceTimings.pandas().compressed(COMPRESSION))
            .tftp(server.tftp().address(), server.tftp().port()).build()) {
      lab.registerInventory(server.pool().inventory());

      Lease lease = server.pool().request(RequestSpec.any().image("b2g")
          .bootConfig("b2gbase", "http://builds.lab/b2g/nightly-7").build());
      DeviceView device = lease.awaitReady(Duration.ofSeconds(45));

      assertThat(device.image()).isEqualTo("b2g");
      assertThat(lab.device(device.name()).sdImage()).get()
          .satisfies(i -> assertThat(i.bootConfig())
              .containsEntry("b2gbase", "http://builds.lab/b2g/nightly-7"));
      // what the device posted went through the callback routes, which log it as "device"
      assertThat(server.pool().inventory().deviceLog(device.name()))
          .filteredOn(e -> e.source().equals("device")).extracting(LogEntry::message)
          .anySatisfy(m -> assertThat(m).isEqualTo("boot config fetched"))
          .anySatisfy(m -> assertThat(m).startsWith("event mobile_init_started"))
          .anySatisfy(m -> assertThat(m).startsWith("event image_downloading"))
          .anySatisfy(m -> assertThat(m).startsWith("event image_rebooting"))
          .noneSatisfy(m -> assertThat(m).contains("refused"));
      assertThat(server.uri().getPort()).isEqualTo(server.port());
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static LifeguardPolicy compressed(LifeguardPolicy policy) {
    LifeguardPolicy p = policy;
    for (Map.Entry<String, Duration> t : policy.timeouts().entrySet()) {
      p = p.withTimeout(t.getKey(), divide(t.getValue()));
    }
    return p;
  }

  private static PoolPolicy compressed(PoolPolicy d) {
    return new PoolPolicy(divide(d.contactTimeout()), d.contactTries(),
        divide(d.pendingPoll()), d.pendingPolls(), divide(d.queueRecheck()),
        d.badImageDevices(), d.logRetention());
  }

  private static Duration divide(Duration d) {
    return Duration.ofMillis(Math.round(d.toMillis() / COMPRESSION));
  }
}
