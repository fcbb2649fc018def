package org.mozpool.bmm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.net.tftp.TFTP;
import org.apache.commons.net.tftp.TFTPClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.testkit.relay.RelayBoardEmulator;
import org.mozpool.testkit.relay.RelayBoardEmulator.Fault;
import picocli.CommandLine;

@Timeout(30)
class MozpoolCliTest {

  private final RelayBoardEmulator board = RelayBoardEmulator.start();
  @TempDir Path temp;

  @AfterEach
  void stop() {
    board.close();
  }

  record Run(int exit, String out, String err) {}

  private static CommandLine commandLine(StringWriter out, StringWriter err) {
    CommandLine cli = new CommandLine(new MozpoolCli(
        b -> b.cycleDelay(Duration.ofMillis(30)).coolDown(Duration.ofMillis(30))));
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    return cli;
  }

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = commandLine(out, err).execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  private String board() {
    return board.hostAndPort();
  }

  @Test
  void relayPowercyclePrintsOkAndExitsZero() {
    Run run = run("relay", "powercycle", board(), "2", "3");

    assertThat(run.exit()).isZero();
    assertThat(run.out()).isEqualTo("OK" + System.lineSeparator());
    assertThat(board.commandsHex()).containsExactly("fe 6e 02", "fe 76 02", "fe 66 02", "fe 76 02");
  }

  @Test
  void relayStatusSpeaksOfTheDevice() {
    assertThat(run("relay", "status", board(), "2", "3").out())
        .isEqualTo("bank 2, relay 3: device on" + System.lineSeparator());
    board.setRelay(2, 3, true);
    Run run = run("relay", "status", board(), "2", "3", "--timeout", "5");
    assertThat(run.exit()).isZero();
    assertThat(run.out()).isEqualTo("bank 2, relay 3: device off" + System.lineSeparator());
  }

  @Test
  void turnoffPowersTheDeviceOffByTurningItsRelayOnAndTurnonTheReverse() {
    Run off = run("relay", "turnoff", board(), "1", "8");
    assertThat(off.exit()).isZero();
    assertThat(off.out()).startsWith("OK");
    assertThat(board.devicePowered(1, 8)).isFalse();
    assertThat(board.relayOn(1, 8)).isTrue();

    Run on = run("relay", "turnon", board(), "1", "8");
    assertThat(on.exit()).isZero();
    assertThat(board.devicePowered(1, 8)).isTrue();
  }

  @Test
  void relayTestRunsTheTwoWayTest() {
    Run run = run("relay", "test", board());

    assertThat(run.exit()).isZero();
    assertThat(run.out()).startsWith("OK");
    assertThat(board.commandsHex()).containsExactly("fe 21");
  }

