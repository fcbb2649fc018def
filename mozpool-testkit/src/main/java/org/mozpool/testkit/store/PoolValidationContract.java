package org.mozpool.testkit.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mozpool.ConflictException;
import org.mozpool.DeviceSpec;
import org.mozpool.DeviceStates;
import org.mozpool.DeviceView;
import org.mozpool.HardwareType;
import org.mozpool.Image;
import org.mozpool.Inventory;
import org.mozpool.Lease;
import org.mozpool.LogEntry;
import org.mozpool.Mozpool;
import org.mozpool.Pool;
import org.mozpool.PxeConfig;
import org.mozpool.RequestSpec;
import org.mozpool.RequestStates;
import org.mozpool.core.VirtualTimekeeper;
import org.mozpool.lifeguard.StandardLifeguard;
import org.mozpool.spi.PoolStore;
import org.mozpool.testkit.doubles.ScriptedHardware;

/**
 * The client input a pool refuses, identically whatever its store: each bad value is refused by
 * the API with an {@link IllegalArgumentException} or {@link NullPointerException} naming the
 * field and saying what was expected, before any store can refuse it differently (or accept it),
 * and nothing is written; the extremes the API allows are kept exactly by every store.
 *
 * <p>Subclass it once per backend as {@link PoolStoreContract} is: return a fresh, empty store
 * from {@link #createStore()} and remove what it left behind in {@link #destroyStore}. Each test
 * runs a pool with the standard Lifeguard over inert hardware, on virtual time.
 */
public abstract class PoolValidationContract {
  private static final String HOST_NAME_RULES = "(RFC 1123: at most 253 characters,"
      + " dot-separated labels of 1-63 letters, digits or '-' that neither start nor end with"
      + " '-')";

  private PoolStore store;
  private VirtualTimekeeper time;
  /** The pool under test, over the store, with panda hardware and an android image registered. */
  protected Pool pool;

  /** A new, empty store; not yet started (the pool starts it). */
  protected abstract PoolStore createStore() throws Exception;

  /** Removes what {@code store} left behind; called after it was closed. */
  protected void destroyStore(PoolStore store) throws Exception {}

  @BeforeEach
  void openPool() throws Exception {
    store = createStore();
    time = new VirtualTimekeeper();
    AtomicInteger ids = new AtomicInteger();
    ScriptedHardware hardware = new ScriptedHardware(time); // answers every call at once, well
    pool = Mozpool.builder().store(store).timekeeper(time)
        .lifeguard(StandardLifeguard.factory())
        .powerControl(hardware).bootControl(hardware).deviceProbe(hardware)
        .requestIds(() -> "req-" + ids.incrementAndGet()).build();
    Inventory inventory = pool.inventory();
    inventory.registerHardwareType(HardwareType.of("panda"));
    inventory.registerImage(Image.builder("android").build());
    inventory.registerPxeConfig(PxeConfig.of("android-panda", "kernel android"));
    inventory.mapPxeConfig("android", "panda", "android-panda");
  }

  @AfterEach
  void closePool() throws Exception {
    if (pool != null) {
      pool.close();
    }
    if (time != null) {
      time.close();
    }
    if (store != null) {
      store.close();
      destroyStore(store);
    }
  }

  private static DeviceSpec.Builder panda(String name) {
    return DeviceSpec.builder(name).hardwareType("panda").hardwareModel("ES Rev B2");
  }

  // ---- MAC addresses ----

  @Test
  void aSecondDeviceWithAnExistingMacIsRefused() {
    pool.inventory().registerDevice(panda("panda-1").mac("001122334455").build());
    DeviceSpec second = panda("panda-2").mac("00:11:22:33:44:55").build();
    assertThatThrownBy(() -> pool.inventory().registerDevice(second))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("MAC address 001122334455 of device panda-2 is already registered to device"
            + " panda-1: each device needs its own MAC address (it names the device's PXE config"
            + " file, pxelinux.cfg/01-00-11-22-33-44-55)");
    assertThat(pool.inventory().devices()).extracting(DeviceView::name)
        .containsExactly("panda-1");
  }

