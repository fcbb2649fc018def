package org.mozpool.bmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mozpool.spi.DeviceTarget;
import org.mozpool.testkit.relay.RelayBoardEmulator;

/**
 * Several instances on one lab (DESIGN §9): each sends from its own source address, and an
 * instance whose interlock is open (its heartbeat lapsed) writes nothing to any board.
 */
@Timeout(30)
class ProxrSourceAndInterlockTest {

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

  private ProxrPowerControl power(ProxrPowerControl.Builder builder) {
    ProxrPowerControl power = builder.coolDown(Duration.ZERO).cycleDelay(Duration.ofMillis(10))
        .build();
    closeables.add(power);
    return power;
  }

  private static DeviceTarget device(String name, String powerAddress) {
    return new DeviceTarget(name, name + ".lab", "aabbccddeeff", "panda", powerAddress);
  }

  private static <T> T await(java.util.concurrent.CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  @Test
  void everyCommandComesFromTheConfiguredSourceAddress() throws Exception {
    RelayBoardEmulator board = board();
    InetAddress first = InetAddress.getByName("127.0.1.3");
    InetAddress second = InetAddress.getByName("127.0.1.4");

    await(power(ProxrPowerControl.builder().localAddress(first))
        .powerCycle(device("panda-1", board.powerAddress(1, 1)), DEADLINE));
    assertThat(board.awaitIdle(Duration.ofSeconds(5))).isTrue();
    await(power(ProxrPowerControl.builder().localAddress(second))
        .powerOff(device("panda-2", board.powerAddress(1, 2)), DEADLINE));

    assertThat(board.commands()).hasSize(6);
    assertThat(board.commands().subList(0, 4)).allSatisfy(c -> assertThat(c.sender())
        .isEqualTo(first));
    assertThat(board.commands().subList(4, 6)).allSatisfy(c -> assertThat(c.sender())
        .isEqualTo(second));
  }

  @Test
  void anOpenInterlockWritesNothingAndSaysWhy() throws Exception {
    RelayBoardEmulator board = board();
    AtomicInteger asked = new AtomicInteger();
    ProxrPowerControl power = power(ProxrPowerControl.builder().interlock(() -> {
      asked.incrementAndGet();
      return false;
    }));

    assertThatThrownBy(() -> await(power.powerCycle(device("panda-1", board.powerAddress(1, 1)),
        DEADLINE)))
        .isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(RelayBoardException.class)
        .hasMessageContaining("interlock is open")
        .hasMessageContaining("panda-1")
        .hasMessageContaining("may not act");
    assertThat(board.awaitIdle(Duration.ofSeconds(5))).isTrue();

    assertThat(asked.get()).isEqualTo(1);
    assertThat(board.commands()).isEmpty();
    assertThat(board.devicePowered(1, 1)).isTrue();
  }

  @Test
  void theInterlockIsAskedBeforeEveryCommandNotOnlyTheFirst() throws Exception {
    RelayBoardEmulator board = board();
    AtomicBoolean mayAct = new AtomicBoolean(true);
    // the interlock opens once the relay has been switched on (the device is off)
    board.addListener((bank, relay, on) -> {
      if (on) {
        mayAct.set(false);
      }
    });
    ProxrPowerControl power = power(ProxrPowerControl.builder().interlock(mayAct::get));

    assertThatThrownBy(() -> await(power.powerCycle(device("panda-1", board.powerAddress(1, 1)),
        DEADLINE)))
        .cause().isInstanceOf(RelayBoardException.class)
        .hasMessageContaining("interlock is open")
        .hasMessageContaining("relay read not sent");
    assertThat(board.awaitIdle(Duration.ofSeconds(5))).isTrue();

    assertThat(board.commandsHex()).containsExactly("fe 6c 01");
  }

  @Test
  void anInterlockThatThrowsCountsAsOpen() throws Exception {
    RelayBoardEmulator board = board();
    ProxrPowerControl power = power(ProxrPowerControl.builder().interlock(() -> {
      throw new IllegalStateException("no fence yet");
    }));

    assertThatThrownBy(() -> await(power.isPowered(device("panda-1", board.powerAddress(1, 1)),
        DEADLINE)))
        .cause().isInstanceOf(RelayBoardException.class)
        .hasMessageContaining("interlock is open")
        .hasMessageContaining("no fence yet");
    assertThat(board.awaitIdle(Duration.ofSeconds(5))).isTrue();
    assertThat(board.commands()).isEmpty();
  }

  @Test
  void aClosedInterlockLetsCommandsThrough() throws Exception {
    RelayBoardEmulator board = board();
    AtomicInteger asked = new AtomicInteger();
    ProxrPowerControl power = power(ProxrPowerControl.builder().interlock(() -> {
      asked.incrementAndGet();
      return true;
    }));

    await(power.powerCycle(device("panda-1", board.powerAddress(1, 1)), DEADLINE));

    assertThat(board.commands()).hasSize(4);
    assertThat(asked.get()).isEqualTo(4);
  }

  @Test
  void settingsAreCheckedAtOnce() {
    assertThatThrownBy(() -> ProxrPowerControl.builder().interlock(null))
        .isInstanceOf(NullPointerException.class).hasMessageContaining("interlock");
    assertThatThrownBy(() -> ProxrPowerControl.builder().localAddress(null))
        .isInstanceOf(NullPointerException.class).hasMessageContaining("localAddress");
  }
}
