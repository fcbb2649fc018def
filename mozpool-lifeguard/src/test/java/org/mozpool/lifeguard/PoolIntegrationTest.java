package org.mozpool.lifeguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mozpool.DeviceSpec;
import org.mozpool.DeviceStates;
import org.mozpool.DeviceView;
import org.mozpool.HardwareType;
import org.mozpool.Image;
import org.mozpool.Lease;
import org.mozpool.Mozpool;
import org.mozpool.Pool;
import org.mozpool.ConflictException;
import org.mozpool.LeaseException;
import org.mozpool.LogEntry;
import org.mozpool.PleaseSender;
import org.mozpool.PoolListener;
import org.mozpool.PxeConfig;
import org.mozpool.ReturnOutcome;
import org.mozpool.RequestFailedException;
import org.mozpool.RequestSpec;
import org.mozpool.RequestStates;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.core.VirtualTimekeeper;
import org.mozpool.spi.DeviceFailure;

/** The real pool over StandardLifeguard, with fake hardware that plays the live image's part. */
class PoolIntegrationTest {
  private final VirtualTimekeeper tk = new VirtualTimekeeper();
  private final AtomicReference<Pool> poolRef = new AtomicReference<>();
  private final FakeHardware hw = new FakeHardware(tk, () -> poolRef.get().lifeguard());
  private final List<String> deviceTransitions = new CopyOnWriteArrayList<>();
  /** Device and request transitions in the order they happened. */
  private final List<String> transitions = new CopyOnWriteArrayList<>();
  private final InMemoryPoolStore store = new InMemoryPoolStore();
  private final Pool pool = Mozpool.builder()
      .lifeguard(StandardLifeguard.factory(LifeguardPolicy.defaults()))
      .store(store)
      .timekeeper(tk)
      .powerControl(hw).bootControl(hw).deviceProbe(hw)
      .build();

  PoolIntegrationTest() {
    poolRef.set(pool);
    pool.addListener(new PoolListener() {
      @Override
      public void deviceStateChanged(String device, String from, String to) {
        deviceTransitions.add(device + " " + from + "->" + to);
        transitions.add(device + " " + from + "->" + to);
      }

      @Override
      public void requestStateChanged(String id, String from, String to) {
        transitions.add(id + " " + from + "->" + to);
      }
    });
    var inventory = pool.inventory();
    inventory.registerHardwareType(HardwareType.of("panda"));
    inventory.registerImage(Image.builder("b2g").requiredBootConfigKeys("b2gbase").reusable(true)
        .hasAgent(true).build());
    inventory.registerImage(Image.builder(Image.SELF_TEST).hidden(true).build());
    for (String image : List.of("b2g", Image.SELF_TEST)) {
      inventory.registerPxeConfig(PxeConfig.of(image + "-panda", "kernel " + image));
      inventory.mapPxeConfig(image, "panda", image + "-panda");
    }
  }

  @AfterEach
  void close() {
    pool.close();
    tk.close();
  }

  private void registerPanda(String name, int n) {
    pool.inventory().registerDevice(DeviceSpec.builder(name).hardwareType("panda")
        .hardwareModel("ES Rev B2")
        .mac(String.format("00112233%04x", n)).powerAddress("relay://1/" + n).build());
  }

  private Lease requestB2g() {
    return pool.request(RequestSpec.any().image("b2g").bootConfig("b2gbase", "http://builds/42")
        .leaseDuration(Duration.ofMinutes(30)).build());
  }

  private void settle(String device, String state) {
    tk.runUntil(tk.now().plus(Duration.ofMinutes(15)),
        () -> pool.lifeguard().state(device).equals(state));
    assertThat(pool.lifeguard().state(device)).isEqualTo(state);
  }

