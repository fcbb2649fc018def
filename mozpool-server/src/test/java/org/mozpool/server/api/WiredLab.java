package org.mozpool.server.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import org.mozpool.DeviceStates;
import org.mozpool.bmm.ProxrPowerControl;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.lifeguard.LifeguardPolicy;
import org.mozpool.testkit.relay.RelayBoardEmulator;

/**
 * A server over real emulated hardware on loopback: a ProXR relay-board emulator driven by the
 * real relay driver (short cool-down and cycle delay), and a TCP listener on 127.0.0.1 that the
 * server's {@code tcp:PORT} ping reaches, so that a device on the board answers once powered.
 * Lifeguard's reboot wait is cut to a fraction of a second: a power cycle takes about a second.
 * Devices {@code panda-1} and {@code panda-2} sit on bank 1, relays 1 and 2.
 */
final class WiredLab implements AutoCloseable {
  final RelayBoardEmulator board = RelayBoardEmulator.start();
  final InMemoryPoolStore store = new InMemoryPoolStore();
  final ApiLab api;
  private final ServerSocket pingTarget;
  private final Thread acceptor;

  WiredLab(Path dir) {
    try {
      pingTarget = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    acceptor = new Thread(() -> {
      while (!pingTarget.isClosed()) {
        try (Socket s = pingTarget.accept()) {
          // a connect is the whole ping
        } catch (IOException closed) {
          // stopped
        }
      }
    }, "ping-target");
    acceptor.setDaemon(true);
    acceptor.start();
    String yaml = ApiLab.header("wired") + """
        probe: {ping: "tcp:%d", timeout_seconds: 1}
        hardware_types: [{name: panda}]
        pxe_configs:
          - {name: b2g-panda, contents: "DEFAULT b2g"}
        images:
          - {name: b2g, boot_config_keys: [b2gbase], reusable: true, pxe_configs: {panda: b2g-panda}}
        relay_boards:
          - {name: relay-1, host: 127.0.0.1, port: %d}
          - {name: relay-dead, host: 127.0.0.1, port: 1}
        devices:
          - {name: panda-1, fqdn: 127.0.0.1, mac: "00:11:22:33:55:01", hardware: panda,
             environment: production, power: "%s"}
          - {name: panda-2, fqdn: 127.0.0.1, mac: "00:11:22:33:55:02", hardware: panda,
             environment: production, power: "%s"}
          - {name: panda-dark, fqdn: 127.0.0.2, mac: "00:11:22:33:55:03", hardware: panda,
             environment: staging}
        """.formatted(pingTarget.getLocalPort(), board.port(), board.powerAddress(1, 1),
        board.powerAddress(1, 2));
    LifeguardPolicy fast = LifeguardPolicy.defaults()
        .withTimeout(DeviceStates.PC_REBOOTING, Duration.ofMillis(200))
        .withTimeout(DeviceStates.PC_PINGING, Duration.ofSeconds(2));
    api = ApiLab.start(dir, yaml, b -> b.store(store).lifeguardPolicy(fast)
        .powerControl(ProxrPowerControl.builder().coolDown(Duration.ofMillis(20))
            .cycleDelay(Duration.ofMillis(50)).build()));
  }

  @Override
  public void close() {
    api.close();
    try {
      pingTarget.close();
    } catch (IOException e) {
      // closing
    }
    board.close();
  }
}