  @Test
  void aDeviceCannotBeReRegisteredWithTheMacOfAnother() {
    pool.inventory().registerDevice(panda("panda-1").mac("001122334455").build());
    pool.inventory().registerDevice(panda("panda-2").mac("001122334466").build());
    assertThatThrownBy(() -> pool.inventory().registerDevice(
        panda("panda-2").mac("001122334455").build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("MAC address 001122334455 of device panda-2 is already"
            + " registered to device panda-1");
    assertThat(pool.inventory().device("panda-2").spec().mac()).isEqualTo("001122334466");
  }

  @Test
  void reRegisteringADeviceWithItsOwnMacUpdatesIt() {
    pool.inventory().registerDevice(panda("panda-1").mac("001122334455").build());
    pool.inventory().registerDevice(panda("panda-1").mac("001122334455").comments("again")
        .build());
    assertThat(pool.inventory().device("panda-1").spec().comments()).isEqualTo("again");
  }

  // ---- fqdn and power address ----

  @Test
  void anFqdnOf300CharactersIsRefusedOnEveryStoreAlike() {
    String fqdn = String.join(".", "a".repeat(60), "b".repeat(60), "c".repeat(60),
        "d".repeat(60), "e".repeat(56));
    assertThatThrownBy(() -> pool.inventory().registerDevice(
        panda("panda-1").mac("001122334455").fqdn(fqdn).build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("fqdn of device panda-1 must be a host name " + HOST_NAME_RULES + ", got '"
            + fqdn.substring(0, 64) + "…' (300 characters)");
    assertThat(pool.inventory().devices()).isEmpty();
  }

  @Test
  void aShellCommandIsNotAnFqdn() {
    assertThatThrownBy(() -> pool.inventory().registerDevice(
        panda("panda-1").mac("001122334455").fqdn("evil host;rm -rf /").build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("fqdn of device panda-1 must be a host name " + HOST_NAME_RULES
            + ", got 'evil host;rm -rf /'");
  }

  @Test
  void aPowerAddressThatIsNotAUriIsRefusedAtRegistrationNotAtTheFirstPowerCycle() {
    assertThatThrownBy(() -> pool.inventory().registerDevice(
        panda("panda-1").mac("001122334455").powerAddress("garbage").build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("power address of device panda-1 must be empty, a URI"
            + " scheme://authority[/path] (e.g. proxr://relay-3.lab:2101/bank/2/relay/5) or the"
            + " original relay form host[:port]:bankB:relayR, at most 1024 characters, got"
            + " 'garbage'");
  }

  @Test
  void theLongestFqdnAndPowerAddressAreKeptAsGiven() {
    String label = "a".repeat(63);
    String fqdn = String.join(".", label, label, label, "b".repeat(61));
    String powerAddress = "proxr://relay-3.lab:2101/bank/2/relay/5#" + "x".repeat(984);
    pool.inventory().registerDevice(panda("panda-1").mac("001122334455").fqdn(fqdn)
        .hardwareType("panda").hardwareModel("m".repeat(DeviceSpec.MAX_MODEL_LENGTH))
        .powerAddress(powerAddress).build());
    DeviceSpec kept = pool.inventory().device("panda-1").spec();
    assertThat(kept.fqdn()).isEqualTo(fqdn).hasSize(253);
    assertThat(kept.powerAddress()).isEqualTo(powerAddress).hasSize(1024);
    assertThat(kept.hardwareModel()).hasSize(255);
  }

  @Test
  void aNullTagKeyIsRefusedNamingTheField() {
    assertThatThrownBy(() -> panda("panda-1").tag(null, "3"))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("tag key of device panda-1 must not be null");
    assertThatThrownBy(() -> RequestSpec.any().image("android").tag(null, "3"))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("tag key of request must not be null");
  }

  // ---- durations ----

  @Test
  void aHugeLeaseIsRefusedWhenRequested() {
    assertThatThrownBy(() -> pool.request(RequestSpec.any().image("android")
        .leaseDuration(Duration.ofSeconds(Long.MAX_VALUE)).build()))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage("lease duration must be between PT1S and PT87600H (3650 days), got "
            + Duration.ofSeconds(Long.MAX_VALUE));
    assertThat(pool.requests()).isEmpty();
  }

  @Test
  void aRenewalOfAMillionYearsIsRefusedAndLeavesTheLeaseAsItWas() {
    Lease lease = pool.request(RequestSpec.any().image("android").build());
    Instant expires = lease.expiresAt();
    Duration millionYears = ChronoUnit.MILLENNIA.getDuration().multipliedBy(1000);
    assertThatThrownBy(() -> lease.renew(millionYears))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage("lease duration must be between PT1S and PT87600H (3650 days), got "
            + millionYears);
    assertThat(lease.expiresAt()).isEqualTo(expires);
  }

  @Test
  void theLongestLeaseIsGrantedAndKeptToTheMicrosecond() {
    Lease lease = pool.request(RequestSpec.any().image("android")
        .leaseDuration(RequestSpec.MAX_LEASE)
        .build());
    assertThat(lease.expiresAt()).isEqualTo(pool.clock().instant().plus(RequestSpec.MAX_LEASE));
    Instant before = pool.clock().instant();
    lease.renew(RequestSpec.MAX_LEASE);
    assertThat(lease.expiresAt()).isBetween(before.plus(RequestSpec.MAX_LEASE),
        pool.clock().instant().plus(RequestSpec.MAX_LEASE));
  }

  @Test
  void aWaitBudgetOfLongMaxValueSecondsIsRefused() {
    Duration forever = Duration.ofSeconds(Long.MAX_VALUE);
    assertThatThrownBy(() -> pool.request(RequestSpec.any().image("android").waitBudget(forever)
        .build()))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage("wait budget must be between PT1S and PT8760H (365 days), got " + forever);
    assertThat(pool.requests()).isEmpty();
  }

  @Test
  void theLongestWaitBudgetLeavesStateNewAndWaitsForADevice() {
    Lease lease = pool.request(RequestSpec.any().image("android").waitBudget(RequestSpec.MAX_WAIT)
        .build());
    time.advance(Duration.ofMinutes(1));
    assertThat(lease.state()).isEqualTo(RequestStates.FINDING_DEVICE);
  }

  // ---- retirement ----

  /** Forces {@code device} into {@code retired} from whatever state it is in at the moment. */
  private void retire(String device) {
    for (int attempt = 1; ; attempt++) {
      try {
        time.await(pool.lifeguard().changeState(device, pool.lifeguard().state(device),
            DeviceStates.RETIRED), Duration.ofMinutes(1));
        return;
      } catch (CompletionException e) {
        if (!(e.getCause() instanceof ConflictException) || attempt == 10) {
          throw e;
        }
      }
    }
  }

  @Test
  void aRetiredDeviceKeepsItsRegistrationAndHistoryAndIsNeverHandedOut() {
    DeviceSpec spec = panda("panda-1").mac("001122334455").tag("rack", "3").build();
    pool.inventory().registerDevice(spec);
    time.advance(Duration.ofSeconds(1));

    retire("panda-1");
    time.advance(Duration.ofDays(1));

    DeviceView retired = pool.inventory().device("panda-1");
    assertThat(retired.state()).isEqualTo(DeviceStates.RETIRED);
    assertThat(retired.stateDeadline()).isNull();
    assertThat(retired.spec()).isEqualTo(spec);
    assertThat(pool.inventory().deviceLog("panda-1")).extracting(LogEntry::message)
        .contains("registered").last().asString().endsWith(" to retired");
    Lease named = pool.request(RequestSpec.device("panda-1").image("android").build());
    Lease any = pool.request(RequestSpec.any().image("android").build());
    time.advance(Duration.ofMinutes(1));
    assertThat(named.state()).isEqualTo(RequestStates.FAILED_BAD_DEVICE);
    assertThat(any.state()).isEqualTo(RequestStates.FINDING_DEVICE);
    assertThat(pool.inventory().device("panda-1").claimedBy()).isEmpty();
  }

  @Test
  void aRetiredDeviceBroughtBackStartsAgainFromNewAndServes() {
    pool.inventory().registerDevice(panda("panda-1").mac("001122334455")
        .powerAddress("proxr://relay-1:2101/bank/1/relay/1").build());
    retire("panda-1");

    time.await(pool.lifeguard().changeState("panda-1", DeviceStates.RETIRED, DeviceStates.NEW),
        Duration.ofMinutes(1));
    time.runUntil(time.now().plus(Duration.ofHours(1)),
        () -> DeviceStates.READY.equals(pool.lifeguard().state("panda-1")));

    assertThat(pool.lifeguard().state("panda-1")).isEqualTo(DeviceStates.READY);
    Lease lease = pool.request(RequestSpec.any().image("android").build());
    time.advance(Duration.ofSeconds(1));
    assertThat(pool.inventory().device("panda-1").claimedBy()).contains(lease.id());
  }

  // ---- device events ----

  @Test
  void aDeviceEventWithoutANameIsRefused() {
    pool.inventory().registerDevice(panda("panda-1").mac("001122334455").build());
    assertThatThrownBy(() -> pool.lifeguard().deviceEvent("panda-1", null, Map.of()))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("event of device panda-1 must not be null");
    assertThatThrownBy(() -> pool.lifeguard().deviceEvent(null, "mobile_init_started", Map.of()))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("device must not be null");
  }
}
