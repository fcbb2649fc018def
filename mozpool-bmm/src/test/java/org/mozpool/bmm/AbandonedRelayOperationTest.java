package org.mozpool.bmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mozpool.DeviceSpec;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.core.VirtualTimekeeper;
import org.mozpool.core.internal.MachineEngine;
import org.mozpool.core.internal.MachineState;
import org.mozpool.core.internal.Step;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.DeviceTarget;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;
import org.mozpool.testkit.relay.RelayBoardEmulator;
import org.mozpool.testkit.relay.RelayBoardEmulator.Fault;

/**
 * Issue 11, "phantom power cycles": a power cycle whose caller gave up while its relay board hung
 * must not run when the board recovers. Real loopback sockets for the board; virtual time for the
 * state machines' deadlines.
 */
@Timeout(30)
class AbandonedRelayOperationTest {

  /** Long enough that nothing here ends by a real-time timeout: the test ends the hang. */
  private static final Duration LONG = Duration.ofSeconds(20);
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final RelayBoardEmulator board = RelayBoardEmulator.start();
  private final List<String> relayChanges = Collections.synchronizedList(new ArrayList<>());
  private final ProxrPowerControl power = ProxrPowerControl.builder()
      .coolDown(Duration.ZERO).cycleDelay(Duration.ofMillis(20))
      .connectTimeout(LONG).ioTimeout(LONG).build();

  AbandonedRelayOperationTest() {
    closeables.add(board);
    closeables.add(power);
    board.addListener((bank, relay, on) -> relayChanges.add(bank + "/" + relay));
  }

  @AfterEach
  void closeAll() throws Exception {
    Collections.reverse(closeables);
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private DeviceTarget device(int relay) {
    return new DeviceTarget("panda-" + relay, "panda-" + relay + ".lab", "aabbccddeeff", "panda",
        board.powerAddress(1, relay));
  }

  /** Hangs the board on a power cycle of relay 8 that is still wanted; returns its stage. */
  private CompletableFuture<Void> hangTheBoard() throws InterruptedException {
    board.fault(Fault.HANG);
    CompletableFuture<Void> stuck = power.powerCycle(device(8), LONG).toCompletableFuture();
    assertThat(board.awaitCommands(1, WAIT)).as("the relay-on of relay 8 reached the board").isTrue();
    return stuck;
  }

  /** The board recovers; a fresh power cycle of relay 7 then goes through, behind the queue. */
  private void recoverAndCycleRelaySeven(CompletableFuture<Void> stuck) throws Exception {
    board.recover();
    assertThat(stuck).failsWithin(WAIT);
    power.powerCycle(device(7), LONG).toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(board.awaitIdle(WAIT)).isTrue();
  }

  private void assertOnlyRelaysEightAndSevenWereEverAddressed() {
    // relay 8 on (107+8 = 0x73), then relay 7's cycle: on 0x72, read 0x7a, off 0x6a, read 0x7a
    assertThat(board.commandsHex())
        .containsExactly("fe 73 01", "fe 72 01", "fe 7a 01", "fe 6a 01", "fe 7a 01");
    assertThat(relayChanges).containsExactly("1/7", "1/7");
  }

  @Test
  void powerCycleAbandonedWhileTheBoardHangsNeverReachesTheRelay() throws Exception {
    CompletableFuture<Void> stuck = hangTheBoard();
    List<CompletableFuture<Void>> abandoned = new ArrayList<>();
    for (int relay = 1; relay <= 5; relay++) {
      abandoned.add(power.powerCycle(device(relay), LONG).toCompletableFuture());
    }

    for (CompletableFuture<Void> cycle : abandoned) {
      assertThat(cycle.cancel(false)).as("still queued, so it can be called off").isTrue();
    }
    recoverAndCycleRelaySeven(stuck);

    assertOnlyRelaysEightAndSevenWereEverAddressed();
  }

  @Test
  void powerCyclesWhoseStateMachineDeadlinePassedWhileTheBoardHungNeverReachTheRelays()
      throws Exception {
    CompletableFuture<Void> stuck = hangTheBoard();
    VirtualTimekeeper time = new VirtualTimekeeper();
    InMemoryPoolStore store = new InMemoryPoolStore();
    MachineState idle = state("idle", step -> { });
    MachineState cycling = state("cycling", step -> step.startOperation("power cycle",
        () -> power.powerCycle(device(relayOf(step.id())), LONG), Duration.ofSeconds(30),
        "power_cycle_ok", "power_cycle_failed"));
    MachineEngine engine = new MachineEngine(MachineKind.DEVICE, store, time,
        Map.of("idle", idle, "cycling", cycling), idle, "test", (id, from, to) -> { });
    closeables.add(engine);
    for (int relay = 1; relay <= 5; relay++) {
      String id = "panda-" + relay;
      store.inTransaction(tx -> {
        tx.insertDevice(new DeviceRecord(DeviceSpec.builder(id).mac("00000000000" + id.charAt(6))
            .hardwareType("panda").build(), "", Map.of(), "", Map.of(), "",
            MachineRecord.initial("idle", null)));
        return null;
      });
      engine.submit(id, step -> step.goTo("cycling"));
    }
    time.runDueTasks(); // five power cycles queued behind the hung one

    time.advance(Duration.ofSeconds(31)); // their deadline passes: nobody waits for them any more
    recoverAndCycleRelaySeven(stuck);
    time.runDueTasks();

    assertOnlyRelaysEightAndSevenWereEverAddressed();
  }

  @Test
  void anOperationCancelledAfterItConnectedSendsNothing() throws Exception {
    RelayBoardQueue queue = new RelayBoardQueue(board.host(), board.port(),
        new ProxrPowerControl.Settings(Duration.ZERO, Duration.ZERO, LONG, LONG));
    closeables.add(queue::close);
    CompletableFuture<CompletableFuture<Integer>> published = new CompletableFuture<>();

    // The operation runs on an open connection; its caller gives up just before the first byte.
    CompletableFuture<Integer> op = queue.submit("relay-on", 1, 3, "panda-3", LONG, s -> {
      published.join().cancel(false);
      return s.command("relay-on", 0xFE, 107 + 3, 1);
    });
    published.complete(op);

    assertThat(op).failsWithin(WAIT);
    assertThat(op).isCancelled();
    // the client may be done before the board has even accepted: wait for the board's record
    await().atMost(WAIT).untilAsserted(
        () -> assertThat(board.connections()).as("it had connected").hasSize(1));
    assertThat(board.awaitIdle(WAIT)).isTrue();
    assertThat(board.commands()).isEmpty();
    assertThat(relayChanges).isEmpty();
  }

  private static int relayOf(String id) {
    return Integer.parseInt(id.substring("panda-".length()));
  }

  private static MachineState state(String name, java.util.function.Consumer<Step> entry) {
    return new MachineState() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Duration timeout() {
        return null;
      }

      @Override
      public void onEntry(Step step) {
        entry.accept(step);
      }
    };
  }
}
