package org.mozpool.bmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.DeviceSpec;
import org.mozpool.DeviceStates;
import org.mozpool.LogEntry;
import org.mozpool.Mozpool;
import org.mozpool.PoolPolicy;
import org.mozpool.core.DeviceSelectors;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.core.SystemTimekeeper;
import org.mozpool.lifeguard.LifeguardPolicy;
import org.mozpool.lifeguard.StandardLifeguard;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.Lifeguard;
import org.mozpool.spi.LifeguardContext;
import org.mozpool.spi.LifeguardFactory;
import org.mozpool.spi.MachineRecord;
import org.mozpool.testkit.agent.SutAgentEmulator;
import org.mozpool.testkit.sim.DeviceTimings;
import org.mozpool.testkit.sim.WireLab;

/**
 * {@link LabHardware} over real loopback sockets: the callback endpoint listens before the pool
 * exists and answers 503 until it is up, ports come from the system (no reservation), and a start
 * that fails leaves nothing listening.
 */
@Timeout(120)
class LabHardwareTest {
  private static final double COMPRESSION = 20;
  private static final int PING_PORT = 20722;
  private static final String TOKEN = "tok-early-bird";
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  @TempDir
  Path temp;

  private final SystemTimekeeper time = new SystemTimekeeper();
  private final InMemoryPoolStore store = new InMemoryPoolStore();
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(2)).build();
  private LabHardware hardware;
  private WireLab lab;

  @AfterEach
  void stop() {
    if (lab != null) {
      lab.close();
    }
    if (hardware != null) {
      hardware.close();
    }
    time.close();
    store.close();
  }

  /** Settings for loopback and compressed time; the pool still to be named. */
  private LabHardware.Builder loopbackHardware() {
    return LabHardware.builder(temp.resolve("tftp"))
        .tftp(t -> t.bindAddress(LOOPBACK).port(0).timeout(Duration.ofMillis(500))
            .maxTransfersPerClient(64))
        .callbacks(c -> c.bind(new InetSocketAddress(LOOPBACK, 0))
            .eventTimeout(Duration.ofSeconds(5)).maxConnectionsPerPeer(64))
        .powerControl(ProxrPowerControl.builder().cycleDelay(Duration.ofMillis(200))
            .coolDown(Duration.ofMillis(100)).connectTimeout(Duration.ofSeconds(1))
            .ioTimeout(Duration.ofSeconds(1)))
        .deviceProbe(NetworkDeviceProbe.builder().tcpConnectPing(PING_PORT)
            .agentPort(SutAgentEmulator.DEFAULT_PORT).pingTimeout(Duration.ofSeconds(1))
            .commandTimeout(Duration.ofSeconds(2)));
  }

  private Mozpool.Builder compressedPool(LifeguardFactory lifeguard) {
    return Mozpool.builder().lifeguard(lifeguard).timekeeper(time)
        .selector(DeviceSelectors.firstByName())
        .policy(PoolPolicy.defaults().compressed(COMPRESSION));
  }

  private static LifeguardFactory compressedLifeguard() {
    return StandardLifeguard.factory(LifeguardPolicy.defaults().compressed(COMPRESSION));
  }

  @Test
  void startsOnFreePortsAndServesABoardsSelfTestEndToEnd() {
    hardware = loopbackHardware().pool(compressedPool(compressedLifeguard()), store).start();

    assertThat(hardware.callbackUri().getPort()).isPositive();
    assertThat(hardware.callbackUri().getHost()).isEqualTo(LOOPBACK.getHostAddress());
    assertThat(hardware.tftpAddress().getPort()).isPositive();
    lab = WireLab.builder().devices(1).pingPort(PING_PORT)
        .agentPort(SutAgentEmulator.DEFAULT_PORT)
        .timings(DeviceTimings.pandas().compressed(COMPRESSION))
        .tftp(hardware.tftpAddress().getAddress(), hardware.tftpAddress().getPort()).build();
    lab.registerInventory(hardware.pool().inventory());

    // a new board self-tests: relay cycle, PXE config over TFTP, live image calling back
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(
        () -> hardware.pool().inventory().device("panda-0001").state(),
        DeviceStates.READY::equals);
    assertThat(hardware.pool().inventory().deviceLog("panda-0001"))
        .extracting(LogEntry::message)
        .anySatisfy(m -> assertThat(m).contains("event self_test_running"))
        .anySatisfy(m -> assertThat(m).contains("event self_test_ok"));
  }

  @Test
  void relayCommandsGoOutOnlyWhileTheGivenInterlockAndThePoolsFenceAllowAndFromTheSourceAddress()
      throws Exception {
    java.util.concurrent.atomic.AtomicBoolean given =
        new java.util.concurrent.atomic.AtomicBoolean(false);
    ProxrPowerControl.Builder power = ProxrPowerControl.builder().cycleDelay(Duration.ofMillis(200))
        .coolDown(Duration.ofMillis(100)).connectTimeout(Duration.ofSeconds(1))
        .ioTimeout(Duration.ofSeconds(1)).localAddress(InetAddress.getByName("127.0.1.9"))
        .interlock(given::get);
    java.util.function.BooleanSupplier before = power.interlock();
    hardware = loopbackHardware().powerControl(power)
        .pool(compressedPool(compressedLifeguard()), store).start();
    assertThat(power.interlock()).as("the caller's builder is left as given").isSameAs(before);
    lab = WireLab.builder().devices(1).pingPort(PING_PORT)
        .agentPort(SutAgentEmulator.DEFAULT_PORT)
        .timings(DeviceTimings.pandas().compressed(COMPRESSION))
        .tftp(hardware.tftpAddress().getAddress(), hardware.tftpAddress().getPort()).build();
    lab.registerInventory(hardware.pool().inventory());

    // the self-test's power cycle meets the open interlock: nothing reaches the board
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(
        () -> hardware.pool().inventory().deviceLog("panda-0001").stream()
            .anyMatch(e -> e.message().contains("interlock is open")));
    assertThat(lab.relayBoard(1).commands()).isEmpty();

    // once it allows (and the pool's fence does: a lone pool may always act) the self-test runs
    given.set(true);
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).until(
        () -> hardware.pool().inventory().device("panda-0001").state(),
        DeviceStates.READY::equals);
    assertThat(lab.relayBoard(1).commands()).isNotEmpty().allSatisfy(c -> assertThat(
        c.sender()).isEqualTo(InetAddress.getByName("127.0.1.9")));
  }

  @Test
  void aCallbackBeforeThePoolIsUpIsAnswered503AndSucceedsOnRetry() throws Exception {
    // a device the store already knows, as after a restart: it may call before the pool is up
    insertDeviceWithToken();
    CountDownLatch poolMayStart = new CountDownLatch(1);
    LifeguardFactory standard = compressedLifeguard();
    LifeguardFactory slowToStart = new LifeguardFactory() {
      @Override
      public Lifeguard create(LifeguardContext context) {
        try {
          poolMayStart.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return standard.create(context);
      }

      @Override
      public java.util.Set<Driver> requiredDrivers() {
        return standard.requiredDrivers();
      }
    };
    int callbackPort = freeTcpPort();
    LabHardware.Builder builder = loopbackHardware()
        .callbacks(c -> c.bind(new InetSocketAddress(LOOPBACK, callbackPort)))
        .pool(compressedPool(slowToStart), store);
    AtomicReference<LabHardware> started = new AtomicReference<>();
    CompletableFuture<LabHardware> starting = CompletableFuture.supplyAsync(() -> {
      LabHardware h = builder.start();
      started.set(h);
      return h;
    });
    try {
      URI bootConfig = URI.create("http://" + LOOPBACK.getHostAddress() + ":" + callbackPort
          + "/api/device/panda-0042/bootconfig/");

      HttpResponse<String> early = await().atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(20)).ignoreExceptionsInstanceOf(ConnectException.class)
          .until(() -> get(bootConfig), r -> true);

      assertThat(early.statusCode()).isEqualTo(503);
      assertThat(early.body()).contains("\"ok\":false").contains("not running yet");
      assertThat(starting).isNotDone();

      poolMayStart.countDown();
      hardware = starting.get(30, TimeUnit.SECONDS);
      HttpResponse<String> retry = get(bootConfig);

      assertThat(retry.statusCode()).isEqualTo(200);
      assertThat(retry.body()).contains("http://builds/b2g/42/");
      assertThat(hardware.callbackUri().getPort()).isEqualTo(callbackPort);
    } finally {
      poolMayStart.countDown();
      if (hardware == null && started.get() != null) {
        hardware = started.get();
      }
    }
  }

  @Test
  void anUnroutedEndpointAnswers503UntilRoutedAndAgainOnceUnrouted() throws Exception {
    insertDeviceWithToken();
    try (DeviceCallbackServer endpoint = DeviceCallbackServer.unrouted().start()) {
      URI bootConfig = endpoint.bootConfigUri("panda-0042");
      Lifeguard unused = untouchedLifeguard();

      assertThat(get(bootConfig).statusCode()).isEqualTo(503);
      endpoint.routeTo(store, unused, java.time.Clock.systemUTC());
      assertThat(get(bootConfig).statusCode()).isEqualTo(200);
      assertThatThrownBy(() -> endpoint.routeTo(store, unused, java.time.Clock.systemUTC()))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("routed already");
      endpoint.unroute();
      assertThat(get(bootConfig).statusCode()).isEqualTo(503);
    }
  }

  /** A Lifeguard for calls that never reach it (the boot config is read from the store). */
  private static Lifeguard untouchedLifeguard() {
    return (Lifeguard) java.lang.reflect.Proxy.newProxyInstance(
        Lifeguard.class.getClassLoader(), new Class<?>[] {Lifeguard.class}, (proxy, m, args) -> {
          if (m.getDeclaringClass() == Object.class) {
            return m.getName().equals("equals") ? proxy == args[0]
                : m.getName().equals("hashCode") ? 0 : "untouched Lifeguard";
          }
          throw new AssertionError("Lifeguard." + m.getName() + " called");
        });
  }

  private void insertDeviceWithToken() {
    store.inTransaction(tx -> {
      tx.insertDevice(new DeviceRecord(DeviceSpec.builder("panda-0042").mac("aabbccddeeff")
          .hardware("panda", "ES Rev B2").build(), "android", Map.of(), "b2g",
          Map.of("b2gbase", "http://builds/b2g/42/"), TOKEN,
          MachineRecord.initial(DeviceStates.READY, null)));
      return null;
    });
  }

  @Test
  void aTakenTftpPortFailsTheStartAndLeavesNothingListening() throws IOException {
    int callbackPort = freeTcpPort();
    try (DatagramSocket squatter = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
      LabHardware.Builder builder = loopbackHardware()
          .tftp(t -> t.bindAddress(LOOPBACK).port(squatter.getLocalPort()))
          .callbacks(c -> c.bind(new InetSocketAddress(LOOPBACK, callbackPort)))
          .pool(compressedPool(compressedLifeguard()), store);

      assertThatThrownBy(builder::start).isInstanceOf(UncheckedIOException.class)
          .hasMessageContaining("cannot bind TFTP server");
    }
    assertFreeTcpPort(callbackPort);
    assertNoThreadNamed("device-callback-acceptor-" + callbackPort);
  }

  @Test
  void anIncompletePoolFailsTheStartAndClosesWhatWasStarted() throws IOException {
    int callbackPort = freeTcpPort();
    int tftpPort = freeUdpPort();
    LabHardware.Builder builder = loopbackHardware()
        .tftp(t -> t.bindAddress(LOOPBACK).port(tftpPort))
        .callbacks(c -> c.bind(new InetSocketAddress(LOOPBACK, callbackPort)))
        .pool(Mozpool.builder().timekeeper(time), store); // no Lifeguard

    assertThatThrownBy(builder::start).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no Lifeguard");
    assertFreeTcpPort(callbackPort);
    try (DatagramSocket again = new DatagramSocket(new InetSocketAddress(LOOPBACK, tftpPort))) {
      assertThat(again.getLocalPort()).isEqualTo(tftpPort);
    }
    assertNoThreadNamed("device-callback-acceptor-" + callbackPort);
    assertNoThreadNamed("tftp-listener-" + tftpPort);
  }

  @Test
  void closeStopsEveryListenerAndIsIdempotent() throws IOException {
    hardware = loopbackHardware().pool(compressedPool(compressedLifeguard()), store).start();
    int callbackPort = hardware.callbackUri().getPort();
    int tftpPort = hardware.tftpAddress().getPort();

    hardware.close();
    hardware.close();

    assertFreeTcpPort(callbackPort);
    try (DatagramSocket again = new DatagramSocket(new InetSocketAddress(LOOPBACK, tftpPort))) {
      assertThat(again.getLocalPort()).isEqualTo(tftpPort);
    }
    assertThatThrownBy(() -> hardware.pool().request(org.mozpool.RequestSpec.any()
        .image("android").build())).isInstanceOf(RuntimeException.class);
  }

  @Test
  void theBoardsReachTheCallbacksAtTheConfiguredHostAndTheRealPort() {
    hardware = loopbackHardware().callbackHost("pool.lab.example")
        .pool(compressedPool(compressedLifeguard()), store).start();

    assertThat(hardware.callbackUri().getHost()).isEqualTo("pool.lab.example");
    assertThat(hardware.callbackUri().getPort()).isPositive();
    assertThat(hardware.callbackUri().getPath()).isEqualTo("/");
  }

  @Test
  void settingsAreCheckedWhenGivenAndTheWholeConfigurationBeforeAnythingListens()
      throws IOException {
    Path file = Files.writeString(temp.resolve("not-a-dir"), "x");
    assertThatThrownBy(() -> LabHardware.builder(file))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a directory");
    LabHardware.Builder b = LabHardware.builder(temp.resolve("tftp"));
    assertThatThrownBy(() -> b.tftp(t -> t.port(70_000)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port");
    assertThatThrownBy(() -> b.callbacks(c -> c.threads(0)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("threads");
    assertThatThrownBy(() -> b.callbackHost("pool.lab:8010"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("without a port");
    assertThatThrownBy(() -> b.callbackHost(" "))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.callbackHost("[pool.lab]"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.callbackHost("http://pool.lab/"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.callbacks(c -> null)).isInstanceOf(NullPointerException.class);
    b.callbackHost("::1"); // an IPv6 address is a host, not a host and port
    b.callbackHost("[fe80::1]");
    assertThatThrownBy(b::start).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no pool");

    int callbackPort = freeTcpPort();
    LabHardware.Builder wildcard = loopbackHardware()
        .callbacks(c -> c.bind(new InetSocketAddress(callbackPort)))
        .pool(compressedPool(compressedLifeguard()), store);
    assertThatThrownBy(wildcard::start).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("wildcard").hasMessageContaining("callbackHost");
    assertFreeTcpPort(callbackPort);
    assertThat(temp.resolve("tftp")).doesNotExist();
  }

  private HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + TOKEN)
        .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A port free right now; only tests pick ports like this (the class under test never does). */
  private static int freeTcpPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
      return s.getLocalPort();
    }
  }

  private static int freeUdpPort() throws IOException {
    try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
      return s.getLocalPort();
    }
  }

  /** Binding fails while anything still listens there (closed sockets may linger harmlessly). */
  private static void assertFreeTcpPort(int port) throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(LOOPBACK, port));
      assertThat(s.getLocalPort()).isEqualTo(port);
    }
  }

  private static void assertNoThreadNamed(String name) {
    assertThat(Thread.getAllStackTraces().keySet()).filteredOn(Thread::isAlive)
        .extracting(Thread::getName).doesNotContain(name);
  }
}