  @Test
  void requestDrivesADeviceFromReadyThroughTheImageWorkflowToAReadyLease() {
    registerPanda("panda-1", 1);
    settle("panda-1", DeviceStates.READY); // its first self-test
    deviceTransitions.clear();

    Lease lease = requestB2g();
    DeviceView device = lease.awaitReady(Duration.ofMinutes(30));

    assertThat(device.name()).isEqualTo("panda-1");
    assertThat(device.state()).isEqualTo(DeviceStates.READY);
    assertThat(device.image()).isEqualTo("b2g");
    assertThat(device.bootConfig()).containsEntry("b2gbase", "http://builds/42");
    assertThat(device.claimedBy()).contains(lease.id());
    assertThat(lease.state()).isEqualTo(RequestStates.READY);
    assertThat(lease.view().imagingResult()).hasValueSatisfying(r ->
        assertThat(r.wireName()).isEqualTo("complete"));
    assertThat(deviceTransitions).startsWith("panda-1 ready->start_pxe_boot")
        .endsWith("panda-1 operation_complete->ready");

    lease.returnDevice();
    tk.advance(Duration.ofSeconds(1));
    assertThat(pool.inventory().device("panda-1").claimedBy()).isEmpty();
  }

  @Test
  void deviceAlreadyCarryingTheReusableImageIsOnlyPowerCycled() {
    registerPanda("panda-1", 1);
    settle("panda-1", DeviceStates.READY);
    try (Lease first = requestB2g()) {
      first.awaitReady(Duration.ofMinutes(30));
    }
    tk.advance(Duration.ofSeconds(1));
    deviceTransitions.clear();

    Lease second = requestB2g();
    second.awaitReady(Duration.ofMinutes(30));

    assertThat(deviceTransitions).startsWith("panda-1 ready->pc_power_cycling")
        .doesNotContain("panda-1 ready->start_pxe_boot");
  }

  @Test
  void imageThatFailsOnTwoDevicesFailsTheRequestAndLeavesBothDevicesReady() {
    registerPanda("panda-1", 1);
    registerPanda("panda-2", 2);
    settle("panda-1", DeviceStates.READY);
    settle("panda-2", DeviceStates.READY);
    hw.board("panda-1").imageFailure = "checksum mismatch";
    hw.board("panda-2").imageFailure = "404 fetching the build";

    Lease lease = requestB2g();

    assertThatThrownBy(() -> lease.awaitReady(Duration.ofMinutes(30)))
        .isInstanceOf(RequestFailedException.class);
    assertThat(lease.state()).isEqualTo(RequestStates.FAILED_BAD_IMAGE);
    assertThat(lease.view().devicesTried()).containsExactlyInAnyOrder("panda-1", "panda-2");
    tk.advance(Duration.ofSeconds(1));
    assertThat(pool.lifeguard().state("panda-1")).isEqualTo(DeviceStates.READY);
    assertThat(pool.lifeguard().state("panda-2")).isEqualTo(DeviceStates.READY);
  }

  // ---- issue 11: slow workflows, bad returns, leased devices ----

  private List<String> deviceLog(String device) {
    return store.inTransaction(tx -> tx.log(org.mozpool.spi.MachineKind.DEVICE, device, 1000))
        .stream().map(LogEntry::message).toList();
  }

  /** The board does not call home for {@code silence}, so Lifeguard retries pxe_booting meanwhile. */
  private void silentFor(String device, Duration silence) {
    hw.board(device).callsHome = false;
    tk.schedule(tk.now().plus(silence), () -> hw.board(device).callsHome = true);
  }

  @Test
  void namedRequestWaitsWhileLifeguardRetriesPxeBootingPastTwentyMinutes() {
    registerPanda("panda-1", 1);
    settle("panda-1", DeviceStates.READY);
    silentFor("panda-1", Duration.ofMinutes(30));

    Lease lease = pool.request(RequestSpec.device("panda-1").image("b2g")
        .bootConfig("b2gbase", "http://builds/42").leaseDuration(Duration.ofHours(2)).build());

    assertThat(lease.awaitReady(Duration.ofHours(1)).name()).isEqualTo("panda-1");
    assertThat(deviceTransitions).contains("panda-1 pxe_booting->pxe_power_cycling");
  }

