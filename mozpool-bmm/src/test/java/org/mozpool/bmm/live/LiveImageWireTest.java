package org.mozpool.bmm.live;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.mozpool.DeviceStates;
import org.mozpool.DeviceView;
import org.mozpool.Lease;
import org.mozpool.LogEntry;
import org.mozpool.Mozpool;
import org.mozpool.Pool;
import org.mozpool.PoolPolicy;
import org.mozpool.RequestSpec;
import org.mozpool.bmm.LabHardware;
import org.mozpool.bmm.NetworkDeviceProbe;
import org.mozpool.bmm.ProxrPowerControl;
import org.mozpool.core.DeviceSelectors;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.core.SystemTimekeeper;
import org.mozpool.lifeguard.LifeguardPolicy;
import org.mozpool.lifeguard.StandardLifeguard;
import org.mozpool.spi.Timekeeper;
import org.mozpool.testkit.sim.DeviceTimings;
import org.mozpool.testkit.sim.WireLab;

/**
 * Wire mode with the real live image: a simulated panda on loopback, driven by the real relay
 * driver, TFTP server, PXE boot control, callback endpoint and probes, runs the real {@code
 * init}, {@code self-test} and {@code install-image} scripts whenever it network-boots. The pool
 * self-tests it, then takes it from {@code please_image} to {@code ready} with a build whose
 * artifacts the script downloads, verifies and writes to the board's SD card file. Lifeguard's
 * timeouts are divided by 5, except {@code live_init_started}'s, which stays 10 s: a child
 * process on a busy test machine needs that long to fetch its scripts.
 */
@Timeout(240)
class LiveImageWireTest {
  private static final double COMPRESSION = 5;

  @TempDir Path temp;
  private final Timekeeper time = new SystemTimekeeper();
  /**
   * The boards' ping and agent ports: apart from {@code LabHardwareTest}'s (20722, 20701), whose
   * wire lab puts its boards on the same loopback addresses and may run at the same time.
   */
  private static final int PING_PORT = 20822;
  private static final int AGENT_PORT = 20801;
  private LabHardware hardware;
  private WireLab lab;
  private Pool pool;
  private FakeMozpool builds;

  /** The live image's script runs, killed once the pool and the boards have stopped. */
  private ScriptedLiveImage scripts;

  private ScriptedLiveImage closedAfter(ScriptedLiveImage live) {
    scripts = live;
    return live;
  }

