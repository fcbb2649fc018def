package org.mozpool.bmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.commons.net.tftp.TFTP;
import org.apache.commons.net.tftp.TFTPClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code mozpool.tftp.transfers}: every read request counted once, under its outcome. */
@Timeout(60)
class TftpMetersTest {
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  @TempDir Path temp;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private TftpServer server;

  @AfterEach
  void tearDown() {
    if (server != null) {
      server.close();
    }
  }

  private TftpServer start(java.util.function.UnaryOperator<TftpServer.Builder> settings)
      throws IOException {
    Path root = Files.createDirectories(temp.resolve("root"));
    Files.write(root.resolve("kernel"), new byte[3000]);
    Files.writeString(temp.resolve("secret"), "not for boards");
    server = settings.apply(TftpServer.builder(root).port(0).meterRegistry(registry)).build()
        .start();
    return server;
  }

  private byte[] fetch(String name) throws IOException {
    TFTPClient client = new TFTPClient();
    client.setDefaultTimeout(Duration.ofSeconds(2));
    client.open(0, LOOPBACK);
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      client.receiveFile(name, TFTP.BINARY_MODE, out, LOOPBACK, server.port());
      return out.toByteArray();
    } finally {
      client.close();
    }
  }

  private long count(String outcome) {
    Timer t = registry.find("mozpool.tftp.transfers").tag("outcome", outcome).timer();
    return t == null ? 0 : t.count();
  }

  private long total() {
    return Search.in(registry).name("mozpool.tftp.transfers").timers().stream()
        .mapToLong(Timer::count).sum();
  }

  /** Sends a read request and reads the first answer, never acknowledging it. */
  private static DatagramSocket silentRequest(int port, String name) throws IOException {
    DatagramSocket socket = new DatagramSocket(0, LOOPBACK);
    socket.setSoTimeout(3000);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.write(1);
    for (String s : new String[] {name, "octet"}) {
      out.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
      out.write(0);
    }
    byte[] b = out.toByteArray();
    socket.send(new DatagramPacket(b, b.length, LOOPBACK, port));
    socket.receive(new DatagramPacket(new byte[1024], 1024));
    return socket;
  }

  @Test
  void sentMissingAndRefusedRequestsAreCountedUnderTheirOutcomes() throws IOException {
    start(b -> b);

    assertThat(fetch("kernel")).hasSize(3000);
    assertThat(fetch("kernel")).hasSize(3000);
    assertThatThrownBy(() -> fetch("no-such-file")).hasMessageContaining("Error code 1");
    assertThatThrownBy(() -> fetch("../secret")).hasMessageContaining("Error code 2");

    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(total()).isEqualTo(4));
    assertThat(count("sent")).isEqualTo(2);
    assertThat(count("not_found")).isEqualTo(1);
    assertThat(count("refused")).isEqualTo(1);
    assertThat(count("error")).isZero();
  }

  @Test
  void aClientThatStopsAnsweringIsAbandonedAndOneRefusedMeanwhileIsBusy() throws IOException {
    start(b -> b.maxTransfers(1).timeout(Duration.ofMillis(50)).maxRetries(2));

    try (DatagramSocket silent = silentRequest(server.port(), "kernel")) {
      assertThatThrownBy(() -> fetch("kernel")).hasMessageContaining("Error code 0");

      await().atMost(Duration.ofSeconds(5))
          .untilAsserted(() -> assertThat(count("abandoned")).isEqualTo(1));
    }
    assertThat(count("busy")).isEqualTo(1);
    assertThat(count("sent")).isZero();
    assertThat(total()).isEqualTo(2);
  }
}
