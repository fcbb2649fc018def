package org.mozpool.server.callback;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.mozpool.DeviceSpec;
import org.mozpool.LogEntry;
import org.mozpool.Mozpool;
import org.mozpool.Pool;
import org.mozpool.bmm.ProxrPowerControl;
import org.mozpool.bmm.PxeBootControl;
import org.mozpool.bmm.TftpServer;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.server.ServerConfig;
import org.mozpool.server.internal.ApiAuth;
import org.mozpool.server.internal.HttpServer;
import org.mozpool.server.internal.Limits;
import org.mozpool.server.internal.ServerContext;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;
import org.mozpool.testkit.doubles.ScriptedLifeguard;

/**
 * The server's HTTP server on loopback over a pool whose Lifeguard only records what it is told:
 * two devices ({@code panda-0042} with token {@link #TOKEN}, being imaged; {@code panda-0043}
 * with token {@code other-token}), an operator API token {@link #OPERATOR_TOKEN} and a client
 * API token {@link #CLIENT_TOKEN}.
 */
final class CallbackHttpFixture implements AutoCloseable {

  static final String TOKEN = "tok-6f1c2a";
  static final String OPERATOR_TOKEN = "op-secret-1";
  static final String CLIENT_TOKEN = "ci-secret-1";

  final InMemoryPoolStore store = new InMemoryPoolStore();
  /** Lifeguard's script: every call is accepted at once unless a test scripts a reply. */
  final ScriptedLifeguard lifeguard = ScriptedLifeguard.completingAtOnce();
  private final AtomicReference<ServerContext> context = new AtomicReference<>();
  private final Path tftpRoot;
  private final TftpServer tftp;
  private final ProxrPowerControl power = ProxrPowerControl.create();
  private final Pool pool;
  private final ServerContext ready;
  final HttpServer http;

  /** Starts the server with {@code limits}; it answers 503 until {@link #open()}. */
  CallbackHttpFixture(Limits limits) {
    try {
      tftpRoot = Files.createTempDirectory("mozpool-callback-test-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    store.inTransaction(tx -> {
      tx.insertDevice(new DeviceRecord(DeviceSpec.builder("panda-0042").mac("aabbccddeeff")
          .hardware("panda", "ES Rev B2").build(), "android", Map.of("build", "old"), "b2g",
          Map.of("b2gbase", "http://builds/b2g/42/"), TOKEN,
          MachineRecord.initial("pxe_booting", null)));
      tx.insertDevice(new DeviceRecord(DeviceSpec.builder("panda-0043").mac("aabbccddee00")
          .hardware("panda", "").build(), "android", Map.of("build", "current"), "", Map.of(),
          "other-token", MachineRecord.initial("ready", null)));
      return null;
    });
    tftp = TftpServer.builder(tftpRoot).bindAddress(InetAddress.getLoopbackAddress()).port(0)
        .build().start();
    pool = Mozpool.builder().store(store)
        .lifeguard(ctx -> lifeguard.stateless(ctx.timekeeper().clock())).build();
    ServerConfig config = new ServerConfig("test", null, null, null, null, null, null, null,
        null, null, null);
    http = HttpServer.start(new ServerConfig.Api("127.0.0.1:0", null), context::get, limits);
    ApiAuth auth = ApiAuth.from(new ServerConfig.Auth("tokens", List.of(
            new ServerConfig.TokenEntry("alice", "operator", "OP", null),
            new ServerConfig.TokenEntry("ci", "client", "CI", null))),
        Map.of("OP", OPERATOR_TOKEN, "CI", CLIENT_TOKEN), tftpRoot);
    ready = new ServerContext(config, uri(), store, pool, power,
        new PxeBootControl(tftpRoot, "127.0.0.1:" + http.port()), tftp, auth);
  }

  /** Lets calls through (the server context exists). */
  CallbackHttpFixture open() {
    context.set(ready);
    return this;
  }

  URI uri() {
    return URI.create("http://127.0.0.1:" + http.port() + "/");
  }

  InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), http.port());
  }

  /** A raw connection from {@code host} (any 127.x.y.z: another peer than 127.0.0.1). */
  Socket connectFrom(String host) throws IOException {
    Socket socket = new Socket();
    socket.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
    socket.connect(address(), 2000);
    socket.setSoTimeout(5000);
    return socket;
  }

  static String readAll(Socket socket) throws IOException {
    return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }

  /**
   * What Lifeguard was told, in order: {@code "device event args"} for a device event, {@code
   * "device please_event"} for a please-event ({@code "device please_image image bootConfig"}).
   */
  List<String> events() {
    return lifeguard.calls().stream().map(call -> call.device() + " " + call.event()
        + (call.event().startsWith("please_")
            ? call.image().map(image -> " " + image + " " + call.args()).orElse("")
            : " " + call.args())).toList();
  }

  List<String> deviceLog(String device) {
    return store.inTransaction(tx -> tx.log(MachineKind.DEVICE, device, 10_000)).stream()
        .map(LogEntry::message).toList();
  }

  @Override
  public void close() {
    http.close();
    pool.close();
    power.close();
    tftp.close();
    store.close();
    try (Stream<Path> files = Files.walk(tftpRoot)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