  @AfterEach
  void stop() {
    for (AutoCloseable c : new AutoCloseable[] {hardware, lab, scripts, builds, time}) {
      if (c != null) {
        try {
          c.close();
        } catch (Exception e) {
          // closing the rest anyway
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(LiveShell.class)
  void aBoardRunningTheRealScriptsIsImagedFromPleaseImageToReady(LiveShell shell)
      throws Exception {
    shell.bin(); // skips (or fails under CI=true) before anything starts when the shell is missing
    builds = FakeMozpool.scriptsAndBuilds();
    byte[] image = Builds.random(2 * 1024 * 1024 + 77, 11);
    builds.artifact("b2g-nightly/mozpool-manifest",
        Builds.rawManifest("sdcard.img", image).getBytes());
    builds.artifact("b2g-nightly/sdcard.img", image);
    ScriptedLiveImage live = closedAfter(new ScriptedLiveImage(temp.resolve("boards"), shell,
        builds.url() + "live/"));
    start(WireLab.builder().devices(1).liveImage(live));
    String name = lab.deviceSpecs().get(0).name();
    waitFor(Duration.ofSeconds(90), () -> state(name).equals(DeviceStates.READY));
    // the script reports self_test_ok and then exits: the run is recorded a moment later
    waitFor(Duration.ofSeconds(30), () -> !live.runs().isEmpty());
    assertThat(live.runs()).as("the first boot self-tests with the real script")
        .anySatisfy(r -> {
          assertThat(r.commandLine()).contains("mozpool.mode=self-test");
          assertThat(r.exit()).isZero();
        });

    String buildUrl = builds.buildUrl() + "b2g-nightly/";
    Lease lease = pool.request(RequestSpec.any().image("b2g").bootConfig("b2gbase", buildUrl)
        .build());
    DeviceView device = lease.awaitReady(Duration.ofSeconds(150));

    assertThat(device.name()).isEqualTo(name);
    assertThat(device.state()).isEqualTo(DeviceStates.READY);
    assertThat(device.image()).isEqualTo("b2g");
    byte[] card = Files.readAllBytes(live.sdcard(name));
    assertThat(Arrays.copyOf(card, image.length)).isEqualTo(image);
    assertThat(lab.device(name).imagesInstalled()).isEqualTo(1);
    assertThat(lab.device(name).sdImage()).get()
        .satisfies(i -> assertThat(i.bootConfig()).containsEntry("b2gbase", buildUrl));
    assertThat(live.runs()).anySatisfy(r -> {
      assertThat(r.commandLine()).contains("mozpool.mode=install", "mozpool.image=b2g");
      assertThat(r.exit()).isZero();
      assertThat(r.rebooted()).isTrue();
    });
    assertThat(pool.inventory().deviceLog(name)).extracting(LogEntry::message)
        .anySatisfy(m -> assertThat(m).contains("event mobile_init_started"))
        .anySatisfy(m -> assertThat(m).contains("event image_downloading"))
        .anySatisfy(m -> assertThat(m).contains("event image_extracting"))
        .anySatisfy(m -> assertThat(m).contains("event image_rebooting")
            .contains("storage_check=ok"));
    lease.close();
  }

  @org.junit.jupiter.api.Test
  void aBoardThatRunsHotIsOutOfServiceByTheReadingOfItsSelfTestBootsFirstEvent()
      throws Exception {
    LiveShell shell = LiveShell.BUSYBOX;
    shell.bin();
    builds = FakeMozpool.scriptsAndBuilds();
    ScriptedLiveImage live = closedAfter(new ScriptedLiveImage(temp.resolve("boards"), shell,
        builds.url() + "live/").temperature("panda-0001", 97_000));
    start(WireLab.builder().devices(1).liveImage(live));

    waitFor(Duration.ofSeconds(90), () -> state("panda-0001").equals("failed_self_test"));

    // the reading comes with mobile_init_started, before the self-test's own check runs (that
    // check's report is LiveImageScriptTest's aHotBoardFailsItsSelfTestAsOverheating)
    assertThat(pool.inventory().deviceLog("panda-0001")).extracting(LogEntry::message)
        .anySatisfy(m -> assertThat(m).contains("event mobile_init_started")
            .contains("temperature=97.0"))
        .anySatisfy(m -> assertThat(m)
            .contains("temperature 97.0 C reported with mobile_init_started")
            .contains("overheating").contains("out of service"));
  }

  @org.junit.jupiter.api.Test
  void aBoardThatRunsHotOnceInstallingIsTakenOutOfServiceAtItsFirstEvent() throws Exception {
    LiveShell shell = LiveShell.BUSYBOX;
    shell.bin();
    builds = FakeMozpool.scriptsAndBuilds();
    ScriptedLiveImage live = closedAfter(new ScriptedLiveImage(temp.resolve("boards"), shell,
        builds.url() + "live/"));
    start(WireLab.builder().devices(1).liveImage(live));
    waitFor(Duration.ofSeconds(90), () -> state("panda-0001").equals(DeviceStates.READY));
    live.temperature("panda-0001", 97_000);

    pool.request(RequestSpec.any().image("b2g").bootConfig("b2gbase", builds.buildUrl()
        + "b2g-nightly/").build());

    // no self-test runs: the install's own events carry the reading
    waitFor(Duration.ofSeconds(90), () -> state("panda-0001").equals("failed_self_test"));
    assertThat(pool.inventory().deviceLog("panda-0001")).extracting(LogEntry::message)
        .anySatisfy(m -> assertThat(m).contains("temperature 97.0 C reported with")
            .contains("out of service"));
    assertThat(lab.device("panda-0001").imagesInstalled()).isZero();
  }

  @org.junit.jupiter.api.Test
  void aBoardWithoutATemperatureSensorPassesItsRealSelfTestReportingUnknown() throws Exception {
    LiveShell shell = LiveShell.BUSYBOX;
    shell.bin();
    builds = FakeMozpool.scriptsAndBuilds();
    ScriptedLiveImage live = closedAfter(new ScriptedLiveImage(temp.resolve("boards"), shell,
        builds.url() + "live/").withoutTemperatureSensor("panda-0001"));
    start(WireLab.builder().devices(1).liveImage(live));

    waitFor(Duration.ofSeconds(90), () -> state("panda-0001").equals(DeviceStates.READY));

    assertThat(pool.inventory().deviceLog("panda-0001")).extracting(LogEntry::message)
        .anySatisfy(m -> assertThat(m).contains("event mobile_init_started")
            .contains("temperature=unknown"))
        .anySatisfy(m -> assertThat(m).contains("event self_test_ok")
            .contains("temperature=unknown"));
  }

  @org.junit.jupiter.api.Test
  void aCorruptBuildIsABadImageTheBoardIsNotBlamedForAndItsCardIsUntouched() throws Exception {
    LiveShell shell = LiveShell.BUSYBOX;
    shell.bin();
    builds = FakeMozpool.scriptsAndBuilds();
    byte[] image = Builds.random(300_000, 11);
    builds.artifact("broken/mozpool-manifest", Builds.rawManifest("sdcard.img", image).getBytes());
    byte[] corrupt = image.clone();
    corrupt[12_345] ^= 1;
    builds.artifact("broken/sdcard.img", corrupt);
    ScriptedLiveImage live = closedAfter(new ScriptedLiveImage(temp.resolve("boards"), shell,
        builds.url() + "live/"));
    start(WireLab.builder().devices(1).liveImage(live));
    waitFor(Duration.ofSeconds(90), () -> state("panda-0001").equals(DeviceStates.READY));
    byte[] cardBefore = Files.readAllBytes(live.sdcard("panda-0001"));

    pool.request(RequestSpec.any().image("b2g").bootConfig("b2gbase", builds.buildUrl()
        + "broken/").build());

    waitFor(Duration.ofSeconds(90), () -> pool.inventory().deviceLog("panda-0001").stream()
        .anyMatch(e -> e.message().contains("is bad; the device is not blamed")));
    // the script reports image_failed and then exits: the run is recorded a moment later
    waitFor(Duration.ofSeconds(30), () -> live.runs().stream()
        .anyMatch(r -> r.commandLine().contains("mozpool.mode=install")));
    assertThat(pool.inventory().deviceLog("panda-0001")).extracting(LogEntry::message)
        .anySatisfy(m -> assertThat(m).contains("event image_failed")
            .contains("checksum mismatch"));
    assertThat(live.runs()).anySatisfy(r -> {
      assertThat(r.commandLine()).contains("mozpool.mode=install");
      assertThat(r.exit()).isEqualTo(4);
      assertThat(r.rebooted()).isFalse();
    });
    assertThat(Files.readAllBytes(live.sdcard("panda-0001"))).isEqualTo(cardBefore);
    assertThat(lab.device("panda-0001").imagesInstalled()).isZero();
  }

  private String state(String device) {
    return pool.inventory().device(device).state();
  }

  /** The pool over the lab, as examples' WireStack assembles it, in real time on loopback. */
  private void start(WireLab.Builder labBuilder) throws IOException {
    InetAddress loopback = InetAddress.getLoopbackAddress();
    LifeguardPolicy policy = LifeguardPolicy.defaults();
    for (Map.Entry<String, Duration> t : LifeguardPolicy.defaults().timeouts().entrySet()) {
      policy = policy.withTimeout(t.getKey(), divide(t.getValue()));
    }
    policy = policy.withTimeout("live_init_started", Duration.ofSeconds(10));
    PoolPolicy d = PoolPolicy.defaults();
    hardware = LabHardware.builder(temp.resolve("tftp"))
        .tftp(t -> t.bindAddress(loopback).port(0).timeout(Duration.ofMillis(500))
            .maxTransfersPerClient(64))
        .callbacks(c -> c.bind(new InetSocketAddress(loopback, 0))
            .eventTimeout(Duration.ofSeconds(5)))
        .powerControl(ProxrPowerControl.builder().cycleDelay(Duration.ofMillis(200))
            .coolDown(Duration.ofMillis(100)).connectTimeout(Duration.ofSeconds(1))
            .ioTimeout(Duration.ofSeconds(1)))
        .deviceProbe(NetworkDeviceProbe.builder().tcpConnectPing(PING_PORT)
            .agentPort(AGENT_PORT).pingTimeout(Duration.ofSeconds(1))
            .commandTimeout(Duration.ofSeconds(2)))
        .pool(Mozpool.builder()
            .lifeguard(StandardLifeguard.factory(policy)).timekeeper(time)
            .selector(DeviceSelectors.firstByName())
            .policy(new PoolPolicy(divide(d.contactTimeout()), d.contactTries(),
                divide(d.pendingPoll()), d.pendingPolls(), divide(d.queueRecheck()),
                d.badImageDevices(), d.logRetention())), new InMemoryPoolStore())
        .start();
    pool = hardware.pool();
    InetSocketAddress tftp = hardware.tftpAddress();
    lab = labBuilder.timings(DeviceTimings.pandas().compressed(20))
        .tftp(tftp.getAddress(), tftp.getPort())
        .pingPort(PING_PORT).agentPort(AGENT_PORT).build();
    lab.registerInventory(pool.inventory());
  }

  private static Duration divide(Duration d) {
    return Duration.ofMillis(Math.round(d.toMillis() / COMPRESSION));
  }

  private static void waitFor(Duration max, BooleanSupplier condition) {
    Instant end = Instant.now().plus(max);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(end)) {
        throw new AssertionError("condition not met within " + max);
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
