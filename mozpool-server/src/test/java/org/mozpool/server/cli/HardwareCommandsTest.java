package org.mozpool.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.testkit.relay.RelayBoardEmulator;

/** The one {@code mozpool} carries mozpool-bmm's hardware commands beside its own. */
@Timeout(30)
class HardwareCommandsTest {

  @TempDir Path temp;

  @Test
  void theRootListsEveryCommandAndWantsOne() {
    CliRun help = CliRun.run(Map.of(), "--help");
    assertThat(help.exit()).isZero();
    assertThat(help.out()).contains("server", "device", "request", "relay", "pxe", "tftp",
        "Exit codes: 0 ok, 1 failed or refused");

    CliRun none = CliRun.run(Map.of());
    assertThat(none.exit()).isEqualTo(MozpoolCommand.USAGE);
    assertThat(none.err()).contains("a command is required: server, device, request, relay,"
        + " pxe or tftp");
  }

  @Test
  void relayStatusReachesABoardThroughTheServersCli() {
    try (RelayBoardEmulator board = RelayBoardEmulator.start()) {
      CliRun run = CliRun.run(Map.of(), "relay", "status", board.hostAndPort(), "2", "3");
      assertThat(run.exit()).isZero();
      assertThat(run.out()).isEqualTo("bank 2, relay 3: device on" + System.lineSeparator());

      CliRun outOfRange = CliRun.run(Map.of(), "relay", "status", board.hostAndPort(), "9", "3");
      assertThat(outOfRange.exit()).isEqualTo(MozpoolCommand.USAGE);
    }
  }

  @Test
  void pxeSetAndClearWriteTheDevicesConfig() throws Exception {
    Path config = Files.writeString(temp.resolve("live.cfg"), "append ip=%IPADDRESS%\n");
    CliRun set = CliRun.run(Map.of(), "pxe", "set", "--root", temp.toString(), "--mac",
        "aa:bb:cc:dd:ee:ff", "--config", config.toString(), "--ip", "10.0.0.1");
    assertThat(set.exit()).isZero();
    Path written = temp.resolve("pxelinux.cfg/01-aa-bb-cc-dd-ee-ff");
    assertThat(Files.readString(written)).isEqualTo("append ip=10.0.0.1\n");

    CliRun clear = CliRun.run(Map.of(), "pxe", "clear", "--root", temp.toString(), "--mac",
        "aabbccddeeff");
    assertThat(clear.exit()).isZero();
    assertThat(written).doesNotExist();
  }
}
