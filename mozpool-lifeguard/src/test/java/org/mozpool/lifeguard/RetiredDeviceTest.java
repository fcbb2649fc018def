package org.mozpool.lifeguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mozpool.DeviceSpec;
import org.mozpool.DeviceStates;
import org.mozpool.HardwareType;
import org.mozpool.Image;
import org.mozpool.Lease;
import org.mozpool.LogEntry;
import org.mozpool.Mozpool;
import org.mozpool.Pool;
import org.mozpool.PxeConfig;
import org.mozpool.RefusedException;
import org.mozpool.RequestFailedException;
import org.mozpool.RequestSpec;
import org.mozpool.RequestStates;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.core.VirtualTimekeeper;
import org.mozpool.spi.MachineKind;

/**
 * A retired device (one taken out of the lab, e.g. removed from the server's config) keeps its
 * history, is never handed out, is never powered or probed, and comes back through {@code new}.
 */
class RetiredDeviceTest {
  private final VirtualTimekeeper tk = new VirtualTimekeeper();
  private final AtomicReference<Pool> poolRef = new AtomicReference<>();
  private final FakeHardware hw = new FakeHardware(tk, () -> poolRef.get().lifeguard());
  private final InMemoryPoolStore store = new InMemoryPoolStore();
  private final Pool pool = Mozpool.builder()
      .lifeguard(StandardLifeguard.factory(LifeguardPolicy.defaults()))
      .store(store).timekeeper(tk)
      .powerControl(hw).bootControl(hw).deviceProbe(hw)
      .build();

  @BeforeEach
  void lab() {
    poolRef.set(pool);
    var inventory = pool.inventory();
    inventory.registerHardwareType(HardwareType.of("panda"));
    inventory.registerImage(Image.builder("b2g").requiredBootConfigKeys("b2gbase").reusable(true)
        .hasAgent(true).build());
    inventory.registerImage(Image.builder(Image.SELF_TEST).hidden(true).build());
    for (String image : List.of("b2g", Image.SELF_TEST)) {
      inventory.registerPxeConfig(PxeConfig.of(image + "-panda", "kernel " + image));
      inventory.mapPxeConfig(image, "panda", image + "-panda");
    }
    for (int n = 1; n <= 2; n++) {
      inventory.registerDevice(DeviceSpec.builder("panda-" + n).hardware("panda", "ES Rev B2")
          .mac(String.format("00112233%04x", n)).powerAddress("relay://1/" + n).build());
      settle("panda-" + n, DeviceStates.READY);
    }
  }

  @AfterEach
  void close() {
    pool.close();
    tk.close();
  }

  private void settle(String device, String state) {
    tk.runUntil(tk.now().plus(Duration.ofMinutes(15)),
        () -> pool.lifeguard().state(device).equals(state));
    assertThat(pool.lifeguard().state(device)).isEqualTo(state);
  }

  private void retire(String device) {
    await(pool.lifeguard().changeState(device, pool.lifeguard().state(device),
        DeviceStates.RETIRED));
  }

  private void await(java.util.concurrent.CompletionStage<Void> stage) {
    try {
      tk.await(stage, Duration.ofMinutes(1));
    } catch (CompletionException e) {
      throw (RuntimeException) e.getCause();
    }
  }

  private static RequestSpec.Builder b2g(RequestSpec.Builder b) {
    return b.image("b2g").bootConfig("b2gbase", "http://builds/42").lease(Duration.ofMinutes(30))
        .waitUpTo(Duration.ofMinutes(5));
  }

