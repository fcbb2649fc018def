package org.mozpool.bmm.live;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The live-image scripts run for real — under dash with curl, and in a BusyBox-only world with
 * BusyBox's wget — against a stand-in server on 127.0.0.1 that records the events and serves the
 * boot config, the scripts and the build. The "SD card" is a plain file, the temperature sensor
 * a file the test writes, and the reboot command touches a marker file.
 */
@Timeout(120)
class LiveImageScriptTest {
  private static final String DEVICE = "panda-0042";
  private static final String TOKEN = "tok-1f2e3d";
  private static final Duration RUN_LIMIT = Duration.ofSeconds(90);

  @TempDir Path temp;
  private FakeMozpool server;
  private Path sh;
  private Path scripts;
  private final Map<String, String> env = new HashMap<>();

  /** Sets up the shell's world and a server; the kernel command line asks for {@code task}. */
  private void boot(LiveShell shell, String task) throws IOException {
    String path = shell.path();
    sh = shell.bin().resolve("sh");
    scripts = LiveRun.installScripts(temp.resolve("scripts"));
    server = new FakeMozpool(DEVICE, TOKEN);
    cmdline(server.url(), task);
    Files.createDirectories(temp.resolve("home"));
    env.put("PATH", path);
    env.put("HOME", temp.resolve("home").toString());
    env.put("MOZPOOL_CMDLINE", temp.resolve("cmdline").toString());
    env.put("MOZPOOL_WORKDIR", temp.resolve("work").toString());
    env.put("MOZPOOL_SDCARD", sdcard().toString());
    env.put("MOZPOOL_REBOOT_CMD", "touch " + temp.resolve("rebooted"));
    env.put("MOZPOOL_THERMAL_FILE", temp.resolve("thermal").toString());
    env.put("MOZPOOL_RETRIES", "3");
    env.put("MOZPOOL_RETRY_DELAY", "0");
    env.put("MOZPOOL_HTTP_TIMEOUT", "10");
    env.put("MOZPOOL_SCRATCH_KB", "64");
  }

  private void cmdline(String serverUrl, String task) throws IOException {
    Files.writeString(temp.resolve("cmdline"), "console=ttyO2,115200n8 rootwait ip=dhcp"
        + " mozpool.server=" + serverUrl + " mozpool.device=" + DEVICE + " mozpool.token="
        + TOKEN + " mozpool.mac=00163e000042 mozpool.task=" + task + "\n");
  }

  private Path sdcard() {
    return temp.resolve("sdcard.img");
  }

  private LiveRun.Result run(String script) {
    return LiveRun.run(sh, scripts.resolve(script), env, temp.resolve("logs"), RUN_LIMIT);
  }

  @AfterEach
  void tearDown() {
    if (server != null) {
      server.close();
    }
  }

  // ---- install-image -------------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(LiveShell.class)
  void aRawImageThatVerifiesIsWrittenReadBackAndRebootedInto(LiveShell shell) throws Exception {
    boot(shell, "install-image");
    byte[] image = Builds.random(3 * 1024 * 1024 + 123, 7);
    server.artifact("mozpool-manifest", Builds.rawManifest("sdcard.img", image).getBytes());
    server.artifact("sdcard.img", image);
    server.bootConfig(Map.of("b2gbase", server.buildUrl()));
    byte[] old = Builds.random(5 * 1024 * 1024, 1);
    Files.write(sdcard(), old);
    Files.writeString(temp.resolve("thermal"), "51200\n");

    LiveRun.Result r = run("init");

    assertThat(r.exit()).as("%s", r).isZero();
    assertThat(server.eventNames()).containsExactly("mobile_init_started", "image_downloading",
        "image_extracting", "image_rebooting");
    // every event carries the board's temperature, so that Lifeguard can act on it at any step
    assertThat(server.events()).allSatisfy(e -> assertThat(e.args()).as(e.name())
        .containsEntry("temperature", "51.2"));
    assertThat(server.events().get(3).args()).containsEntry("storage_check", "ok")
        .containsEntry("verified_bytes", Integer.toString(image.length));
    byte[] card = Files.readAllBytes(sdcard());
    assertThat(Arrays.copyOf(card, image.length)).isEqualTo(image);
    // the card is written in place, not truncated: what lies beyond the image stays
    assertThat(card).hasSize(old.length);
    assertThat(Arrays.copyOfRange(card, image.length, card.length))
        .isEqualTo(Arrays.copyOfRange(old, image.length, old.length));
    assertThat(temp.resolve("rebooted")).exists();
  }

