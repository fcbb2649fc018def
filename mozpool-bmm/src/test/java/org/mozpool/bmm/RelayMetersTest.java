package org.mozpool.bmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mozpool.testkit.relay.RelayBoardEmulator;
import org.mozpool.testkit.relay.RelayBoardEmulator.Fault;

/**
 * {@code mozpool.relay.operations} over emulated ProXR boards on loopback: every operation timed
 * once, under its board, operation and outcome.
 */
class RelayMetersTest {
  private static final Duration DEADLINE = Duration.ofSeconds(5);

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final ProxrPowerControl power = ProxrPowerControl.builder()
      .coolDown(Duration.ofMillis(10)).cycleDelay(Duration.ofMillis(10))
      .ioTimeout(Duration.ofMillis(200)).meterRegistry(registry).build();
  private final RelayBoardEmulator healthy = RelayBoardEmulator.start();
  private final RelayBoardEmulator garbage = RelayBoardEmulator.start().fault(Fault.GARBAGE);
  private final RelayBoardEmulator hung = RelayBoardEmulator.start().fault(Fault.HANG);
  private final RelayBoardEmulator stuck = RelayBoardEmulator.start().fault(Fault.STUCK);

  @AfterEach
  void close() {
    power.close();
    healthy.close();
    garbage.close();
    hung.close();
    stuck.close();
  }

  private static void await(CompletionStage<?> stage) throws Exception {
    stage.toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  private static void awaitFailure(CompletionStage<?> stage) {
    assertThatThrownBy(() -> stage.toCompletableFuture().get(20, TimeUnit.SECONDS))
        .hasCauseInstanceOf(RelayBoardException.class);
  }

  private long count(String board, String operation, String outcome) {
    Timer t = registry.find("mozpool.relay.operations").tag("board", board)
        .tag("operation", operation).tag("outcome", outcome).timer();
    return t == null ? 0 : t.count();
  }

  private long total() {
    return Search.in(registry).name("mozpool.relay.operations").timers().stream()
        .mapToLong(Timer::count).sum();
  }

  @Test
  void everyOperationIsCountedOnceUnderItsBoardAndOutcome() throws Exception {
    RelayAddress ok = RelayAddress.parse(healthy.powerAddress(1, 1));
    await(power.powerCycle(ok, DEADLINE));
    await(power.powerOff(ok, DEADLINE));
    await(power.powerOn(ok, DEADLINE));
    await(power.isPowered(ok, DEADLINE));
    await(power.testBoard(healthy.hostAndPort(), DEADLINE));
    awaitFailure(power.powerCycle(RelayAddress.parse(garbage.powerAddress(1, 2)), DEADLINE));
    awaitFailure(power.isPowered(RelayAddress.parse(hung.powerAddress(1, 3)), DEADLINE));
    awaitFailure(power.powerCycle(RelayAddress.parse(stuck.powerAddress(1, 4)), DEADLINE));

    assertThat(count(healthy.hostAndPort(), "power_cycle", "ok")).isEqualTo(1);
    assertThat(count(healthy.hostAndPort(), "power_off", "ok")).isEqualTo(1);
    assertThat(count(healthy.hostAndPort(), "power_on", "ok")).isEqualTo(1);
    assertThat(count(healthy.hostAndPort(), "status", "ok")).isEqualTo(1);
    assertThat(count(healthy.hostAndPort(), "two_way_test", "ok")).isEqualTo(1);
    assertThat(count(garbage.hostAndPort(), "power_cycle", "error")).isEqualTo(1);
    assertThat(count(hung.hostAndPort(), "status", "timeout")).isEqualTo(1);
    assertThat(count(stuck.hostAndPort(), "power_cycle", "relay_fault")).isEqualTo(1);
    assertThat(total()).isEqualTo(8);
    // the hung board held the operation for its I/O timeout
    assertThat(registry.get("mozpool.relay.operations").tag("board", hung.hostAndPort())
        .timer().totalTime(TimeUnit.MILLISECONDS)).isGreaterThanOrEqualTo(200.0);
  }

  @Test
  void aBoardThatRefusesConnectionsIsCountedAsRefused() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    String board = "127.0.0.1:" + closedPort;

    awaitFailure(power.isPowered(RelayAddress.parse("proxr://" + board + "/bank/1/relay/1"), DEADLINE));

    assertThat(count(board, "status", "refused")).isEqualTo(1);
    assertThat(total()).isEqualTo(1);
  }

  @Test
  void anOperationCalledOffWhileQueuedIsNotCounted() throws Exception {
    RelayAddress slow = RelayAddress.parse(hung.powerAddress(1, 1));
    CompletionStage<Boolean> first = power.isPowered(slow, DEADLINE);
    CompletionStage<Boolean> second = power.isPowered(slow, DEADLINE);
    assertThat(second.toCompletableFuture().cancel(false)).isTrue();

    awaitFailure(first);
    // the board's queue is FIFO: once a later operation has run, the called-off one was dropped
    awaitFailure(power.isPowered(slow, DEADLINE));

    assertThat(count(hung.hostAndPort(), "status", "timeout")).isEqualTo(2);
    assertThat(total()).isEqualTo(2);
  }
}
