package org.mozpool.bmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mozpool.spi.DeviceTarget;
import org.mozpool.spi.RelayFaultException;
import org.mozpool.testkit.relay.RelayBoardEmulator;
import org.mozpool.testkit.relay.RelayBoardEmulator.Fault;

@Timeout(30)
class ProxrPowerControlTest {

  private static final Duration COOL_DOWN = Duration.ofMillis(30);
  private static final Duration CYCLE_DELAY = Duration.ofMillis(30);
  private static final Duration DEADLINE = Duration.ofSeconds(5);

  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    Collections.reverse(closeables);
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private RelayBoardEmulator board() {
    RelayBoardEmulator board = RelayBoardEmulator.start();
    closeables.add(board);
    return board;
  }

  private ProxrPowerControl power() {
    return power(b -> b);
  }

  private ProxrPowerControl power(
      java.util.function.UnaryOperator<ProxrPowerControl.Builder> settings) {
    ProxrPowerControl power = settings.apply(
        ProxrPowerControl.builder().coolDown(COOL_DOWN).cycleDelay(CYCLE_DELAY)).build();
    closeables.add(power);
    return power;
  }

  private static <T> T await(java.util.concurrent.CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  private static DeviceTarget device(String name, String powerAddress) {
    return new DeviceTarget(name, name + ".lab", "aabbccddeeff", "panda", powerAddress);
  }

  @Test
  void powerCycleSendsTheExactProxrByteSequenceOnOneConnection() throws Exception {
    RelayBoardEmulator board = board();
    List<String> changes = Collections.synchronizedList(new ArrayList<>());
    board.addListener((bank, relay, on) -> changes.add(bank + "/" + relay + (on ? " on" : " off")));

    await(power().powerCycle(device("panda-1", board.powerAddress(2, 5)), DEADLINE));
    assertThat(board.awaitIdle(Duration.ofSeconds(5))).isTrue();

    // relay 5 of bank 2: on = FE 107+5 02, read = FE 115+5 02, off = FE 99+5 02
    assertThat(board.commandsHex()).containsExactly("fe 70 02", "fe 78 02", "fe 68 02", "fe 78 02");
    assertThat(board.connections()).hasSize(1);
    assertThat(changes).containsExactly("2/5 on", "2/5 off");
    assertThat(board.devicePowered(2, 5)).isTrue();
  }

  @Test
  void powerCycleKeepsTheDeviceUnpoweredForTheCycleDelay() throws Exception {
    RelayBoardEmulator board = board();
    ProxrPowerControl power = power(b -> b.cycleDelay(Duration.ofMillis(200)));

    await(power.powerCycle(RelayAddress.parse(board.powerAddress(1, 1)), DEADLINE));

    List<RelayBoardEmulator.Command> commands = board.commands();
    long unpoweredNanos = commands.get(2).receivedNanos() - commands.get(0).receivedNanos();
    assertThat(Duration.ofNanos(unpoweredNanos)).isGreaterThanOrEqualTo(Duration.ofMillis(200));
  }

  @Test
  void statusReportsTheDevicePoweredWhenItsRelayIsOff() throws Exception {
    RelayBoardEmulator board = board();
    ProxrPowerControl power = power();
    DeviceTarget device = device("panda-1", board.powerAddress(3, 8));

    assertThat(await(power.isPowered(device, DEADLINE))).isTrue();
    board.setRelay(3, 8, true);
    assertThat(await(power.isPowered(device, DEADLINE))).isFalse();
    assertThat(board.commandsHex()).containsExactly("fe 7b 03", "fe 7b 03");
  }

  @Test
  void powerOffTurnsTheRelayOnAndPowerOnTurnsItOffBecauseBoardsAreNormallyClosed()
      throws Exception {
    RelayBoardEmulator board = board();
    ProxrPowerControl power = power();
    DeviceTarget device = device("panda-1", "127.0.0.1:" + board.port() + ":bank1:relay3");

    await(power.powerOff(device, DEADLINE));
    assertThat(board.relayOn(1, 3)).isTrue();
    await(power.powerOn(device, DEADLINE));
    assertThat(board.relayOn(1, 3)).isFalse();
    assertThat(board.commandsHex()).containsExactly("fe 6e 01", "fe 76 01", "fe 66 01", "fe 76 01");
  }

  @Test
  void twoWayTestSendsFe21AndExpects55() throws Exception {
    RelayBoardEmulator board = board();

    await(power().testBoard(board.hostAndPort(), DEADLINE));

    assertThat(board.commandsHex()).containsExactly("fe 21");
  }

  @Test
  void hungBoardFailsWithinItsDeadlineNamingBoardBankAndRelay() {
    RelayBoardEmulator board = board().fault(Fault.HANG);
    long start = System.nanoTime();

    CompletableFuture<Void> cycle = power()
        .powerCycle(device("panda-7", board.powerAddress(2, 4)), Duration.ofMillis(300))
        .toCompletableFuture();

    assertThatThrownBy(() -> cycle.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(RelayBoardException.class)
        .hasMessageContaining("relay board " + board.hostAndPort() + " bank 2 relay 4")
        .hasMessageContaining("panda-7")
        .hasMessageContaining("deadline of PT0.3S passed");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
  }

  @Test
  void hungBoardFailsAtTheIoTimeoutWhenTheDeadlineIsLonger() {
    RelayBoardEmulator board = board().fault(Fault.HANG);
    ProxrPowerControl power = power(b -> b.ioTimeout(Duration.ofMillis(100)));

    assertThatThrownBy(() -> await(power.isPowered(RelayAddress.parse(board.powerAddress(1, 1)),
        DEADLINE)))
        .cause()
        .hasMessageContaining("no answer to relay read within PT0.1S");
  }

  @Test
  void garbageAnsweringBoardFailsNamingBoardBankAndRelay() {
    RelayBoardEmulator board = board().fault(Fault.GARBAGE);

    CompletableFuture<Void> cycle = power()
        .powerCycle(device("panda-8", board.powerAddress(1, 6)), Duration.ofSeconds(2))
        .toCompletableFuture();

    assertThatThrownBy(() -> cycle.get(10, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(RelayBoardException.class)
        .hasMessageContaining("bank 1 relay 6")
        .hasMessageContaining("board answered 0x42 to relay-on, expected 0x55");
    assertThatThrownBy(() -> await(power().testBoard(board.hostAndPort(), DEADLINE)))
        .cause().hasMessageContaining("two-way test failed");
  }

  @Test
  void aRelayThatDoesNotSwitchFailsTheReadBack() {
    RelayBoardEmulator board = board().fault(Fault.STUCK);

    assertThatThrownBy(() -> await(power().powerCycle(RelayAddress.parse(board.powerAddress(4, 8)),
        DEADLINE)))
        .cause()
        .isInstanceOf(RelayBoardException.class)
        .hasMessageContaining("bank 4 relay 8")
        .hasMessageContaining("relay reads off after switching it on");
    assertThat(board.commandsHex()).containsExactly("fe 73 04", "fe 7b 04");
  }

  @Test
  void relayThatReadsBackTheWrongStateIsARelayFaultOfItsDeviceAndItsNeighbourStillCycles()
      throws Exception {
    RelayBoardEmulator board = board().flakyRelay(2, 3, 1.0, 1);
    ProxrPowerControl power = power();

    assertThatThrownBy(() -> await(power.powerCycle(device("panda-7", board.powerAddress(2, 3)),
        DEADLINE)))
        .cause()
        .isInstanceOf(RelayBoardException.class)
        .hasMessageContaining("bank 2 relay 3")
        .hasMessageContaining("relay reads off after switching it on")
        .satisfies(e -> assertThat(RelayFaultException.isRelayFault(e)).isTrue())
        .cause()
        .isInstanceOf(RelayFaultException.class)
        .satisfies(e -> assertThat(((RelayFaultException) e).device()).contains("panda-7"));
    await(power.powerCycle(device("panda-8", board.powerAddress(2, 4)), DEADLINE));
    assertThat(board.relayOn(2, 4)).isFalse();
  }

  @Test
  void boardThatAnswersGarbageOrRefusesIsNotARelayFault() {
    RelayBoardEmulator garbage = board().fault(Fault.GARBAGE);
    RelayBoardEmulator refusing = board().fault(Fault.REFUSE);

    for (RelayBoardEmulator board : List.of(garbage, refusing)) {
      assertThatThrownBy(() -> await(power().powerCycle(
          device("panda-1", board.powerAddress(1, 1)), DEADLINE)))
          .cause()
          .isInstanceOf(RelayBoardException.class)
          .satisfies(e -> assertThat(RelayFaultException.isRelayFault(e)).isFalse());
    }
  }

  @Test
  void theEmulatedBoardTurnsAwayASecondConnectionSoABreachWouldShow() throws Exception {
    RelayBoardEmulator board = board();
    try (java.net.Socket first = new java.net.Socket(board.host(), board.port());
        java.net.Socket second = new java.net.Socket(board.host(), board.port())) {
      second.setSoTimeout(2000);
      assertThat(second.getInputStream().read()).isEqualTo(-1);
      first.getOutputStream().write(new byte[] {(byte) 0xFE, 0x21});
      assertThat(first.getInputStream().read()).isEqualTo(0x55);
    }
    assertThat(board.maxConcurrentConnections()).isEqualTo(2);
    assertThat(board.rejectedConnections()).isEqualTo(1);
  }

  @Test
  void boardThatClosesTheConnectionEarlyFails() {
    RelayBoardEmulator board = board().fault(Fault.REFUSE);

    assertThatThrownBy(() -> await(power().powerCycle(RelayAddress.parse(board.powerAddress(1, 2)),
        DEADLINE)))
        .cause()
        .isInstanceOf(RelayBoardException.class)
        .satisfies(e -> {
          RelayBoardException r = (RelayBoardException) e;
          assertThat(r.board()).isEqualTo(board.hostAndPort());
          assertThat(r.bank()).isEqualTo(1);
          assertThat(r.relay()).isEqualTo(2);
        });
  }

  @Test
  void boardThatRefusesConnectionsFails() {
    RelayBoardEmulator board = board();
    String address = board.powerAddress(1, 1);
    board.close();

    assertThatThrownBy(() -> await(power().powerCycle(RelayAddress.parse(address), DEADLINE)))
        .cause()
        .isInstanceOf(RelayBoardException.class)
        .hasMessageContaining("bank 1 relay 1")
        .hasMessageContaining("power cycle failed");
  }

  @Test
  void fourteenDevicesOfOneChassisPowerCycledAtOnceAllSucceedInFifoOrder() throws Exception {
    RelayBoardEmulator board = board();
    ProxrPowerControl power = power();
    // each cycle takes ~30 ms plus a 30 ms cool-down, so the last one waits far longer in the
    // queue than its deadline: the deadline must count from when it reaches the board
    Duration deadline = Duration.ofMillis(400);
    List<CompletableFuture<Void>> cycles = new ArrayList<>();
    List<String> expectedRelayOns = new ArrayList<>();
    List<Integer> completionOrder = Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i < 14; i++) {
      int bank = 1 + i / 8;
      int relay = 1 + i % 8;
      int index = i;
      CompletableFuture<Void> f = power
          .powerCycle(device("panda-" + i, board.powerAddress(bank, relay)), deadline)
          .toCompletableFuture();
      cycles.add(f.whenComplete((v, e) -> completionOrder.add(index)));
      expectedRelayOns.add(String.format("fe %02x %02x", 107 + relay, bank));
    }
    long start = System.nanoTime();
    CompletableFuture.allOf(cycles.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
    assertThat(board.awaitIdle(Duration.ofSeconds(5))).isTrue();

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(deadline);
    assertThat(board.commandsHex().stream().filter(c -> {
      int op = Integer.parseInt(c.substring(3, 5), 16);
      return op >= 108 && op <= 115;
    })).containsExactlyElementsOf(expectedRelayOns);
    assertThat(completionOrder).isSorted().hasSize(14);
    assertThat(board.connections()).hasSize(14).allMatch(RelayBoardEmulator.Connection::served);
    assertThat(board.maxConcurrentConnections()).isEqualTo(1);
  }

  @Test
  void twoBoardsWorkInParallel() throws Exception {
    RelayBoardEmulator a = board();
    RelayBoardEmulator b = board();
    ProxrPowerControl power = power(s -> s.cycleDelay(Duration.ofMillis(400)));

    CompletableFuture<Void> ca = power.powerCycle(RelayAddress.parse(a.powerAddress(1, 1)), DEADLINE)
        .toCompletableFuture();
    CompletableFuture<Void> cb = power.powerCycle(RelayAddress.parse(b.powerAddress(1, 1)), DEADLINE)
        .toCompletableFuture();
    CompletableFuture.allOf(ca, cb).get(20, TimeUnit.SECONDS);

    // each board switched its relay on before the other switched its relay back off
    long aOn = a.commands().get(0).receivedNanos();
    long aOff = a.commands().get(2).receivedNanos();
    long bOn = b.commands().get(0).receivedNanos();
    long bOff = b.commands().get(2).receivedNanos();
    assertThat(aOn).isLessThan(bOff);
    assertThat(bOn).isLessThan(aOff);
  }

  @Test
  void theOneConnectionRuleAndTheCoolDownAreRespected() throws Exception {
    // the emulator closes connections that come less than half our cool-down after the last one
    RelayBoardEmulator board = board().requireCoolDown(COOL_DOWN.dividedBy(2));
    ProxrPowerControl power = power();
    List<CompletableFuture<?>> ops = new ArrayList<>();
    for (int i = 1; i <= 8; i++) {
      RelayAddress relay = RelayAddress.parse(board.powerAddress(1, i));
      ops.add(power.powerCycle(relay, DEADLINE).toCompletableFuture());
      ops.add(power.isPowered(relay, DEADLINE).toCompletableFuture());
    }
    ops.add(power.testBoard(board.hostAndPort(), DEADLINE).toCompletableFuture());
    CompletableFuture.allOf(ops.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
    assertThat(board.awaitIdle(Duration.ofSeconds(5))).isTrue();

    assertThat(board.maxConcurrentConnections()).isEqualTo(1);
    assertThat(board.rejectedConnections()).isZero();
    List<RelayBoardEmulator.Connection> connections = board.connections();
    assertThat(connections).hasSize(17);
    for (int i = 1; i < connections.size(); i++) {
      assertThat(connections.get(i).openedNanos()).isGreaterThan(connections.get(i - 1).closedNanos());
    }
  }

  @Test
  void defaultsAreAOneSecondCoolDownAndAOneSecondCycleDelay() throws Exception {
    RelayBoardEmulator board = board();
    ProxrPowerControl power = ProxrPowerControl.create();
    closeables.add(power);
    RelayAddress relay = RelayAddress.parse(board.powerAddress(1, 1));

    CompletableFuture<Void> first = power.powerCycle(relay, DEADLINE).toCompletableFuture();
    CompletableFuture<Boolean> second = power.isPowered(relay, DEADLINE).toCompletableFuture();
    assertThat(second.get(20, TimeUnit.SECONDS)).isTrue();
    assertThat(first).isCompleted();
    assertThat(board.awaitIdle(Duration.ofSeconds(5))).isTrue();

    List<RelayBoardEmulator.Command> commands = board.commands();
    assertThat(Duration.ofNanos(commands.get(2).receivedNanos() - commands.get(0).receivedNanos()))
        .isGreaterThanOrEqualTo(Duration.ofMillis(1000));
    List<RelayBoardEmulator.Connection> connections = board.connections();
    assertThat(Duration.ofNanos(connections.get(1).openedNanos() - connections.get(0).closedNanos()))
        .isGreaterThanOrEqualTo(Duration.ofMillis(950));
  }

  @Test
  void closeFailsQueuedOperationsAndLaterOnes() throws Exception {
    RelayBoardEmulator board = board().fault(Fault.HANG);
    ProxrPowerControl power = power();
    RelayAddress relay = RelayAddress.parse(board.powerAddress(1, 1));
    CompletableFuture<Void> running = power.powerCycle(relay, DEADLINE).toCompletableFuture();
    CompletableFuture<Void> queued = power.powerCycle(relay, DEADLINE).toCompletableFuture();
    Thread.sleep(100);

    long start = System.nanoTime();
    power.close();
    power.close();

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    assertThatThrownBy(() -> running.get(5, TimeUnit.SECONDS)).cause()
        .isInstanceOf(RelayBoardException.class);
    assertThatThrownBy(() -> queued.get(5, TimeUnit.SECONDS)).cause()
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> await(power.powerCycle(relay, DEADLINE))).cause()
        .hasMessageContaining("closed");
    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(t -> t.getName().equals("proxr-" + board.hostAndPort()));
  }

  @Test
  void deviceWithABadPowerAddressFailsWithAClearError() {
    ProxrPowerControl power = power();

    assertThatThrownBy(() -> await(power.powerCycle(device("panda-9", "127.0.0.1:bank9:relay1"),
        DEADLINE)))
        .cause()
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("device panda-9")
        .hasMessageContaining("bank must be 1..4, got 9");
    assertThatThrownBy(() -> await(power.powerCycle(device("panda-9", ""), DEADLINE)))
        .cause()
        .hasMessageContaining("device panda-9");
  }

  @Test
  void theBuilderRefusesABadDurationAtOnceNamingTheSetting() {
    ProxrPowerControl.Builder b = ProxrPowerControl.builder();
    assertThatThrownBy(() -> b.coolDown(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("cool-down must not be negative, got PT-1S");
    assertThatThrownBy(() -> b.cycleDelay(null))
        .isInstanceOf(NullPointerException.class).hasMessage("cycle delay");
    assertThatThrownBy(() -> b.connectTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("connect timeout must be positive, got PT0S");
    assertThatThrownBy(() -> b.ioTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("I/O timeout must be positive, got PT0S");
    b.coolDown(Duration.ZERO).cycleDelay(Duration.ZERO).build().close();
  }
}
