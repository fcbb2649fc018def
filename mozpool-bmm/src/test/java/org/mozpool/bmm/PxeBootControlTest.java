package org.mozpool.bmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.commons.net.tftp.TFTP;
import org.apache.commons.net.tftp.TFTPClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.PxeConfig;
import org.mozpool.spi.DeviceTarget;

class PxeBootControlTest {

  @TempDir Path root;

  private static final DeviceTarget PANDA =
      new DeviceTarget("panda-0042", "panda-0042.lab", "aabbccddeeff", "panda", "");

  private static final PxeConfig LIVE = PxeConfig.of("panda-live",
      "default live\nlabel live\n  kernel http://%IPADDRESS%/panda/uImage\n"
          + "  append mozpool=http://%IPADDRESS%:8010/api/device/%DEVICE%/ token=%TOKEN% mac=%MAC% "
          + "keep=%UNKNOWN% 50%\n");

  @Test
  void writesTheConfigUnderPxelinuxCfgNamedAfterTheMac() throws Exception {
    PxeBootControl boot = new PxeBootControl(root, "10.0.0.5");

    boot.setPxeConfig(PANDA, LIVE, Map.of("DEVICE", "panda-0042", "TOKEN", "s3cret",
        "MAC", "aabbccddeeff")).toCompletableFuture().get(5, TimeUnit.SECONDS);

    Path file = root.resolve("pxelinux.cfg/01-aa-bb-cc-dd-ee-ff");
    assertThat(boot.configFile("AA:BB:CC:DD:EE:FF")).isEqualTo(file.toAbsolutePath());
    assertThat(Files.readString(file)).isEqualTo(
        "default live\nlabel live\n  kernel http://10.0.0.5/panda/uImage\n"
            + "  append mozpool=http://10.0.0.5:8010/api/device/panda-0042/ token=s3cret "
            + "mac=aabbccddeeff keep=%UNKNOWN% 50%\n");
  }

  @Test
  void substitutedValuesAreNotScannedForPlaceholdersAgain() {
    assertThat(PxeBootControl.substitute("%A% %B%", Map.of("A", "%B%", "B", "b")))
        .isEqualTo("%B% b");
  }

  @Test
  void rewritingReplacesTheWholeFileAndLeavesNoTemporaryFiles() throws Exception {
    PxeBootControl boot = new PxeBootControl(root, "10.0.0.5");
    boot.writeConfig("aabbccddeeff", "a very long first config ".repeat(100), Map.of());

    boot.setPxeConfig(PANDA, PxeConfig.of("short", "short"), Map.of())
        .toCompletableFuture().get(5, TimeUnit.SECONDS);

    try (var files = Files.list(root.resolve("pxelinux.cfg"))) {
      assertThat(files).extracting(p -> p.getFileName().toString())
          .containsExactly("01-aa-bb-cc-dd-ee-ff");
    }
    assertThat(Files.readString(boot.configFile("aabbccddeeff"))).isEqualTo("short");
  }

  @Test
  void clearRemovesTheConfigAndIsIdempotent() throws Exception {
    PxeBootControl boot = new PxeBootControl(root, "10.0.0.5");
    boot.setPxeConfig(PANDA, LIVE, Map.of()).toCompletableFuture().get(5, TimeUnit.SECONDS);

    boot.clearPxeConfig(PANDA).toCompletableFuture().get(5, TimeUnit.SECONDS);
    boot.clearPxeConfig(PANDA).toCompletableFuture().get(5, TimeUnit.SECONDS);

    assertThat(root.resolve("pxelinux.cfg/01-aa-bb-cc-dd-ee-ff")).doesNotExist();
    assertThat(boot.clearConfig("aa-bb-cc-dd-ee-ff")).isFalse();
  }

  @Test
  void aFailedWriteCompletesTheStageExceptionally() throws Exception {
    Files.writeString(root.resolve("pxelinux.cfg"), "a file where the directory should be");
    PxeBootControl boot = new PxeBootControl(root, "10.0.0.5");

    assertThat(boot.setPxeConfig(PANDA, LIVE, Map.of()).toCompletableFuture())
        .failsWithin(Duration.ofSeconds(5))
        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .withMessageContaining("cannot write PXE config");
  }

  @Test
  void aBadMacIsRejected() {
    PxeBootControl boot = new PxeBootControl(root, "10.0.0.5");
    assertThatThrownBy(() -> boot.configFile("not-a-mac"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("MAC address must be 12 hex digits");
  }

  @Test
  void aBoardFetchesTheWrittenConfigThroughTheTftpServer() throws Exception {
    PxeBootControl boot = new PxeBootControl(root, "127.0.0.1");
    boot.setPxeConfig(PANDA, LIVE, Map.of("DEVICE", "panda-0042", "TOKEN", "t"))
        .toCompletableFuture().get(5, TimeUnit.SECONDS);

    try (TftpServer tftp = TftpServer.builder(root).port(0).build().start()) {
      TFTPClient client = new TFTPClient();
      client.setDefaultTimeout(Duration.ofSeconds(2));
      client.open();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      client.receiveFile("pxelinux.cfg/01-aa-bb-cc-dd-ee-ff", TFTP.BINARY_MODE, out,
          InetAddress.getLoopbackAddress(), tftp.port());
      client.close();
      assertThat(out.toString(StandardCharsets.UTF_8))
          .contains("kernel http://127.0.0.1/panda/uImage");
    }
  }
}