  @ParameterizedTest
  @EnumSource(LiveShell.class)
  void aPartitionedImageGetsItsTableAndEachFilesystemAtItsPartition(LiveShell shell)
      throws Exception {
    boot(shell, "install-image");
    byte[] bootFs = Builds.random(700_000, 2);
    byte[] systemFs = Builds.random(1_500_000, 3);
    long bootAt = 1024 * 1024;
    long systemAt = 2 * 1024 * 1024 + 512 * 3;
    byte[] mbr = Builds.mbr(new long[] {bootAt, systemAt},
        new long[] {bootFs.length, systemFs.length});
    String manifest = "format 1\nlayout partitions\n"
        + "table mbr.bin " + mbr.length + " " + Builds.sha256(mbr) + "\n"
        + "partition 1 boot.vfat " + bootAt + " " + bootFs.length + " " + Builds.sha256(bootFs)
        + "\n"
        + "partition 2 system.ext4 " + systemAt + " " + systemFs.length + " "
        + Builds.sha256(systemFs) + "\n";
    server.artifact("mozpool-manifest", manifest.getBytes());
    server.artifact("mbr.bin", mbr);
    server.artifact("boot.vfat", bootFs);
    server.artifact("system.ext4", systemFs);
    server.bootConfig(Map.of("build_url", server.buildUrl().replaceAll("/$", "")));

    LiveRun.Result r = run("init");

    assertThat(r.exit()).as("%s", r).isZero();
    assertThat(server.eventNames()).endsWith("image_extracting", "image_rebooting");
    byte[] card = Files.readAllBytes(sdcard());
    assertThat(Arrays.copyOf(card, 512)).isEqualTo(mbr);
    assertThat(Arrays.copyOfRange(card, (int) bootAt, (int) bootAt + bootFs.length))
        .isEqualTo(bootFs);
    assertThat(Arrays.copyOfRange(card, (int) systemAt, (int) systemAt + systemFs.length))
        .isEqualTo(systemFs);
  }

  @ParameterizedTest
  @EnumSource(LiveShell.class)
  void aCorruptDownloadIsReportedAsABadImageAndNothingIsWritten(LiveShell shell)
      throws Exception {
    boot(shell, "install-image");
    byte[] image = Builds.random(200_000, 7);
    server.artifact("mozpool-manifest", Builds.rawManifest("sdcard.img", image).getBytes());
    byte[] corrupt = image.clone();
    corrupt[1000] ^= 0x40;
    server.artifact("sdcard.img", corrupt);
    server.bootConfig(Map.of("b2gbase", server.buildUrl()));
    byte[] old = Builds.random(300_000, 1);
    Files.write(sdcard(), old);

    LiveRun.Result r = run("init");

    assertThat(r.exit()).as("%s", r).isEqualTo(4);
    assertThat(server.eventNames()).containsExactly("mobile_init_started", "image_downloading",
        "image_failed");
    assertThat((String) server.events().get(2).args().get("reason"))
        .contains("checksum mismatch").contains("sdcard.img").contains(Builds.sha256(image));
    assertThat(Files.readAllBytes(sdcard())).isEqualTo(old);
    assertThat(temp.resolve("rebooted")).doesNotExist();
  }

  @ParameterizedTest
  @EnumSource(LiveShell.class)
  void aBuildWithoutManifestIsABadImage(LiveShell shell) throws Exception {
    boot(shell, "install-image");
    server.bootConfig(Map.of("b2gbase", server.buildUrl()));

    LiveRun.Result r = run("init");

    assertThat(r.exit()).as("%s", r).isEqualTo(4);
    assertThat(server.eventNames()).endsWith("image_failed");
    assertThat((String) server.events().get(server.events().size() - 1).args().get("reason"))
        .contains("cannot fetch the manifest").contains("404");
    assertThat(sdcard()).doesNotExist();
  }

  @ParameterizedTest
  @EnumSource(LiveShell.class)
  void aBoardWithoutATemperatureSensorReportsItsTemperatureAsUnknown(LiveShell shell)
      throws Exception {
    boot(shell, "install-image");
    server.bootConfig(Map.of("b2gbase", server.buildUrl()));
    assertThat(temp.resolve("thermal")).doesNotExist();

    LiveRun.Result r = run("init");

    assertThat(r.exit()).as("%s", r).isEqualTo(4);
    assertThat(server.eventNames()).containsExactly("mobile_init_started", "image_downloading",
        "image_failed");
    assertThat(server.events()).allSatisfy(e -> assertThat(e.args()).as(e.name())
        .containsEntry("temperature", "unknown"));
  }

  @ParameterizedTest
  @EnumSource(LiveShell.class)
  void aSensorThatReadsWholeDegreesWithALeadingZeroIsReadInDecimal(LiveShell shell)
      throws Exception {
    boot(shell, "install-image");
    server.bootConfig(Map.of("b2gbase", server.buildUrl()));
    Files.writeString(temp.resolve("thermal"), "045\n"); // BusyBox awk alone reads 37

    LiveRun.Result r = run("init");

    assertThat(r.exit()).as("%s", r).isEqualTo(4);
    assertThat(server.events()).allSatisfy(e -> assertThat(e.args()).as(e.name())
        .containsEntry("temperature", "45.0"));
  }