  @Test
  void anyRequestKeepsItsDeviceWhileLifeguardIsStillRetrying() {
    registerPanda("panda-1", 1);
    registerPanda("panda-2", 2);
    settle("panda-1", DeviceStates.READY);
    settle("panda-2", DeviceStates.READY);
    silentFor("panda-1", Duration.ofMinutes(30));
    silentFor("panda-2", Duration.ofMinutes(30));

    Lease lease = pool.request(RequestSpec.any().image("b2g").bootConfig("b2gbase", "http://b/1")
        .leaseDuration(Duration.ofHours(2)).build());

    String device = lease.awaitReady(Duration.ofHours(1)).name();
    assertThat(lease.view().devicesTried()).as("never given up while retrying")
        .containsExactly(device);
  }

  @Test
  void deviceReturnedAsBadIsRecordedAndSelfTestedBeforeTheNextRequestGetsIt() {
    registerPanda("panda-1", 1);
    settle("panda-1", DeviceStates.READY);
    Lease first = pool.request(RequestSpec.any().image("b2g").bootConfig("b2gbase", "http://b/1")
        .requester("ci-harness-7").build());
    first.awaitReady(Duration.ofMinutes(30));
    Lease next = requestB2g();
    tk.advance(Duration.ofSeconds(1));
    assertThat(next.state()).isEqualTo(RequestStates.FINDING_DEVICE);
    transitions.clear();

    first.returnDevice(ReturnOutcome.badDevice("adb lost the board twice"));

    assertThat(first.state()).isEqualTo(RequestStates.CLOSED);
    next.awaitReady(Duration.ofMinutes(30));
    assertThat(transitions).containsSubsequence("panda-1 ready->start_self_test",
        "panda-1 self_test_running->ready", next.id() + " finding_device->contacting_lifeguard");
    List<DeviceFailure> failures = store.inTransaction(tx -> tx.failures("panda-1", Instant.EPOCH));
    assertThat(failures).extracting(DeviceFailure::state).containsExactly(DeviceStates.READY);
    assertThat(deviceLog("panda-1")).contains("returned as a bad device by 'ci-harness-7' (request "
        + first.id() + "): adb lost the board twice; recorded in the failure history");
    assertThat(pool.requestLog(first.id())).extracting(LogEntry::message).contains(
        "returned by 'ci-harness-7' in state ready, reporting device panda-1 as bad:"
            + " adb lost the board twice");
  }

  @Test
  void operatorsPleaseSelfTestOnALeasedDeviceIsRefusedAndTheLeaseStaysReady() {
    registerPanda("panda-1", 1);
    settle("panda-1", DeviceStates.READY);
    Lease lease = requestB2g();
    lease.awaitReady(Duration.ofMinutes(30));

    assertThatThrownBy(() -> tk.await(pool.lifeguard().pleaseSelfTest("panda-1"),
        Duration.ofMinutes(1)))
        .isInstanceOf(CompletionException.class)
        .cause().isInstanceOf(ConflictException.class)
        .hasMessageContaining("device panda-1 is leased to request " + lease.id());
    tk.advance(Duration.ofMinutes(25));

    assertThat(lease.state()).isEqualTo(RequestStates.READY);
    assertThat(pool.lifeguard().state("panda-1")).isEqualTo(DeviceStates.READY);
  }

  @Test
  void forcedPleaseSelfTestEndsTheLeaseWithAClearState() {
    registerPanda("panda-1", 1);
    settle("panda-1", DeviceStates.READY);
    Lease lease = requestB2g();
    lease.awaitReady(Duration.ofMinutes(30));

    tk.await(pool.lifeguard().pleaseSelfTest("panda-1",
        PleaseSender.operator("alice").endingLease("suspect the SD card")), Duration.ofMinutes(1));
    tk.advance(Duration.ofSeconds(1));

    assertThat(lease.state()).isEqualTo(RequestStates.FAILED_BAD_DEVICE);
    assertThat(lease.view().failureReason()).hasValueSatisfying(r -> assertThat(r)
        .contains("panda-1").contains("alice took the device for please_self_test")
        .contains("suspect the SD card"));
    assertThat(lease.device()).isEmpty();
    assertThat(pool.lifeguard().state("panda-1")).isNotEqualTo(DeviceStates.READY);
    assertThatThrownBy(() -> lease.renew(Duration.ofMinutes(30)))
        .isInstanceOf(LeaseException.class).hasMessageContaining("failed_bad_device");
  }
}