  @Test
  void aRetiredDeviceRefusesEveryPleaseEventAndIsNeverPoweredOrProbed() {
    retire("panda-1");
    long operations = hw.journal.stream().filter(s -> s.endsWith(" panda-1")).count();

    for (var please : List.<Runnable>of(
        () -> await(pool.lifeguard().pleasePowerCycle("panda-1")),
        () -> await(pool.lifeguard().pleaseSelfTest("panda-1")),
        () -> await(pool.lifeguard().pleaseStartMaintenance("panda-1")),
        () -> await(pool.lifeguard().pleaseImage("panda-1", "b2g",
            java.util.Map.of("b2gbase", "http://b/1"))))) {
      assertThatThrownBy(please::run).isInstanceOf(RefusedException.class)
          .hasMessageContaining("retired");
    }
    tk.advance(Duration.ofDays(3));

    assertThat(pool.lifeguard().state("panda-1")).isEqualTo(DeviceStates.RETIRED);
    assertThat(pool.inventory().device("panda-1").stateDeadline()).isNull();
    assertThat(hw.journal.stream().filter(s -> s.endsWith(" panda-1")).count())
        .as("no power cycle, PXE config or probe after retirement").isEqualTo(operations);
    List<LogEntry> log = store.inTransaction(tx -> tx.log(MachineKind.DEVICE, "panda-1", 1000));
    assertThat(log).extracting(LogEntry::message)
        .contains("registered", "state forced from ready to retired");
  }

  @Test
  void anAnyRequestIsNeverHandedARetiredDevice() {
    retire("panda-1");

    Lease first = pool.request(b2g(RequestSpec.any()).build());
    assertThat(first.awaitReady(Duration.ofMinutes(30)).name()).isEqualTo("panda-2");
    Lease second = pool.request(b2g(RequestSpec.any()).build());

    assertThatThrownBy(() -> second.awaitReady(Duration.ofMinutes(30)))
        .isInstanceOf(RequestFailedException.class);
    assertThat(second.state()).isEqualTo(RequestStates.FAILED_DEVICE_NOT_FOUND);
    assertThat(second.view().devicesTried()).isEmpty();
  }

  @Test
  void aRequestNamingARetiredDeviceFailsAtOnce() {
    retire("panda-1");

    Lease lease = pool.request(b2g(RequestSpec.device("panda-1")).build());

    assertThatThrownBy(() -> lease.awaitReady(Duration.ofSeconds(10)))
        .isInstanceOf(RequestFailedException.class).hasMessageContaining("device panda-1 is retired");
    assertThat(lease.state()).isEqualTo(RequestStates.FAILED_BAD_DEVICE);
  }

  @Test
  void aLeaseOnADeviceRetiredUnderItRunsToItsEndAndTheDeviceIsNotHandedOutAgain() {
    Lease lease = pool.request(b2g(RequestSpec.device("panda-1")).build());
    lease.awaitReady(Duration.ofMinutes(30));

    retire("panda-1");
    tk.advance(Duration.ofMinutes(10));
    assertThat(lease.state()).isEqualTo(RequestStates.READY);
    lease.returnDevice();
    tk.advance(Duration.ofMinutes(10));

    assertThat(pool.inventory().device("panda-1").claimedBy()).isEmpty();
    assertThat(pool.lifeguard().state("panda-1")).isEqualTo(DeviceStates.RETIRED);
    Lease next = pool.request(b2g(RequestSpec.any()).build());
    assertThat(next.awaitReady(Duration.ofMinutes(30)).name()).isEqualTo("panda-2");
  }

  @Test
  void aRequestWaitingForItsDeviceToBeImagedGivesUpADeviceRetiredUnderIt() {
    hw.board("panda-1").callsHome = false;
    hw.board("panda-2").callsHome = false;
    Lease lease = pool.request(b2g(RequestSpec.any()).build());
    tk.runUntil(tk.now().plus(Duration.ofMinutes(5)),
        () -> lease.view().devicesTried().size() == 1);
    String first = lease.view().devicesTried().get(0);
    String other = first.equals("panda-1") ? "panda-2" : "panda-1";
    hw.board(other).callsHome = true;
    settle(first, DeviceStates.PXE_BOOTING);

    retire(first);

    assertThat(lease.awaitReady(Duration.ofMinutes(30)).name()).isEqualTo(other);
  }

  @Test
  void aRetiredDeviceBroughtBackSelfTestsAndServesAgain() {
    retire("panda-1");
    retire("panda-2");

    await(pool.lifeguard().changeState("panda-1", DeviceStates.RETIRED, DeviceStates.NEW));
    settle("panda-1", DeviceStates.READY);

    assertThat(hw.journal).contains("set-pxe self-test-panda panda-1");
    Lease lease = pool.request(b2g(RequestSpec.any()).build());
    assertThat(lease.awaitReady(Duration.ofMinutes(30)).name()).isEqualTo("panda-1");
  }
}