  @ParameterizedTest
  @EnumSource(LiveShell.class)
  void aCardThatDropsWritesFailsTheReadBackAndIsBlamedNotTheImage(LiveShell shell)
      throws Exception {
    boot(shell, "install-image");
    // a dd that swallows whatever is written to the card and says it worked
    Path fakes = Files.createDirectories(temp.resolve("fakes"));
    Path dd = fakes.resolve("dd");
    Files.writeString(dd, "#!/bin/sh\nfor a in \"$@\"; do case $a in of=" + sdcard()
        + ") exec cat > /dev/null ;; esac; done\nexec " + shell.realDd() + " \"$@\"\n");
    Files.setPosixFilePermissions(dd, PosixFilePermissions.fromString("rwxr-xr-x"));
    env.put("PATH", fakes + ":" + env.get("PATH"));
    byte[] image = Builds.random(100_000, 7);
    server.artifact("mozpool-manifest", Builds.rawManifest("sdcard.img", image).getBytes());
    server.artifact("sdcard.img", image);
    server.bootConfig(Map.of("b2gbase", server.buildUrl()));

    LiveRun.Result r = run("init");

    assertThat(r.exit()).as("%s", r).isEqualTo(5);
    assertThat(server.eventNames()).containsExactly("mobile_init_started", "image_downloading",
        "image_extracting", "failed_self_test");
    assertThat(server.events().get(3).args()).containsEntry("task", "install-image")
        .containsEntry("step", "read-back");
    assertThat(temp.resolve("rebooted")).doesNotExist();
  }

  // ---- self-test -----------------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(LiveShell.class)
  void aHealthyBoardPassesItsSelfTest(LiveShell shell) throws Exception {
    boot(shell, "self-test");
    Files.writeString(temp.resolve("thermal"), "48500\n");

    LiveRun.Result r = run("init");

    assertThat(r.exit()).as("%s", r).isZero();
    assertThat(server.eventNames()).containsExactly("mobile_init_started", "self_test_running",
        "self_test_ok");
    assertThat(server.events().get(1).args()).containsEntry("temperature", "48.5");
    assertThat(server.events().get(2).args()).containsEntry("temperature", "48.5")
        .containsEntry("network", "ok").containsEntry("sdcard_kb_tested", "64");
    assertThat(Files.size(sdcard())).isEqualTo(64 * 1024);
  }

  @ParameterizedTest
  @EnumSource(LiveShell.class)
  void aHotBoardFailsItsSelfTestAsOverheating(LiveShell shell) throws Exception {
    boot(shell, "self-test");
    Files.writeString(temp.resolve("thermal"), "97000\n");
    env.put("MOZPOOL_MAX_TEMP_C", "85");

    LiveRun.Result r = run("init");

    assertThat(r.exit()).as("%s", r).isEqualTo(6);
    assertThat(server.eventNames()).containsExactly("mobile_init_started", "self_test_running",
        "failed_self_test");
    Map<String, Object> args = server.events().get(2).args();
    assertThat(args).containsEntry("failed", "temperature").containsEntry("temperature", "97.0");
    assertThat((String) args.get("reason")).contains("temperature 97.0 C")
        .contains("limit of 85 C").contains("overheating");
  }

  // ---- maintenance ---------------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(LiveShell.class)
  void maintenanceStartsDropbearWithTheBootConfigsKeysAndStays(LiveShell shell)
      throws Exception {
    boot(shell, "maintenance");
    Path fakes = Files.createDirectories(temp.resolve("fakes"));
    Path dropbear = fakes.resolve("dropbear");
    Files.writeString(dropbear, "#!/bin/sh\necho \"$@\" > " + temp.resolve("dropbear.args")
        + "\n");
    Files.setPosixFilePermissions(dropbear, PosixFilePermissions.fromString("rwxr-xr-x"));
    env.put("PATH", fakes + ":" + env.get("PATH"));
    env.put("MOZPOOL_SSH_PORT", "2222");
    Files.writeString(temp.resolve("thermal"), "40000\n");
    server.bootConfig(Map.of("authorized_keys",
        "ssh-ed25519 AAAAC3Nza alice@lab\nssh-ed25519 AAAAC3Nzb bob@lab\n"));

    Process p = LiveRun.start(sh, scripts.resolve("init"), env, temp.resolve("logs"));
    try {
      Awaitility.await().atMost(Duration.ofSeconds(60))
          .until(() -> server.eventNames().contains("maint_mode") || !p.isAlive());
      assertThat(p.isAlive()).as("%s", LiveRun.result(-1, temp.resolve("logs"))).isTrue();
      assertThat(server.eventNames()).containsExactly("mobile_init_started", "maint_mode");
      assertThat(server.events().get(1).args()).containsEntry("ssh", "dropbear")
          .containsEntry("port", "2222").containsEntry("authorized_keys", "2")
          .containsEntry("temperature", "40.0");
      assertThat(Files.readString(temp.resolve("dropbear.args")).trim()).isEqualTo("-R -p 2222");
      assertThat(Files.readString(temp.resolve("home/.ssh/authorized_keys")))
          .isEqualTo("ssh-ed25519 AAAAC3Nza alice@lab\nssh-ed25519 AAAAC3Nzb bob@lab\n");
      // it stays until power-cycled
      assertThat(p.waitFor(2, TimeUnit.SECONDS)).isFalse();
    } finally {
      LiveRun.kill(p);
    }
  }