  @Test
  void aHungBoardPrintsFailedWithinTheTimeoutAndExitsOne() {
    board.fault(Fault.HANG);
    long start = System.nanoTime();

    Run run = run("relay", "powercycle", board(), "1", "1", "--timeout", "1");

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.out()).startsWith("FAILED: ").contains("bank 1 relay 1");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
  }

  @Test
  void aGarbageAnsweringBoardFailsEveryCommand() {
    board.fault(Fault.GARBAGE);

    assertThat(run("relay", "status", board(), "1", "1").out()).startsWith("FAILED: ");
    assertThat(run("relay", "turnon", board(), "1", "1").exit()).isEqualTo(1);
    Run test = run("relay", "test", board());
    assertThat(test.exit()).isEqualTo(1);
    assertThat(test.out()).startsWith("FAILED: ").contains("two-way test");
  }

  @Test
  void anUnreachableBoardFails() {
    String address = board();
    board.close();

    Run run = run("relay", "test", address, "--timeout", "2");

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.out()).startsWith("FAILED: ");
  }

  @Test
  void badArgumentsExitTwoWithAMessage() {
    Run bank = run("relay", "status", board(), "5", "1");
    assertThat(bank.exit()).isEqualTo(2);
    assertThat(bank.err()).contains("bank must be 1..4, got 5");
    assertThat(board.commands()).isEmpty();

    assertThat(run("relay", "status", board(), "1", "9").err()).contains("relay must be 1..8, got 9");
    assertThat(run("relay", "status", board(), "1").exit()).isEqualTo(2);
    assertThat(run("relay", "status", board(), "one", "1").exit()).isEqualTo(2);
    assertThat(run("relay", "status", "host:notaport", "1", "1").exit()).isEqualTo(2);
    assertThat(run("relay", "status", board(), "1", "1", "--timeout", "0").exit()).isEqualTo(2);
    assertThat(run("relay", "explode", board(), "1", "1").exit()).isEqualTo(2);
    assertThat(run("relay").exit()).isEqualTo(2);
    assertThat(run().exit()).isEqualTo(2);
    assertThat(run("--help").exit()).isZero();
  }

  @Test
  void pxeSetWritesTheConfigWithTheAddressSubstitutedAndClearRemovesIt() throws Exception {
    Path root = Files.createDirectories(temp.resolve("tftp"));
    Path config = Files.writeString(temp.resolve("live.cfg"),
        "default live\nappend server=%IPADDRESS% mac=%MAC%\n");

    Run set = run("pxe", "set", "--root", root.toString(), "--mac", "AA:BB:CC:DD:EE:FF",
        "--config", config.toString(), "--ip", "10.1.2.3");

    Path file = root.resolve("pxelinux.cfg/01-aa-bb-cc-dd-ee-ff");
    assertThat(set.exit()).isZero();
    assertThat(set.out()).startsWith("OK: wrote ").contains("01-aa-bb-cc-dd-ee-ff");
    assertThat(Files.readString(file))
        .isEqualTo("default live\nappend server=10.1.2.3 mac=aabbccddeeff\n");

    Run clear = run("pxe", "clear", "--root", root.toString(), "--mac", "aabbccddeeff");
    assertThat(clear.exit()).isZero();
    assertThat(clear.out()).startsWith("OK: removed");
    assertThat(file).doesNotExist();
    Run again = run("pxe", "clear", "--root", root.toString(), "--mac", "aabbccddeeff");
    assertThat(again.exit()).isZero();
    assertThat(again.out()).startsWith("OK: no config");
  }

  @Test
  void pxeWithBadArgumentsExitsTwo() throws Exception {
    Path config = Files.writeString(temp.resolve("live.cfg"), "default live\n");
    Run badMac = run("pxe", "set", "--root", temp.toString(), "--mac", "zz", "--config",
        config.toString());
    assertThat(badMac.exit()).isEqualTo(2);
    assertThat(badMac.err()).contains("MAC address must be 12 hex digits");
    assertThat(run("pxe", "set", "--root", temp.toString(), "--mac", "aabbccddeeff", "--config",
        temp.resolve("missing.cfg").toString()).exit()).isEqualTo(2);
    assertThat(run("pxe", "set", "--root", temp.toString(), "--mac", "aabbccddeeff").exit())
        .isEqualTo(2);
    assertThat(run("pxe", "clear", "--mac", "aabbccddeeff").exit()).isEqualTo(2);
  }

  @Test
  void tftpServeServesTheRootUntilInterrupted() throws Exception {
    Path root = Files.createDirectories(temp.resolve("tftp"));
    Files.writeString(root.resolve("hello.txt"), "hello board");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    AtomicInteger exit = new AtomicInteger(-1);
    Thread serving = new Thread(() -> exit.set(commandLine(out, err)
        .execute("tftp", "serve", "--root", root.toString(), "--port", "0", "--bind", "127.0.0.1")));
    serving.start();

    Pattern listening = Pattern.compile("serving .* on 127\\.0\\.0\\.1:(\\d+)");
    Matcher m = listening.matcher("");
    for (int i = 0; i < 200 && !m.find(); i++) {
      Thread.sleep(25);
      m = listening.matcher(out.toString());
    }
    assertThat(m.find(0)).as("server announced its port: %s %s", out, err).isTrue();
    int port = Integer.parseInt(m.group(1));

    TFTPClient client = new TFTPClient();
    client.setDefaultTimeout(Duration.ofSeconds(2));
    client.open();
    ByteArrayOutputStream file = new ByteArrayOutputStream();
    client.receiveFile("hello.txt", TFTP.BINARY_MODE, file, InetAddress.getLoopbackAddress(), port);
    client.close();
    assertThat(file.toString()).isEqualTo("hello board");

    serving.interrupt();
    serving.join(5000);
    assertThat(serving.isAlive()).isFalse();
    assertThat(exit.get()).isZero();
    assertThat(out.toString()).contains("stopped");
  }

  @Test
  void tftpServeWithAMissingRootExitsTwo() {
    Run run = run("tftp", "serve", "--root", temp.resolve("nope").toString(), "--port", "0");
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains("is not a directory");
  }
}
