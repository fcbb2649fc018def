package org.mozpool.bmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.commons.net.tftp.TFTP;
import org.apache.commons.net.tftp.TFTPClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class TftpServerTest {

  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  /** Another host on the loopback network (Linux answers all of 127.0.0.0/8). */
  private static final InetAddress OTHER_HOST = address("127.0.0.2");

  private static InetAddress address(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @TempDir Path temp;
  private Path root;
  private TftpServer server;

  @BeforeEach
  void setUp() throws IOException {
    root = Files.createDirectories(temp.resolve("tftproot"));
  }

  @AfterEach
  void tearDown() {
    if (server != null) {
      server.close();
    }
  }

  private TftpServer start(java.util.function.UnaryOperator<TftpServer.Builder> settings) {
    server = settings.apply(TftpServer.builder(root).port(0)).build().start();
    return server;
  }

  private TftpServer start() {
    return start(b -> b);
  }

  private static byte[] randomBytes(int size, long seed) {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    return data;
  }

  private byte[] fetch(String name, int mode) throws IOException {
    return fetchFrom(LOOPBACK, name, mode);
  }

  private byte[] fetchFrom(InetAddress clientAddress, String name, int mode) throws IOException {
    TFTPClient client = new TFTPClient();
    client.setDefaultTimeout(Duration.ofSeconds(2));
    client.open(0, clientAddress);
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      client.receiveFile(name, mode, out, LOOPBACK, server.port());
      return out.toByteArray();
    } finally {
      client.close();
    }
  }

  @Test
  void aOneMegabyteFileArrivesByteExactThroughCommonsNetsClient() throws IOException {
    byte[] data = randomBytes(1024 * 1024, 1);
    Files.write(root.resolve("live.img"), data);
    start();

    assertThat(fetch("live.img", TFTP.BINARY_MODE)).isEqualTo(data);
  }

  @Test
  void aFileOfAnExactMultipleOfTheBlockSizeEndsWithAnEmptyBlock() throws IOException {
    byte[] data = randomBytes(512 * 3, 2);
    Files.write(root.resolve("exact.bin"), data);
    start();

    assertThat(fetch("exact.bin", TFTP.BINARY_MODE)).isEqualTo(data);
  }

  @Test
  void filesInSubdirectoriesAreServed() throws IOException {
    Files.createDirectories(root.resolve("pxelinux.cfg"));
    Files.writeString(root.resolve("pxelinux.cfg/01-aa-bb-cc-dd-ee-ff"), "default live\n");
    start();

    assertThat(new String(fetch("pxelinux.cfg/01-aa-bb-cc-dd-ee-ff", TFTP.BINARY_MODE),
        StandardCharsets.US_ASCII)).isEqualTo("default live\n");
  }

  @Test
  void netasciiModeSendsCrLfLineEndsThatTheClientTurnsBackIntoLocalOnes() throws IOException {
    Files.writeString(root.resolve("boot.txt"), "line one\nline two\n");
    start();

    assertThat(new String(fetch("boot.txt", TFTP.NETASCII_MODE), StandardCharsets.US_ASCII))
        .isEqualTo("line one\nline two\n");
    assertThat(new RawClient().fetch("boot.txt", "netascii"))
        .isEqualTo("line one\r\nline two\r\n".getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void netasciiTranslationTurnsLfIntoCrLfAndABareCrIntoCrNul() throws IOException {
    byte[] in = "a\nb\rc".getBytes(StandardCharsets.US_ASCII);
    byte[] out = new NetasciiInputStream(new ByteArrayInputStream(in)).readAllBytes();
    assertThat(out).isEqualTo(new byte[] {'a', '\r', '\n', 'b', '\r', 0, 'c'});
  }

  @Test
  void aMissingFileIsAnsweredWithATftpErrorPacket() throws IOException {
    start();

    assertThatThrownBy(() -> fetch("no-such-file", TFTP.BINARY_MODE))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("Error code 1")
        .hasMessageContaining("file not found");
    assertThat(new RawClient().error("no-such-file")).isEqualTo(1);
  }

  @Test
  void pathsLeadingOutOfTheRootAreRefused() throws IOException {
    Files.writeString(temp.resolve("secret"), "not for boards");
    start();

    assertThatThrownBy(() -> fetch("../etc/passwd", TFTP.BINARY_MODE))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("Error code 2")
        .hasMessageContaining("outside the TFTP root");
    assertThatThrownBy(() -> fetch("../secret", TFTP.BINARY_MODE))
        .hasMessageContaining("Error code 2");
    assertThatThrownBy(() -> fetch("/etc/passwd", TFTP.BINARY_MODE))
        .hasMessageContaining("Error code 2");
    assertThatThrownBy(() -> fetch("a/../../secret", TFTP.BINARY_MODE))
        .hasMessageContaining("Error code 2");
  }

  @Test
  void symbolicLinksLeadingOutOfTheRootAreRefusedButLinksInsideAreFollowed() throws IOException {
    Files.writeString(temp.resolve("secret"), "not for boards");
    Files.createSymbolicLink(root.resolve("escape"), temp.resolve("secret"));
    Files.createSymbolicLink(root.resolve("outdir"), temp);
    Files.writeString(root.resolve("real.cfg"), "ok");
    Files.createSymbolicLink(root.resolve("alias.cfg"), root.resolve("real.cfg"));
    start();

    assertThatThrownBy(() -> fetch("escape", TFTP.BINARY_MODE)).hasMessageContaining("Error code 2");
    assertThatThrownBy(() -> fetch("outdir/secret", TFTP.BINARY_MODE))
        .hasMessageContaining("Error code 2");
    assertThat(fetch("alias.cfg", TFTP.BINARY_MODE)).isEqualTo("ok".getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void writeRequestsAreRefused() throws IOException {
    start();
    TFTPClient client = new TFTPClient();
    client.setDefaultTimeout(Duration.ofSeconds(2));
    client.open();
    try {
      assertThatThrownBy(() -> client.sendFile("upload.bin", TFTP.BINARY_MODE,
          new ByteArrayInputStream(new byte[100]), LOOPBACK, server.port()))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("read-only");
    } finally {
      client.close();
    }
    assertThat(root.resolve("upload.bin")).doesNotExist();
  }

  @Test
  void twentyConcurrentClientsAllReceiveTheirFilesByteExact() throws Exception {
    List<byte[]> files = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      byte[] data = randomBytes(64 * 1024 + i * 1000, 100 + i);
      Files.write(root.resolve("file-" + i), data);
      files.add(data);
    }
    start();
    ExecutorService clients = Executors.newFixedThreadPool(20);
    try {
      List<Future<byte[]>> results = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        String name = "file-" + i;
        InetAddress board = address("127.0.1." + (i + 1)); // each board has its own address
        results.add(clients.submit(() -> fetchFrom(board, name, TFTP.BINARY_MODE)));
      }
      for (int i = 0; i < 20; i++) {
        assertThat(results.get(i).get(30, TimeUnit.SECONDS)).isEqualTo(files.get(i));
      }
    } finally {
      clients.shutdownNow();
    }
  }

  @Test
  void theBlockSizeAndTransferSizeOptionsAreAcknowledgedAndHonoured() throws IOException {
    byte[] data = randomBytes(10_000, 3);
    Files.write(root.resolve("kernel"), data);
    start();
    RawClient client = new RawClient();

    byte[] received = client.fetch("kernel", "octet", "blksize", "1428", "tsize", "0");

    assertThat(received).isEqualTo(data);
    assertThat(client.oack).containsExactly("blksize", "1428", "tsize", "10000");
    assertThat(client.blockSizes).startsWith(1428, 1428).endsWith(10_000 % 1428);
  }

  @Test
  void aBlockSizeAboveTheServersLimitIsGrantedAtTheLimit() throws IOException {
    Files.write(root.resolve("kernel"), randomBytes(5000, 4));
    start(b -> b.maxBlockSize(1024));
    RawClient client = new RawClient();

    client.fetch("kernel", "octet", "blksize", "8192");

    assertThat(client.oack).containsExactly("blksize", "1024");
  }

  @Test
  void anUnacknowledgedBlockIsSentAgainAfterTheTimeout() throws IOException {
    byte[] data = randomBytes(2000, 5);
    Files.write(root.resolve("kernel"), data);
    start(b -> b.timeout(Duration.ofMillis(100)));
    RawClient client = new RawClient();
    client.dropFirstCopyOfBlock = 2;

    assertThat(client.fetch("kernel", "octet")).isEqualTo(data);
    assertThat(client.copies).containsEntry(1, 1).containsEntry(2, 2).containsEntry(3, 1);
  }

  @Test
  void aClientThatStopsAnsweringIsAbandonedAndFreesItsSlot() throws Exception {
    byte[] data = randomBytes(3000, 6);
    Files.write(root.resolve("kernel"), data);
    start(b -> b.maxTransfers(1).timeout(Duration.ofMillis(50)).maxRetries(2));
    RawClient silent = new RawClient();
    silent.sendRequest("kernel", "octet");
    assertThat(silent.receiveData()).isNotNull(); // block 1, never acknowledged

    // while the only slot is taken, another client is told the server is busy
    assertThat(new RawClient().error("kernel")).isEqualTo(0);
    Thread.sleep(400); // 3 sends x 50 ms, then the slot is free again
    assertThat(fetch("kernel", TFTP.BINARY_MODE)).isEqualTo(data);
    silent.socket.close();
  }

  @Test
  void closeStopsEveryThreadAndIsIdempotent() throws Exception {
    Files.write(root.resolve("kernel"), randomBytes(3000, 7));
    start(b -> b.timeout(Duration.ofSeconds(5)));
    int port = server.port();
    RawClient stalled = new RawClient();
    stalled.sendRequest("kernel", "octet");
    assertThat(stalled.receiveData()).isNotNull();

    long start = System.nanoTime();
    server.close();
    server.close();

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(t -> t.getName().startsWith("tftp-") && t.isAlive());
    // the port is free again
    new DatagramSocket(port, LOOPBACK).close();
    stalled.socket.close();
  }

  @Test
  void aFloodOfUnacknowledgedRequestsForTheLongestTimeoutFromOneHostDoesNotLockOutAnother()
      throws Exception {
    byte[] data = randomBytes(3000, 8);
    Files.write(root.resolve("kernel"), data);
    start(); // 64 transfers in all, 8 per client address
    List<RawClient> flood = new ArrayList<>();
    try {
      for (int i = 0; i < 70; i++) {
        RawClient silent = new RawClient();
        silent.sendRequest("kernel", "octet", "timeout", "255");
        flood.add(silent);
      }

      assertThat(fetchFrom(OTHER_HOST, "kernel", TFTP.BINARY_MODE)).isEqualTo(data);
      // the flooding host itself got only its share; the rest of its requests were refused
      assertThat(flood.subList(8, 70)).allSatisfy(c ->
          assertThat(c.receiveData().getData()[1]).as("opcode").isEqualTo((byte) 5));
    } finally {
      flood.forEach(c -> c.socket.close());
    }
  }

  @Test
  void aClientGetsAtMostItsShareOfTransfersAndAnotherHostIsStillServed() throws Exception {
    byte[] data = randomBytes(3000, 9);
    Files.write(root.resolve("kernel"), data);
    start(b -> b.maxTransfers(3).maxTransfersPerClient(2));
    RawClient first = new RawClient();
    RawClient second = new RawClient();
    first.sendRequest("kernel", "octet");
    second.sendRequest("kernel", "octet");
    assertThat(first.receiveData()).isNotNull();
    assertThat(second.receiveData()).isNotNull();

    RawClient third = new RawClient();
    third.sendRequest("kernel", "octet");
    DatagramPacket refusal = third.receiveData();
    assertThat(refusal.getData()[1]).as("opcode").isEqualTo((byte) 5);
    assertThat(new String(refusal.getData(), 4, refusal.getLength() - 5, StandardCharsets.US_ASCII))
        .contains("too many transfers");
    assertThat(fetchFrom(OTHER_HOST, "kernel", TFTP.BINARY_MODE)).isEqualTo(data);
    List.of(first, second, third).forEach(c -> c.socket.close());
  }

  @Test
  void aTimeoutOptionAboveTheServersMaximumIsLeftOutAndTheServersOwnTimeoutBoundsTheTransfer()
      throws Exception {
    byte[] data = randomBytes(3000, 10);
    Files.write(root.resolve("kernel"), data);
    start(b -> b.maxTransfers(1).timeout(Duration.ofMillis(50)).maxRetries(2));
    RawClient silent = new RawClient();
    silent.sendRequest("kernel", "octet", "timeout", "255", "tsize", "0");

    long started = System.nanoTime();
    List<String> oacks = new ArrayList<>();
    silent.socket.setSoTimeout(500);
    while (true) {
      DatagramPacket p;
      try {
        p = silent.receiveData(); // never acknowledged
      } catch (SocketTimeoutException e) {
        break;
      }
      assertThat(p.getData()[1]).as("opcode").isEqualTo((byte) 6);
      oacks.add(new String(p.getData(), 2, p.getLength() - 2, StandardCharsets.US_ASCII));
    }
    Duration silentAfter = Duration.ofNanos(System.nanoTime() - started).minusMillis(500);

    // RFC 2349: the server may not answer another timeout than asked, so it leaves the option out
    assertThat(oacks).hasSize(3).allSatisfy(o -> assertThat(o).isEqualTo("tsize\0" + "3000\0"));
    assertThat(silentAfter).isLessThan(Duration.ofSeconds(2));
    assertThat(fetch("kernel", TFTP.BINARY_MODE)).isEqualTo(data); // the only slot is free again
    silent.socket.close();
  }

  @Test
  void aTimeoutOptionWithinTheServersMaximumIsAcknowledgedAsAsked() throws IOException {
    byte[] data = randomBytes(2000, 11);
    Files.write(root.resolve("kernel"), data);
    start(b -> b.maxTimeoutOption(Duration.ofSeconds(3)));

    RawClient within = new RawClient();
    assertThat(within.fetch("kernel", "octet", "timeout", "3")).isEqualTo(data);
    assertThat(within.oack).containsExactly("timeout", "3");
    RawClient above = new RawClient();
    assertThat(above.fetch("kernel", "octet", "timeout", "4", "blksize", "1024")).isEqualTo(data);
    assertThat(above.oack).containsExactly("blksize", "1024");
  }

  @Test
  void aTransferThatOutlastsTheMaximumTransferTimeIsEndedWithAnError() throws Exception {
    Files.write(root.resolve("kernel"), randomBytes(512 * 40, 12));
    start(b -> b.maxTransferTime(Duration.ofMillis(300)));
    RawClient slow = new RawClient();
    slow.sendRequest("kernel", "octet");

    int blocks = 0;
    DatagramPacket p;
    while ((p = slow.receiveData()).getData()[1] == 3) {
      blocks++;
      Thread.sleep(50); // acknowledges every block, but slowly
      slow.ack(((p.getData()[2] & 0xff) << 8) | (p.getData()[3] & 0xff));
    }

    assertThat(p.getData()[1]).as("opcode").isEqualTo((byte) 5);
    assertThat(new String(p.getData(), 4, p.getLength() - 5, StandardCharsets.US_ASCII))
        .contains("longer than");
    assertThat(blocks).isBetween(2, 20);
    slow.socket.close();
  }

  @Test
  void transferLimitsAreValidatedWithTheirAcceptedRanges() {
    TftpServer.Builder b = TftpServer.builder(root);
    assertThatThrownBy(() -> b.maxTransfersPerClient(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxTransfersPerClient");
    assertThatThrownBy(() -> b.maxTimeoutOption(Duration.ofSeconds(256)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxTimeoutOption").hasMessageContaining("1 s..255 s");
    assertThatThrownBy(() -> b.maxTimeoutOption(Duration.ofMillis(1500)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("whole seconds");
    assertThatThrownBy(() -> b.maxTransferTime(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxTransferTime");
    assertThatThrownBy(() -> b.maxTransfers(4).maxTransfersPerClient(5).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxTransfersPerClient").hasMessageContaining("maxTransfers (4)");
  }

  @Test
  void theDefaultsAreLoopbackAndPort69() {
    TftpServer s = TftpServer.builder(root).build();
    assertThat(s.address().isLoopbackAddress()).isTrue();
    assertThatThrownBy(s::port).isInstanceOf(IllegalStateException.class);
    s.close();
  }

  /** A bare-bones TFTP client that shows what is on the wire. */
  private final class RawClient {
    final DatagramSocket socket;
    final List<String> oack = new ArrayList<>();
    final List<Integer> blockSizes = new ArrayList<>();
    int dropFirstCopyOfBlock = -1;
    final java.util.Map<Integer, Integer> copies = new java.util.HashMap<>();
    int serverPort = -1;

    RawClient() throws IOException {
      this(LOOPBACK);
    }

    RawClient(InetAddress bind) throws IOException {
      socket = new DatagramSocket(0, bind);
      socket.setSoTimeout(3000);
    }

    void sendRequest(String name, String mode, String... options) throws IOException {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(0);
      out.write(1);
      for (String s : concat(name, mode, options)) {
        out.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
        out.write(0);
      }
      byte[] b = out.toByteArray();
      socket.send(new DatagramPacket(b, b.length, LOOPBACK, server.port()));
    }

    private List<String> concat(String name, String mode, String... options) {
      List<String> all = new ArrayList<>(List.of(name, mode));
      all.addAll(List.of(options));
      return all;
    }

    DatagramPacket receiveData() throws IOException {
      byte[] buf = new byte[70_000];
      DatagramPacket p = new DatagramPacket(buf, buf.length);
      socket.receive(p);
      serverPort = p.getPort();
      return p;
    }

    int error(String name) throws IOException {
      sendRequest(name, "octet");
      DatagramPacket p = receiveData();
      assertThat(p.getData()[1]).as("opcode").isEqualTo((byte) 5);
      return ((p.getData()[2] & 0xff) << 8) | (p.getData()[3] & 0xff);
    }

    void ack(int block) throws IOException {
      byte[] b = {0, 4, (byte) (block >> 8), (byte) block};
      socket.send(new DatagramPacket(b, 4, LOOPBACK, serverPort));
    }

    byte[] fetch(String name, String mode, String... options) throws IOException {
      sendRequest(name, mode, options);
      ByteArrayOutputStream data = new ByteArrayOutputStream();
      int blockSize = 512;
      int expected = 1;
      boolean dropped = false;
      while (true) {
        DatagramPacket p;
        try {
          p = receiveData();
        } catch (SocketTimeoutException e) {
          throw new AssertionError("server went silent waiting for block " + expected, e);
        }
        byte[] b = p.getData();
        int opcode = b[1];
        if (opcode == 6) {
          String[] parts = new String(b, 2, p.getLength() - 2, StandardCharsets.US_ASCII).split("\0");
          oack.addAll(List.of(parts));
          for (int i = 0; i + 1 < parts.length; i += 2) {
            if (parts[i].equals("blksize")) {
              blockSize = Integer.parseInt(parts[i + 1]);
            }
          }
          ack(0);
          continue;
        }
        assertThat(opcode).as("opcode").isEqualTo(3);
        int block = ((b[2] & 0xff) << 8) | (b[3] & 0xff);
        copies.merge(block, 1, Integer::sum);
        if (block == expected - 1) {
          continue; // a copy of a block already acknowledged
        }
        assertThat(block).isEqualTo(expected);
        if (block == dropFirstCopyOfBlock && !dropped) {
          dropped = true; // pretend it was lost: no ack, wait for it again
          continue;
        }
        int n = p.getLength() - 4;
        blockSizes.add(n);
        data.write(b, 4, n);
        ack(block);
        if (n < blockSize) {
          return data.toByteArray();
        }
        expected++;
      }
    }
  }
}