  @ParameterizedTest
  @EnumSource(LiveShell.class)
  void maintenanceWithoutAnSshServerReportsWhyAndExits(LiveShell shell) throws Exception {
    boot(shell, "maintenance");
    env.put("PATH", env.get("PATH").replace(":/usr/sbin:/sbin", ""));
    LiveTools.find("dropbear").ifPresent(d -> org.junit.jupiter.api.Assumptions.abort(
        "this machine has dropbear at " + d));
    server.bootConfig(Map.of("authorized_keys", "ssh-ed25519 AAAAC3Nza alice@lab\n"));
    org.junit.jupiter.api.Assumptions.assumeFalse(Files.exists(Path.of("/usr/sbin/sshd")),
        "this machine has /usr/sbin/sshd");

    LiveRun.Result r = run("init");

    assertThat(r.exit()).as("%s", r).isEqualTo(7);
    assertThat(server.eventNames()).containsExactly("mobile_init_started", "failed_self_test");
    assertThat((String) server.events().get(1).args().get("reason"))
        .contains("no SSH server");
  }

  // ---- init and the network ------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(LiveShell.class)
  void aServerThatKeepsFailingIsAskedABoundedNumberOfTimesThenGivenUpOn(LiveShell shell)
      throws Exception {
    boot(shell, "install-image");
    server.failEverything(503);

    LiveRun.Result r = run("init");

    assertThat(r.exit()).as("%s", r).isEqualTo(3);
    assertThat(server.calls()).isEqualTo(3);
    assertThat(r.stderr()).contains("giving up after 3 attempts")
        .contains("cannot reach the server");
  }

  @ParameterizedTest
  @EnumSource(LiveShell.class)
  void aServerThatIsNotThereIsGivenUpOnWithTheServerExitCode(LiveShell shell) throws Exception {
    boot(shell, "install-image");
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    cmdline("http://127.0.0.1:" + closedPort + "/", "install-image");

    LiveRun.Result r = run("init");

    assertThat(r.exit()).as("%s", r).isEqualTo(3);
    assertThat(r.stderr()).contains("giving up after 3 attempts");
  }

  @ParameterizedTest
  @EnumSource(LiveShell.class)
  void aWrongTokenIsNotRetried(LiveShell shell) throws Exception {
    boot(shell, "self-test");
    Files.writeString(temp.resolve("cmdline"), Files.readString(temp.resolve("cmdline"))
        .replace(TOKEN, "stolen"));

    LiveRun.Result r = run("init");

    assertThat(r.exit()).as("%s", r).isEqualTo(3);
    assertThat(server.calls()).isEqualTo(1);
    assertThat(r.stderr()).contains("401").contains("not retried");
  }

  @ParameterizedTest
  @EnumSource(LiveShell.class)
  void anUnknownTaskIsReportedAndEndsWithTheUsageExitCode(LiveShell shell) throws Exception {
    boot(shell, "dance");

    LiveRun.Result r = run("init");

    assertThat(r.exit()).as("%s", r).isEqualTo(2);
    assertThat(server.eventNames()).containsExactly("mobile_init_started", "failed_self_test");
    assertThat(server.events().get(1).args()).containsEntry("step", "task")
        .containsEntry("reason", "unknown task 'dance'");
  }

  @ParameterizedTest
  @EnumSource(LiveShell.class)
  void aKernelCommandLineWithoutTheServerCannotCallHome(LiveShell shell) throws Exception {
    boot(shell, "self-test");
    Files.writeString(temp.resolve("cmdline"), "console=ttyO2 mozpool.device=" + DEVICE + "\n");

    LiveRun.Result r = run("init");

    assertThat(r.exit()).as("%s", r).isEqualTo(2);
    assertThat(r.stderr()).contains("mozpool.server=");
    assertThat(server.calls()).isZero();
  }
}
