package org.mozpool.testkit.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mozpool.ConflictException;
import org.mozpool.DeviceSpec;
import org.mozpool.HardwareType;
import org.mozpool.Image;
import org.mozpool.ImagingResult;
import org.mozpool.LogEntry;
import org.mozpool.NoSuchDeviceException;
import org.mozpool.NoSuchRequestException;
import org.mozpool.PxeConfig;
import org.mozpool.RequestSpec;
import org.mozpool.spi.Claim;
import org.mozpool.spi.DeviceFailure;
import org.mozpool.spi.DeviceQuery;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.DeviceStatisticsRecord;
import org.mozpool.spi.MachineDeadline;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;
import org.mozpool.spi.PoolStore;
import org.mozpool.spi.RequestRecord;
import org.mozpool.spi.StaleStateException;
import org.mozpool.spi.StoreTransaction;
import org.mozpool.spi.TransientStoreException;

/**
 * The behaviour every {@link PoolStore} must have, written once and run against each backend
 * (in-memory, H2, PostgreSQL, MariaDB), as Quartz runs one job-store suite per database.
 *
 * <p>Subclass it, return a fresh, empty store from {@link #createStore()} and, if the store
 * leaves anything behind (a schema, a file), remove it in {@link #destroyStore}. Each test gets
 * its own store, started before and closed after it.
 *
 * <p>Instants in these tests carry microseconds: a store must keep at least microsecond
 * precision. Stores may be used from several threads (the concurrency tests use up to 16).
 */
public abstract class PoolStoreContract {
  /** A reference instant with microsecond digits. */
  protected static final Instant T0 = Instant.parse("2026-03-04T05:06:07.123456Z");

  /** The store under test, started. */
  protected PoolStore store;

  /** A new, empty store; not yet started. */
  protected abstract PoolStore createStore() throws Exception;

  /** Removes what {@code store} left behind; called after it was closed. */
  protected void destroyStore(PoolStore store) throws Exception {}

  @BeforeEach
  void openStore() throws Exception {
    store = createStore();
    store.start();
  }

  @AfterEach
  void closeStore() throws Exception {
    if (store != null) {
      store.close();
      destroyStore(store);
    }
  }

  // ---- fixtures ----

  /** Runs {@code work} in one transaction. */
  protected <T> T tx(Function<StoreTransaction, T> work) {
    return store.inTransaction(work);
  }

  /** Runs {@code work} in one transaction. */
  protected void run(java.util.function.Consumer<StoreTransaction> work) {
    store.inTransaction(t -> {
      work.accept(t);
      return null;
    });
  }

  /** A panda in production, rack 3, ready, timing out at T0 + 10 min, with a MAC of its own. */
  protected static DeviceRecord device(String name) {
    return device(DeviceSpec.builder(name).mac(macOf(name)).hardwareType("panda")
        .hardwareModel("ES Rev B2")
        .tag("rack", "3").powerAddress("proxr://relay-1:2101/bank/1/relay/1").build(), "ready");
  }

  /**
   * A MAC address derived from {@code name}, different for different names in practice: every
   * store refuses a second device with a MAC address that another device has.
   */
  protected static String macOf(String name) {
    return String.format("02%010x", name.hashCode() & 0xff_ffff_ffffL);
  }

  protected static DeviceRecord device(DeviceSpec spec, String state) {
    return new DeviceRecord(spec, "", Map.of(), "", Map.of(), "",
        MachineRecord.initial(state, T0.plusSeconds(600)));
  }

  /** A request for any panda created at {@code createdAt}, finding a device. */
  protected static RequestRecord request(String id, Instant createdAt) {
    RequestSpec spec = RequestSpec.any().image("b2g").bootConfig("b2gbase", "http://b/1")
        .hardwareType("panda").build();
    return new RequestRecord(id, "token-" + id, spec, "server-1", createdAt,
        createdAt.plus(spec.leaseDuration()), List.of(), "",
        MachineRecord.initial("finding_device", createdAt.plusSeconds(60)));
  }

  private void addDevicesAndRequests(int devices, int requests) {
    run(t -> {
      for (int i = 0; i < devices; i++) {
        t.insertDevice(device(String.format("panda-%03d", i)));
      }
      for (int i = 0; i < requests; i++) {
        t.insertRequest(request(String.format("req-%03d", i), T0.plusSeconds(i)));
      }
    });
  }

  // ---- inventory ----

  @Test
  void hardwareTypesRoundTripAndAreListedByName() {
    run(t -> {
      t.putHardwareType(new HardwareType("tegra", "Tegra 250"));
      t.putHardwareType(HardwareType.of("panda"));
    });
    assertThat(tx((StoreTransaction t) -> t
        .hardwareType("tegra"))).contains(new HardwareType("tegra", "Tegra 250"));
    assertThat(tx(StoreTransaction::hardwareTypes))
        .containsExactly(HardwareType.of("panda"), new HardwareType("tegra", "Tegra 250"));
  }

  @Test
  void puttingAHardwareTypeAgainReplacesIt() {
    run(t -> t.putHardwareType(new HardwareType("panda", "old")));
    run(t -> t.putHardwareType(new HardwareType("panda", "new")));
    assertThat(tx(StoreTransaction::hardwareTypes)).containsExactly(new HardwareType("panda", "new"));
  }

  @Test
  void imagesRoundTripWithRequiredBootConfigKeysAndFlags() {
    Image b2g = Image.builder("b2g").requiredBootConfigKeys("b2gbase", "extra").reusable(true)
        .hasAgent(true).build();
    Image selfTest = Image.builder(Image.SELF_TEST).hidden(true).build();
    run(t -> {
      t.putImage(selfTest);
      t.putImage(b2g);
    });
    assertThat(tx((StoreTransaction t) -> t.image("b2g"))).contains(b2g);
    assertThat(tx((StoreTransaction t) -> t.image("b2g")).orElseThrow().requiredBootConfigKeys())
        .containsExactlyInAnyOrder("b2gbase", "extra");
    assertThat(tx(StoreTransaction::images)).containsExactly(b2g, selfTest);
    Image replaced = Image.builder("b2g").build();
    run(t -> t.putImage(replaced));
    assertThat(tx((StoreTransaction t) -> t.image("b2g"))).contains(replaced);
  }

  @Test
  void pxeConfigsRoundTripAndTheMappingPicksOnlyAnActiveConfig() {
    PxeConfig v1 = new PxeConfig("b2g-v1", "first", "kernel x\nappend ip=%IPADDRESS%", true);
    PxeConfig v2 = PxeConfig.of("b2g-v2", "kernel y");
    run(t -> {
      t.putPxeConfig(v1);
      t.putPxeConfig(v2);
      t.mapPxeConfig("b2g", "panda", "b2g-v1");
    });
    assertThat(tx((StoreTransaction t) -> t.pxeConfig("b2g-v1"))).contains(v1);
    assertThat(tx((StoreTransaction t) -> t.pxeConfigFor("b2g", "panda"))).contains(v1);
    assertThat(tx((StoreTransaction t) -> t.pxeConfigFor("b2g", "tegra"))).isEmpty();
    assertThat(tx((StoreTransaction t) -> t.pxeConfigFor("android", "panda"))).isEmpty();

    run(t -> t.mapPxeConfig("b2g", "panda", "b2g-v2"));
    assertThat(tx((StoreTransaction t) -> t.pxeConfigFor("b2g", "panda"))).contains(v2);

    run(t -> t.putPxeConfig(new PxeConfig("b2g-v2", "", "kernel y", false)));
    assertThat(tx((StoreTransaction t) -> t.pxeConfigFor("b2g", "panda"))).isEmpty();

    run(t -> t.mapPxeConfig("b2g", "panda", "no-such-config"));
    assertThat(tx((StoreTransaction t) -> t.pxeConfigFor("b2g", "panda"))).isEmpty();
  }

  @Test
  void unknownInventoryLooksUpAsEmpty() {
    assertThat(tx((StoreTransaction t) -> t.hardwareType("panda"))).isEmpty();
    assertThat(tx((StoreTransaction t) -> t.image("b2g"))).isEmpty();
    assertThat(tx((StoreTransaction t) -> t.pxeConfig("b2g"))).isEmpty();
    assertThat(tx((StoreTransaction t) -> t.device("panda-1"))).isEmpty();
    assertThat(tx((StoreTransaction t) -> t.request("r-1"))).isEmpty();
    assertThat(tx((StoreTransaction t) -> t.machine(MachineKind.DEVICE, "panda-1"))).isEmpty();
    assertThat(tx((StoreTransaction t) -> t.machine(MachineKind.REQUEST, "r-1"))).isEmpty();
    assertThat(tx(StoreTransaction::hardwareTypes)).isEmpty();
    assertThat(tx(StoreTransaction::images)).isEmpty();
    assertThat(tx(StoreTransaction::devices)).isEmpty();
    assertThat(tx(StoreTransaction::requests)).isEmpty();
  }

  // ---- devices ----

  @Test
  void aDeviceRoundTripsWithTagsImagesBootConfigsTokenAndMachine() {
    DeviceSpec spec = DeviceSpec.builder("panda-0042").fqdn("panda-0042.lab.example")
        .mac("AA:BB:CC:DD:EE:FF").hardwareType("panda").hardwareModel("ES Rev B2")
        .environment("staging")
        .tag("rack", "3").tag("chassis", "7").powerAddress("proxr://relay-3.lab:2101/bank/2/relay/5")
        .server("imaging-1").comments("replaced SD card, \"twice\"\nnewline é").build();
    DeviceRecord d = new DeviceRecord(spec, "b2g", Map.of("b2gbase", "http://x/1", "k", "v"),
        "android", Map.of("url", "http://y/2"), "s3cret-token",
        new MachineRecord("pxe_booting", Map.of("pxe_booting", 3, "other", 0),
            T0.plusSeconds(180), 0, 7));
    run(t -> t.insertDevice(d));
    assertThat(tx((StoreTransaction t) -> t.device("panda-0042"))).contains(d);
    assertThat(tx((StoreTransaction t) -> t.machine(MachineKind.DEVICE, "panda-0042"))).contains(d.machine());
  }

  @Test
  void insertingADeviceWhoseNameExistsIsAConflictAndKeepsTheFirst() {
    DeviceRecord first = device("panda-1");
    run(t -> t.insertDevice(first));
    DeviceRecord second = device(DeviceSpec.builder("panda-1").mac("ffffffffffff")
        .hardwareType("tegra").hardwareModel("250").build(), "new");
    assertThatThrownBy(() -> run(t -> t.insertDevice(second)))
        .isInstanceOf(ConflictException.class).hasMessageContaining("panda-1");
    assertThat(tx((StoreTransaction t) -> t.device("panda-1"))).contains(first);
  }

  @Test
  void insertingADeviceWithTheMacAddressOfAnotherIsAConflictAndKeepsTheFirst() {
    DeviceRecord first = device(DeviceSpec.builder("panda-1").mac("001122334455")
        .hardwareType("panda").build(), "ready");
    run(t -> t.insertDevice(first));
    DeviceRecord second = device(DeviceSpec.builder("panda-2").mac("00:11:22:33:44:55")
        .hardwareType("panda").build(), "new");
    assertThatThrownBy(() -> run(t -> t.insertDevice(second)))
        .isInstanceOf(ConflictException.class)
        .hasMessage("MAC address 001122334455 of device panda-2 is already registered to device"
            + " panda-1");
    assertThat(tx(StoreTransaction::devices)).containsExactly(first);
  }

  @Test
  void updatingADeviceToTheMacAddressOfAnotherIsAConflictAndChangesNothing() {
    run(t -> {
      t.insertDevice(device("panda-1"));
      t.insertDevice(device("panda-2"));
    });
    DeviceSpec taken = DeviceSpec.builder("panda-2").mac(macOf("panda-1")).hardwareType("panda")
        .build();
    assertThatThrownBy(() -> run(t -> t.updateDeviceSpec(taken)))
        .isInstanceOf(ConflictException.class)
        .hasMessage("MAC address " + macOf("panda-1") + " of device panda-2 is already registered"
            + " to device panda-1");
    assertThat(tx((StoreTransaction t) -> t.device("panda-2")).orElseThrow().spec().mac())
        .isEqualTo(macOf("panda-2"));
  }

  @Test
  void aMacAddressGivenUpByOneDeviceMayBeTakenByAnother() {
    run(t -> {
      t.insertDevice(device("panda-1"));
      t.insertDevice(device("panda-2"));
    });
    DeviceSpec one = device("panda-1").spec();
    run(t -> {
      t.updateDeviceSpec(new DeviceSpec("panda-1", one.fqdn(), "0000000000aa", one.hardwareType(),
          one.hardwareModel(), one.environment(), one.tags(), one.powerAddress(), one.server(),
          one.comments()));
      t.updateDeviceSpec(DeviceSpec.builder("panda-2").mac(macOf("panda-1")).hardwareType("panda")
          .build());
    });
    assertThat(tx((StoreTransaction t) -> t.deviceWithMac(macOf("panda-1"))))
        .map(DeviceRecord::name).contains("panda-2");
    assertThat(tx((StoreTransaction t) -> t.deviceWithMac("0000000000aa")))
        .map(DeviceRecord::name).contains("panda-1");
    assertThat(tx((StoreTransaction t) -> t.deviceWithMac(macOf("panda-2")))).isEmpty();
  }

  @Test
  void theLongestValuesADeviceSpecAllowsRoundTrip() {
    String label = "a".repeat(63);
    String fqdn = String.join(".", label, label, label, "b".repeat(61));
    String powerAddress = "proxr://relay-1.lab:2101/bank/1/relay/1?"
        + "x".repeat(DeviceSpec.MAX_POWER_ADDRESS_LENGTH - 40);
    DeviceSpec spec = DeviceSpec.builder("p".repeat(128)).fqdn(fqdn).mac("001122334455")
        .hardwareType("h".repeat(128)).hardwareModel("m".repeat(DeviceSpec.MAX_MODEL_LENGTH))
        .environment("e".repeat(128)).powerAddress(powerAddress).server("s".repeat(128)).build();
    assertThat(fqdn).hasSize(253);
    assertThat(powerAddress).hasSize(DeviceSpec.MAX_POWER_ADDRESS_LENGTH);
    DeviceRecord d = device(spec, "ready");
    run(t -> t.insertDevice(d));
    assertThat(tx((StoreTransaction t) -> t.device(spec.name()))).contains(d);
  }

  @Test
  void theLatestExpiryAndDeadlineThePoolAllowsRoundTrip() {
    // Lease and wait bounds are the API's (RequestSpec.MAX_LEASE, MAX_WAIT); a store must hold
    // the instants they lead to, from any time this century, to the microsecond.
    Instant created = Instant.parse("2099-12-31T23:59:59.999999Z");
    Instant expires = created.plus(RequestSpec.MAX_LEASE);
    Instant deadline = created.plus(RequestSpec.MAX_WAIT);
    RequestRecord r = new RequestRecord("r-late", "token", request("r-late", created).spec(),
        "server-1", created, expires, List.of(), "",
        MachineRecord.initial("finding_device", deadline));
    run(t -> t.insertRequest(r));
    assertThat(tx((StoreTransaction t) -> t.request("r-late"))).contains(r);
    run(t -> t.updateRequest("r-late", expires.plusNanos(1000), List.of(), ""));
    assertThat(tx((StoreTransaction t) -> t.request("r-late")).orElseThrow().expiresAt())
        .isEqualTo(expires.plusNanos(1000));
  }

  @Test
  void devicesAreListedByNameComparedCaseSensitively() {
    run(t -> {
      for (String name : List.of("panda-10", "Panda-2", "panda-2", "panda-1", "a")) {
        t.insertDevice(device(name));
      }
    });
    assertThat(tx(StoreTransaction::devices)).extracting(DeviceRecord::name)
        .containsExactly("Panda-2", "a", "panda-1", "panda-10", "panda-2");
  }

  @Test
  void findDevicesFiltersByStateEnvironmentHardwareTypeAndModel() {
    run(t -> {
      t.insertDevice(device(DeviceSpec.builder("p1").mac("000000000001")
          .hardwareType("panda").hardwareModel("ES Rev B2").build(), "ready"));
      t.insertDevice(device(DeviceSpec.builder("p2").mac("000000000002")
          .hardwareType("panda").hardwareModel("ES Rev B3").environment("staging")
          .build(), "ready"));
      t.insertDevice(device(DeviceSpec.builder("p3").mac("000000000003")
          .hardwareType("panda").hardwareModel("ES Rev B2").build(), "failed_pxe_booting"));
      t.insertDevice(device(DeviceSpec.builder("t1").mac("000000000004")
          .hardwareType("tegra").hardwareModel("250").build(), "ready"));
    });
    assertThat(find(new DeviceQuery("", false, "", "", ""))).containsExactly("p1", "p2", "p3", "t1");
    assertThat(find(new DeviceQuery("ready", false, "", "", ""))).containsExactly("p1", "p2", "t1");
    assertThat(find(new DeviceQuery("", false, "staging", "", ""))).containsExactly("p2");
    assertThat(find(new DeviceQuery("", false, "", "panda", ""))).containsExactly("p1", "p2", "p3");
    assertThat(find(new DeviceQuery("", false, "", "panda", "ES Rev B2")))
        .containsExactly("p1", "p3");
    assertThat(find(new DeviceQuery("ready", false, "production", "panda", "ES Rev B2")))
        .containsExactly("p1");
    assertThat(find(new DeviceQuery("ready", false, "", "", "250"))).containsExactly("t1");
    assertThat(find(new DeviceQuery("ready", false, "", "PANDA", ""))).isEmpty();
    assertThat(find(new DeviceQuery("self_test_running", false, "", "", ""))).isEmpty();
  }

  @Test
  void findDevicesUnclaimedOnlySkipsClaimedDevices() {
    addDevicesAndRequests(3, 1);
    assertThat(tx((StoreTransaction t) -> t.claim("panda-001", "req-000", T0))).isTrue();
    assertThat(find(new DeviceQuery("ready", true, "", "", "")))
        .containsExactly("panda-000", "panda-002");
    assertThat(find(new DeviceQuery("ready", false, "", "", "")))
        .containsExactly("panda-000", "panda-001", "panda-002");
    run(t -> t.releaseClaim("req-000"));
    assertThat(find(new DeviceQuery("", true, "", "", "")))
        .containsExactly("panda-000", "panda-001", "panda-002");
  }

  @Test
  void findDevicesFollowsStateChangesAndClaimsAndIgnoresRolledBackOnes() {
    addDevicesAndRequests(3, 0);
    run(t -> t.updateMachine(MachineKind.DEVICE, "panda-001", 0,
        new MachineRecord("pxe_booting", Map.of(), T0, 0, 1)));
    assertThat(find(new DeviceQuery("ready", false, "", "", "")))
        .containsExactly("panda-000", "panda-002");
    assertThat(find(new DeviceQuery("pxe_booting", false, "", "", "")))
        .containsExactly("panda-001");

    assertThatThrownBy(() -> run(t -> {
      t.updateMachine(MachineKind.DEVICE, "panda-000", 0,
          new MachineRecord("pxe_booting", Map.of(), T0, 0, 1));
      assertThat(t.findDevices(new DeviceQuery("pxe_booting", false, "", "", "")))
          .extracting(DeviceRecord::name).containsExactly("panda-000", "panda-001");
      throw new IllegalStateException("rolled back");
    })).hasMessageContaining("rolled back");
    assertThat(find(new DeviceQuery("ready", false, "", "", "")))
        .containsExactly("panda-000", "panda-002");
    assertThat(find(new DeviceQuery("pxe_booting", false, "", "", "")))
        .containsExactly("panda-001");

    addDevicesAndRequests(0, 1);
    assertThatThrownBy(() -> run(t -> {
      assertThat(t.claim("panda-002", "req-000", T0)).isTrue();
      assertThat(t.findDevices(new DeviceQuery("ready", true, "", "", "")))
          .extracting(DeviceRecord::name).containsExactly("panda-000");
      throw new IllegalStateException("rolled back");
    })).hasMessageContaining("rolled back");
    assertThat(find(new DeviceQuery("ready", true, "", "", "")))
        .containsExactly("panda-000", "panda-002");

    run(t -> t.updateCallbackToken("panda-001", "new-token"));
    assertThat(tx((StoreTransaction t) -> t.findDevices(
        new DeviceQuery("pxe_booting", false, "", "", "")))).extracting(DeviceRecord::callbackToken)
        .containsExactly("new-token");
  }

  private List<String> find(DeviceQuery q) {
    return tx((StoreTransaction t) -> t.findDevices(q)).stream().map(DeviceRecord::name).toList();
  }

  @Test
  void updateDeviceSpecReplacesTheRegistrationButNotTheMachineImagesOrToken() {
    DeviceRecord d = new DeviceRecord(device("panda-1").spec(), "b2g", Map.of("a", "1"), "", Map.of(),
        "tok", new MachineRecord("ready", Map.of("x", 1), T0, 4, 2));
    run(t -> t.insertDevice(d));
    DeviceSpec moved = DeviceSpec.builder("panda-1").mac("aabbccddeeff").hardwareType("panda")
        .hardwareModel("ES Rev B3")
        .environment("staging").tag("rack", "9").server("imaging-2").comments("moved").build();
    run(t -> t.updateDeviceSpec(moved));
    assertThat(tx((StoreTransaction t) -> t.device("panda-1"))).contains(new DeviceRecord(moved, "b2g", Map.of("a", "1"),
        "", Map.of(), "tok", d.machine()));
    run(t -> t.updateDeviceSpec(moved)); // unchanged values are fine too
    assertThat(tx((StoreTransaction t) -> t.device("panda-1")).orElseThrow().spec()).isEqualTo(moved);
  }

  @Test
  void updateDeviceImagesReplacesCurrentAndNextImageWithTheirBootConfigs() {
    run(t -> t.insertDevice(device("panda-1")));
    run(t -> t.updateDeviceImages("panda-1", "b2g", Map.of("b2gbase", "http://1"), "android",
        Map.of("url", "http://2", "x", "y")));
    DeviceRecord d = tx((StoreTransaction t) -> t.device("panda-1")).orElseThrow();
    assertThat(d.image()).isEqualTo("b2g");
    assertThat(d.bootConfig()).isEqualTo(Map.of("b2gbase", "http://1"));
    assertThat(d.nextImage()).isEqualTo("android");
    assertThat(d.nextBootConfig()).isEqualTo(Map.of("url", "http://2", "x", "y"));
    assertThat(d.machine()).isEqualTo(device("panda-1").machine());

    run(t -> t.updateDeviceImages("panda-1", null, null, "", Map.of()));
    d = tx((StoreTransaction t) -> t.device("panda-1")).orElseThrow();
    assertThat(d.image()).isEmpty();
    assertThat(d.bootConfig()).isEmpty();
    assertThat(d.nextImage()).isEmpty();
    assertThat(d.nextBootConfig()).isEmpty();
  }

  @Test
  void updateCallbackTokenReplacesTheToken() {
    run(t -> t.insertDevice(device("panda-1")));
    run(t -> t.updateCallbackToken("panda-1", "abc123"));
    assertThat(tx((StoreTransaction t) -> t.device("panda-1")).orElseThrow().callbackToken()).isEqualTo("abc123");
    run(t -> t.updateCallbackToken("panda-1", ""));
    assertThat(tx((StoreTransaction t) -> t.device("panda-1")).orElseThrow().callbackToken()).isEmpty();
  }

  @Test
  void updatesOfAnUnknownDeviceThrowNoSuchDevice() {
    assertThatThrownBy(() -> run(t -> t.updateDeviceSpec(device("ghost").spec())))
        .isInstanceOf(NoSuchDeviceException.class);
    assertThatThrownBy(() -> run(t -> t.updateDeviceImages("ghost", "b2g", Map.of(), "", Map.of())))
        .isInstanceOf(NoSuchDeviceException.class);
    assertThatThrownBy(() -> run(t -> t.updateCallbackToken("ghost", "x")))
        .isInstanceOf(NoSuchDeviceException.class);
    assertThat(tx(StoreTransaction::devices)).isEmpty();
  }

  // ---- requests ----

  @Test
  void aRequestRoundTripsWithItsSpecDurationsTagsAndDevicesTried() {
    RequestSpec spec = RequestSpec.device("panda-7").environment("staging").hardwareType("panda")
        .hardwareModel("ES Rev B2").tag("rack", "3").tag("chassis", "7").image("b2g")
        .bootConfig("b2gbase", "http://builds/1?x=1&y=2").bootConfig("note", "ü \"quoted\"")
        .leaseDuration(Duration.ofMinutes(45).plusNanos(123_456_789))
        .waitBudget(Duration.ofSeconds(90))
        .priority(-3).requester("ci-runner-12").build();
    RequestRecord r = new RequestRecord("r-1", "lease-token", spec, "imaging-1", T0,
        T0.plusSeconds(2700), List.of("panda-3", "panda-1"), "tried hard",
        new MachineRecord("pending", Map.of("pending", 2), null, 0, 3));
    run(t -> t.insertRequest(r));
    RequestRecord back = tx((StoreTransaction t) -> t.request("r-1")).orElseThrow();
    assertThat(back.spec()).isEqualTo(spec);
    assertThat(back).isEqualTo(r);
  }

  @Test
  void insertingARequestWhoseIdExistsIsAConflict() {
    run(t -> t.insertRequest(request("r-1", T0)));
    assertThatThrownBy(() -> run(t -> t.insertRequest(request("r-1", T0.plusSeconds(5)))))
        .isInstanceOf(ConflictException.class).hasMessageContaining("r-1");
    assertThat(tx((StoreTransaction t) -> t.request("r-1")).orElseThrow().createdAt()).isEqualTo(T0);
  }

  @Test
  void requestsAreListedByCreationTimeThenId() {
    run(t -> {
      t.insertRequest(request("c", T0.plusSeconds(1)));
      t.insertRequest(request("b", T0.plusSeconds(2)));
      t.insertRequest(request("z", T0));
      t.insertRequest(request("a", T0.plusSeconds(2)));
      t.insertRequest(request("A", T0.plusSeconds(2)));
      t.insertRequest(request("y", T0.plusNanos(1000)));
    });
    assertThat(tx(StoreTransaction::requests)).extracting(RequestRecord::id)
        .containsExactly("z", "y", "c", "A", "a", "b");
  }

  @Test
  void requestsInStateListsOnlyThatStateOldestFirst() {
    run(t -> {
      t.insertRequest(request("r-3", T0.plusSeconds(3)));
      t.insertRequest(request("r-1", T0.plusSeconds(1)));
      t.insertRequest(request("r-2", T0.plusSeconds(2)));
    });
    run(t -> t.updateMachine(MachineKind.REQUEST, "r-2", 0,
        new MachineRecord("ready", Map.of(), null, 0, 1)));
    assertThat(tx((StoreTransaction t) -> t.requestsInState("finding_device"))).extracting(RequestRecord::id)
        .containsExactly("r-1", "r-3");
    assertThat(tx((StoreTransaction t) -> t.requestsInState("ready"))).extracting(RequestRecord::id)
        .containsExactly("r-2");
    assertThat(tx((StoreTransaction t) -> t.requestsInState("closed"))).isEmpty();
  }

  @Test
  void updateRequestReplacesExpiryDevicesTriedAndFailureReasonButNotTheMachine() {
    RequestRecord r = request("r-1", T0);
    run(t -> t.insertRequest(r));
    run(t -> t.updateRequest("r-1", T0.plusSeconds(7200), List.of("panda-2", "panda-1"),
        "no device"));
    RequestRecord back = tx((StoreTransaction t) -> t.request("r-1")).orElseThrow();
    assertThat(back.expiresAt()).isEqualTo(T0.plusSeconds(7200));
    assertThat(back.devicesTried()).containsExactly("panda-2", "panda-1");
    assertThat(back.failureReason()).isEqualTo("no device");
    assertThat(back.machine()).isEqualTo(r.machine());
    assertThat(back.spec()).isEqualTo(r.spec());
    assertThatThrownBy(() -> run(t -> t.updateRequest("ghost", T0, List.of(), "")))
        .isInstanceOf(NoSuchRequestException.class);
  }

  // ---- machines ----

  @Test
  void updateMachineWritesStateCountersDeadlineAndAttemptAndBumpsTheVersion() {
    addDevicesAndRequests(1, 1);
    // The version in the new record is ignored: the store sets expected + 1.
    run(t -> t.updateMachine(MachineKind.DEVICE, "panda-000", 0,
        new MachineRecord("pxe_power_cycling", Map.of("pxe_power_cycling", 2), T0.plusSeconds(60), 99, 5)));
    assertThat(tx((StoreTransaction t) -> t.machine(MachineKind.DEVICE, "panda-000"))).contains(
        new MachineRecord("pxe_power_cycling", Map.of("pxe_power_cycling", 2), T0.plusSeconds(60), 1, 5));
    run(t -> t.updateMachine(MachineKind.DEVICE, "panda-000", 1,
        new MachineRecord("ready", Map.of(), null, 1, 6)));
    assertThat(tx((StoreTransaction t) -> t.device("panda-000")).orElseThrow().machine())
        .isEqualTo(new MachineRecord("ready", Map.of(), null, 2, 6));

    run(t -> t.updateMachine(MachineKind.REQUEST, "req-000", 0,
        new MachineRecord("contacting_lifeguard", Map.of("c", 1), T0.plusSeconds(30), 0, 1)));
    assertThat(tx((StoreTransaction t) -> t.request("req-000")).orElseThrow().machine()).isEqualTo(
        new MachineRecord("contacting_lifeguard", Map.of("c", 1), T0.plusSeconds(30), 1, 1));
  }

  @Test
  void updateMachineWithAStaleVersionThrowsAndWritesNothing() {
    addDevicesAndRequests(1, 1);
    run(t -> t.updateMachine(MachineKind.DEVICE, "panda-000", 0,
        new MachineRecord("a", Map.of(), null, 0, 1)));
    assertThatThrownBy(() -> run(t -> {
      t.appendLog(MachineKind.DEVICE, "panda-000", new LogEntry(T0, "test", "before"));
      t.updateMachine(MachineKind.DEVICE, "panda-000", 0, new MachineRecord("b", Map.of(), null, 0, 2));
    })).isInstanceOf(StaleStateException.class)
        .hasMessageContaining("panda-000").hasMessageContaining("expected version 0, found 1");
    assertThat(tx((StoreTransaction t) -> t.machine(MachineKind.DEVICE, "panda-000")))
        .contains(new MachineRecord("a", Map.of(), null, 1, 1));
    assertThat(tx((StoreTransaction t) -> t.log(MachineKind.DEVICE, "panda-000", 10))).isEmpty();

    assertThatThrownBy(() -> run(t -> t.updateMachine(MachineKind.REQUEST, "req-000", 3,
        new MachineRecord("b", Map.of(), null, 0, 2))))
        .isInstanceOf(StaleStateException.class).hasMessageContaining("expected version 3, found 0");
    assertThat(tx((StoreTransaction t) -> t.machine(MachineKind.REQUEST, "req-000")).orElseThrow().state())
        .isEqualTo("finding_device");
  }

  @Test
  void aStaleUpdateCaughtInsideTheTransactionLeavesTheRestOfItUsable() {
    addDevicesAndRequests(1, 0);
    boolean caught = tx((StoreTransaction t) -> {
      try {
        t.updateMachine(MachineKind.DEVICE, "panda-000", 5, new MachineRecord("b", Map.of(), null, 0, 2));
        return false;
      } catch (StaleStateException e) {
        t.updateMachine(MachineKind.DEVICE, "panda-000", 0, new MachineRecord("c", Map.of(), null, 0, 3));
        return true;
      }
    });
    assertThat(caught).isTrue();
    assertThat(tx((StoreTransaction t) -> t.machine(MachineKind.DEVICE, "panda-000")).orElseThrow().state()).isEqualTo("c");
  }

  @Test
  void updateMachineOfAnUnknownMachineThrowsNoSuchDeviceOrRequest() {
    MachineRecord m = MachineRecord.initial("ready", null);
    assertThatThrownBy(() -> run(t -> t.updateMachine(MachineKind.DEVICE, "ghost", 0, m)))
        .isInstanceOf(NoSuchDeviceException.class);
    assertThatThrownBy(() -> run(t -> t.updateMachine(MachineKind.REQUEST, "ghost", 0, m)))
        .isInstanceOf(NoSuchRequestException.class);
  }

  @Test
  void deadlinesListEveryMachineOfTheKindThatHasADeadline() {
    addDevicesAndRequests(3, 2);
    run(t -> t.updateMachine(MachineKind.DEVICE, "panda-001", 0,
        new MachineRecord("locked_out", Map.of(), null, 0, 1)));
    run(t -> t.updateMachine(MachineKind.REQUEST, "req-001", 0,
        new MachineRecord("ready", Map.of(), null, 0, 1)));
    assertThat(tx((StoreTransaction t) -> t.deadlines(MachineKind.DEVICE))).containsExactlyInAnyOrder(
        new MachineDeadline(MachineKind.DEVICE, "panda-000", T0.plusSeconds(600)),
        new MachineDeadline(MachineKind.DEVICE, "panda-002", T0.plusSeconds(600)));
    assertThat(tx((StoreTransaction t) -> t.deadlines(MachineKind.REQUEST))).containsExactly(
        new MachineDeadline(MachineKind.REQUEST, "req-000", T0.plusSeconds(60)));
  }

  // ---- claims ----

  @Test
  void aClaimLinksTheDeviceAndTheRequest() {
    addDevicesAndRequests(1, 1);
    assertThat(tx((StoreTransaction t) -> t.claim("panda-000", "req-000", T0.plusMillis(5)))).isTrue();
    Claim expected = new Claim("panda-000", "req-000", T0.plusMillis(5), null);
    assertThat(tx((StoreTransaction t) -> t.claimOfDevice("panda-000"))).contains(expected);
    assertThat(tx((StoreTransaction t) -> t.claimOfRequest("req-000"))).contains(expected);
  }

  @Test
  void aClaimedDeviceCannotBeClaimedByAnotherRequest() {
    addDevicesAndRequests(1, 2);
    assertThat(tx((StoreTransaction t) -> t.claim("panda-000", "req-000", T0))).isTrue();
    assertThat(tx((StoreTransaction t) -> t.claim("panda-000", "req-001", T0))).isFalse();
    assertThat(tx((StoreTransaction t) -> t.claimOfDevice("panda-000")).orElseThrow().requestId()).isEqualTo("req-000");
    assertThat(tx((StoreTransaction t) -> t.claimOfRequest("req-001"))).isEmpty();
  }

  @Test
  void aRequestHoldingAClaimCannotClaimASecondDevice() {
    addDevicesAndRequests(2, 1);
    assertThat(tx((StoreTransaction t) -> t.claim("panda-000", "req-000", T0))).isTrue();
    assertThat(tx((StoreTransaction t) -> t.claim("panda-001", "req-000", T0))).isFalse();
    assertThat(tx((StoreTransaction t) -> t.claimOfDevice("panda-001"))).isEmpty();
    assertThat(tx((StoreTransaction t) -> t.claimOfRequest("req-000")).orElseThrow().device()).isEqualTo("panda-000");
  }

  @Test
  void aRefusedClaimLeavesTheTransactionUsable() {
    addDevicesAndRequests(2, 2);
    run(t -> t.claim("panda-000", "req-000", T0));
    boolean second = tx((StoreTransaction t) -> {
      assertThat(t.claim("panda-000", "req-001", T0)).isFalse();
      return t.claim("panda-001", "req-001", T0);
    });
    assertThat(second).isTrue();
    assertThat(tx((StoreTransaction t) -> t.claimOfRequest("req-001")).orElseThrow().device()).isEqualTo("panda-001");
  }

  @Test
  void releasingAClaimFreesBothSidesAndReturnsIt() {
    addDevicesAndRequests(2, 2);
    run(t -> t.claim("panda-000", "req-000", T0));
    assertThat(tx((StoreTransaction t) -> t.releaseClaim("req-000")))
        .contains(new Claim("panda-000", "req-000", T0, null));
    assertThat(tx((StoreTransaction t) -> t.claimOfDevice("panda-000"))).isEmpty();
    assertThat(tx((StoreTransaction t) -> t.claimOfRequest("req-000"))).isEmpty();
    assertThat(tx((StoreTransaction t) -> t.releaseClaim("req-000"))).isEmpty();
    assertThat(tx((StoreTransaction t) -> t.claim("panda-000", "req-001", T0))).isTrue();
    assertThat(tx((StoreTransaction t) -> t.claim("panda-001", "req-000", T0))).isTrue();
  }

  @Test
  void claimingAnUnknownDeviceOrRequestThrows() {
    addDevicesAndRequests(1, 1);
    assertThatThrownBy(() -> tx((StoreTransaction t) -> t.claim("ghost", "req-000", T0)))
        .isInstanceOf(NoSuchDeviceException.class);
    assertThatThrownBy(() -> tx((StoreTransaction t) -> t.claim("panda-000", "ghost", T0)))
        .isInstanceOf(NoSuchRequestException.class);
    assertThat(tx((StoreTransaction t) -> t.claimOfDevice("panda-000"))).isEmpty();
  }

  @Test
  void theImagingResultIsRecordedOnTheClaimAndIgnoredWithoutOne() {
    addDevicesAndRequests(2, 1);
    run(t -> t.claim("panda-000", "req-000", T0));
    run(t -> t.setImagingResult("panda-000", ImagingResult.FAILED_BAD_IMAGE));
    assertThat(tx((StoreTransaction t) -> t.claimOfRequest("req-000")).orElseThrow().imagingResult())
        .isEqualTo(ImagingResult.FAILED_BAD_IMAGE);
    run(t -> t.setImagingResult("panda-000", ImagingResult.COMPLETE));
    assertThat(tx((StoreTransaction t) -> t.claimOfDevice("panda-000")).orElseThrow().imagingResult())
        .isEqualTo(ImagingResult.COMPLETE);
    run(t -> t.setImagingResult("panda-001", ImagingResult.FAILED_BAD_DEVICE));
    assertThat(tx((StoreTransaction t) -> t.claimOfDevice("panda-001"))).isEmpty();
    assertThat(tx((StoreTransaction t) -> t.releaseClaim("req-000")).orElseThrow().imagingResult())
        .isEqualTo(ImagingResult.COMPLETE);
  }

  // ---- atomicity ----

  @Test
  void workThatThrowsUndoesEveryKindOfWrite() {
    run(t -> {
      t.putHardwareType(HardwareType.of("panda"));
      t.putImage(Image.builder("b2g").build());
      t.putPxeConfig(PxeConfig.of("b2g-pxe", "kernel"));
      t.mapPxeConfig("b2g", "panda", "b2g-pxe");
      t.insertDevice(device("panda-000"));
      t.insertDevice(device("panda-001"));
      t.insertRequest(request("req-000", T0));
      t.insertRequest(request("req-001", T0));
      t.claim("panda-001", "req-001", T0);
      t.appendLog(MachineKind.DEVICE, "panda-000", new LogEntry(T0, "test", "old"));
      t.appendLog(MachineKind.REQUEST, "req-000", new LogEntry(T0, "test", "old"));
    });
    String before = snapshot();
    RuntimeException boom = new IllegalStateException("boom");
    assertThatThrownBy(() -> run(t -> {
      t.putHardwareType(new HardwareType("panda", "changed"));
      t.putHardwareType(HardwareType.of("tegra"));
      t.putImage(Image.builder("b2g").reusable(true).build());
      t.putImage(Image.builder("android").build());
      t.putPxeConfig(new PxeConfig("b2g-pxe", "", "changed", false));
      t.putPxeConfig(PxeConfig.of("android-pxe", "x"));
      t.mapPxeConfig("b2g", "panda", "android-pxe");
      t.mapPxeConfig("android", "panda", "android-pxe");
      t.insertDevice(device("panda-002"));
      t.updateDeviceSpec(DeviceSpec.builder("panda-000").mac("ffffffffffff").hardwareType("x")
          .hardwareModel("y").build());
      t.updateDeviceImages("panda-000", "b2g", Map.of("a", "b"), "android", Map.of("c", "d"));
      t.updateCallbackToken("panda-000", "changed");
      t.insertRequest(request("req-002", T0));
      t.updateRequest("req-000", T0.plusSeconds(1), List.of("panda-9"), "changed");
      t.updateMachine(MachineKind.DEVICE, "panda-000", 0, new MachineRecord("x", Map.of("n", 1), null, 0, 9));
      t.updateMachine(MachineKind.REQUEST, "req-000", 0, new MachineRecord("x", Map.of(), null, 0, 9));
      assertThat(t.claim("panda-000", "req-000", T0)).isTrue();
      t.setImagingResult("panda-000", ImagingResult.COMPLETE);
      t.setImagingResult("panda-001", ImagingResult.FAILED_BAD_DEVICE);
      t.appendLog(MachineKind.DEVICE, "panda-000", new LogEntry(T0.plusSeconds(1), "test", "new"));
      t.appendLog(MachineKind.REQUEST, "req-000", new LogEntry(T0.plusSeconds(1), "test", "new"));
      t.recordFailure(new DeviceFailure("panda-000", "failed_pxe_booting", T0));
      assertThat(t.pruneLogs(T0.plusMillis(1))).isEqualTo(2);
      t.releaseClaim("req-001");
      throw boom;
    })).isSameAs(boom);
    assertThat(snapshot()).isEqualTo(before);
  }

  /** Everything readable, as text, for before/after comparisons. */
  private String snapshot() {
    return tx((StoreTransaction t) -> {
      StringBuilder s = new StringBuilder();
      s.append(t.hardwareTypes()).append('\n').append(t.images()).append('\n');
      for (String p : List.of("b2g-pxe", "android-pxe")) {
        s.append(t.pxeConfig(p)).append('\n');
      }
      for (String image : List.of("b2g", "android")) {
        s.append(t.pxeConfigFor(image, "panda")).append('\n');
      }
      s.append(t.devices()).append('\n').append(t.requests()).append('\n');
      for (DeviceRecord d : t.devices()) {
        s.append(t.claimOfDevice(d.name())).append(t.log(MachineKind.DEVICE, d.name(), 100))
            .append(t.failures(d.name(), Instant.EPOCH)).append('\n');
      }
      for (RequestRecord r : t.requests()) {
        s.append(t.claimOfRequest(r.id())).append(t.log(MachineKind.REQUEST, r.id(), 100)).append('\n');
      }
      s.append(t.deadlines(MachineKind.DEVICE).size()).append(t.deadlines(MachineKind.REQUEST).size());
      return s.toString();
    });
  }

  @Test
  void theResultOfWorkIsReturnedAndItsWritesAreVisibleToLaterTransactions() {
    assertThat(tx((StoreTransaction t) -> {
      t.insertDevice(device("panda-1"));
      return 42;
    })).isEqualTo(42);
    assertThat(tx((StoreTransaction t) -> t.device("panda-1"))).isPresent();
  }

  @Test
  void aTransactionCannotBeWrittenToAfterItsWorkReturned() {
    StoreTransaction leaked = tx((StoreTransaction t) -> t);
    assertThatThrownBy(() -> leaked.insertDevice(device("panda-1")))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> leaked.appendLog(MachineKind.DEVICE, "panda-1",
        new LogEntry(T0, "test", "late"))).isInstanceOf(IllegalStateException.class);
    assertThat(tx(StoreTransaction::devices)).isEmpty();
  }

  @Test
  void writesAreVisibleLaterInTheSameTransaction() {
    tx((StoreTransaction t) -> {
      t.insertDevice(device("panda-1"));
      t.insertRequest(request("r-1", T0));
      assertThat(t.device("panda-1")).isPresent();
      assertThat(t.claim("panda-1", "r-1", T0)).isTrue();
      assertThat(t.findDevices(new DeviceQuery("", true, "", "", ""))).isEmpty();
      t.updateMachine(MachineKind.DEVICE, "panda-1", 0, new MachineRecord("x", Map.of(), null, 0, 1));
      assertThat(t.machine(MachineKind.DEVICE, "panda-1").orElseThrow().version()).isEqualTo(1);
      return null;
    });
  }

  // ---- logs and history ----

  @Test
  void logsAreReturnedOldestFirstAndLimitedToTheNewestLines() {
    run(t -> {
      for (int i = 0; i < 5; i++) {
        t.appendLog(MachineKind.DEVICE, "panda-1", new LogEntry(T0.plusSeconds(i), "lifeguard", "line " + i));
      }
    });
    run(t -> t.appendLog(MachineKind.DEVICE, "panda-1", new LogEntry(T0.plusSeconds(5), "bmm", "line 5")));
    assertThat(tx((StoreTransaction t) -> t.log(MachineKind.DEVICE, "panda-1", 3))).extracting(LogEntry::message)
        .containsExactly("line 3", "line 4", "line 5");
    assertThat(tx((StoreTransaction t) -> t.log(MachineKind.DEVICE, "panda-1", 100))).hasSize(6)
        .first().isEqualTo(new LogEntry(T0, "lifeguard", "line 0"));
    assertThat(tx((StoreTransaction t) -> t.log(MachineKind.DEVICE, "panda-2", 100))).isEmpty();
  }

  @Test
  void linesLoggedAtTheSameInstantKeepTheirOrder() {
    run(t -> {
      for (int i = 0; i < 4; i++) {
        t.appendLog(MachineKind.REQUEST, "r-1", new LogEntry(T0, "pool", "step " + i));
      }
    });
    assertThat(tx((StoreTransaction t) -> t.log(MachineKind.REQUEST, "r-1", 10))).extracting(LogEntry::message)
        .containsExactly("step 0", "step 1", "step 2", "step 3");
  }

  @Test
  void deviceAndRequestLogsAreSeparateEvenForTheSameId() {
    run(t -> {
      t.appendLog(MachineKind.DEVICE, "x", new LogEntry(T0, "lifeguard", "device line"));
      t.appendLog(MachineKind.REQUEST, "x", new LogEntry(T0, "pool", "request line"));
    });
    assertThat(tx((StoreTransaction t) -> t.log(MachineKind.DEVICE, "x", 10))).containsExactly(
        new LogEntry(T0, "lifeguard", "device line"));
    assertThat(tx((StoreTransaction t) -> t.log(MachineKind.REQUEST, "x", 10))).containsExactly(
        new LogEntry(T0, "pool", "request line"));
  }

  @Test
  void pruneLogsDeletesLinesOlderThanTheCutoffOfBothKindsAndCountsThem() {
    run(t -> {
      for (int i = 0; i < 3; i++) {
        t.appendLog(MachineKind.DEVICE, "panda-1", new LogEntry(T0.plusSeconds(i), "l", "d" + i));
        t.appendLog(MachineKind.REQUEST, "r-1", new LogEntry(T0.plusSeconds(i), "p", "r" + i));
      }
    });
    assertThat(tx((StoreTransaction t) -> t.pruneLogs(T0.plusSeconds(1)))).isEqualTo(2);
    assertThat(tx((StoreTransaction t) -> t.log(MachineKind.DEVICE, "panda-1", 10))).extracting(LogEntry::message)
        .containsExactly("d1", "d2");
    assertThat(tx((StoreTransaction t) -> t.log(MachineKind.REQUEST, "r-1", 10))).extracting(LogEntry::message)
        .containsExactly("r1", "r2");
    assertThat(tx((StoreTransaction t) -> t.pruneLogs(T0.plusSeconds(1)))).isZero();
    assertThat(tx((StoreTransaction t) -> t.pruneLogs(T0.plusSeconds(10)))).isEqualTo(4);
  }

  @Test
  void failuresSinceIncludeTheBoundaryAndAreOldestFirstPerDevice() {
    run(t -> {
      t.recordFailure(new DeviceFailure("panda-1", "failed_pxe_booting", T0));
      t.recordFailure(new DeviceFailure("panda-2", "failed_self_test", T0.plusSeconds(1)));
      t.recordFailure(new DeviceFailure("panda-1", "failed_verifying", T0.plusSeconds(2)));
    });
    run(t -> t.recordFailure(new DeviceFailure("panda-1", "failed_self_test", T0.plusSeconds(3))));
    assertThat(tx((StoreTransaction t) -> t.failures("panda-1", T0))).containsExactly(
        new DeviceFailure("panda-1", "failed_pxe_booting", T0),
        new DeviceFailure("panda-1", "failed_verifying", T0.plusSeconds(2)),
        new DeviceFailure("panda-1", "failed_self_test", T0.plusSeconds(3)));
    assertThat(tx((StoreTransaction t) -> t.failures("panda-1", T0.plusSeconds(2)))).extracting(DeviceFailure::state)
        .containsExactly("failed_verifying", "failed_self_test");
    assertThat(tx((StoreTransaction t) -> t.failures("panda-1", T0.plusSeconds(4)))).isEmpty();
    assertThat(tx((StoreTransaction t) -> t.failures("panda-3", Instant.EPOCH))).isEmpty();
  }

  // ---- statistics ----

  /** Statistics with every field set, names and days in no particular order. */
  protected static DeviceStatisticsRecord statistics(String device) {
    return new DeviceStatisticsRecord(device, T0, "imaging", T0.plusSeconds(3600),
        Map.of("b2g", 3L, "android", 1L), 7, Map.of("failed_pxe_booting", 2L, "ready", 1L), 4, 1,
        1, T0.plusSeconds(1800).plusNanos(1),
        Map.of("ready", Duration.ofMinutes(50), "self-test", Duration.ofSeconds(599, 999_999_999)),
        Map.of(LocalDate.parse("2026-03-04"), Map.of("ready", Duration.ofMinutes(50)),
            LocalDate.parse("2026-03-03"), Map.of("self-test", Duration.ofMinutes(10))));
  }

  @Test
  void deviceStatisticsRoundTripExactly() {
    DeviceStatisticsRecord full = statistics("panda-1");
    run(t -> t.putDeviceStatistics(full));
    assertThat(tx((StoreTransaction t) -> t.deviceStatistics("panda-1"))).contains(full);
    assertThat(tx((StoreTransaction t) -> t.deviceStatistics("panda-2"))).isEmpty();
  }

  @Test
  void deviceStatisticsWithNothingCountedYetRoundTrip() {
    DeviceStatisticsRecord empty = DeviceStatisticsRecord.starting("panda-1", T0, "other");
    run(t -> t.putDeviceStatistics(empty));
    assertThat(tx((StoreTransaction t) -> t.deviceStatistics("panda-1"))).contains(empty);
  }

  @Test
  void puttingDeviceStatisticsAgainReplacesThemAndLeavesOtherDevicesAlone() {
    run(t -> {
      t.putDeviceStatistics(statistics("panda-1"));
      t.putDeviceStatistics(statistics("panda-2"));
    });
    DeviceStatisticsRecord later = DeviceStatisticsRecord.starting("panda-1", T0, "failed");
    run(t -> t.putDeviceStatistics(later));
    assertThat(tx((StoreTransaction t) -> t.deviceStatistics("panda-1"))).contains(later);
    assertThat(tx((StoreTransaction t) -> t.deviceStatistics("panda-2")))
        .contains(statistics("panda-2"));
  }

  @Test
  void deviceStatisticsPutInATransactionThatFailsAreNotKept() {
    run(t -> t.putDeviceStatistics(statistics("panda-1")));
    assertThatThrownBy(() -> run(t -> {
      t.putDeviceStatistics(DeviceStatisticsRecord.starting("panda-1", T0, "failed"));
      t.putDeviceStatistics(statistics("panda-2"));
      assertThat(t.deviceStatistics("panda-1")).map(DeviceStatisticsRecord::family)
          .contains("failed"); // the transaction sees its own write
      throw new IllegalStateException("rolled back");
    })).isInstanceOf(IllegalStateException.class);
    assertThat(tx((StoreTransaction t) -> t.deviceStatistics("panda-1")))
        .contains(statistics("panda-1"));
    assertThat(tx((StoreTransaction t) -> t.deviceStatistics("panda-2"))).isEmpty();
  }

  @Test
  void instantsRoundTripToTheMicrosecond() {
    Instant precise = Instant.parse("2031-12-31T23:59:59.999999Z");
    Instant early = Instant.parse("1969-12-31T23:59:59.000001Z");
    run(t -> {
      t.insertDevice(new DeviceRecord(device("panda-1").spec(), "", Map.of(), "", Map.of(), "",
          MachineRecord.initial("ready", precise)));
      t.insertRequest(request("r-1", early));
      t.claim("panda-1", "r-1", precise);
      t.appendLog(MachineKind.DEVICE, "panda-1", new LogEntry(early, "x", "y"));
      t.recordFailure(new DeviceFailure("panda-1", "failed_self_test", precise));
    });
    assertThat(tx((StoreTransaction t) -> t.machine(MachineKind.DEVICE, "panda-1")).orElseThrow().deadline()).isEqualTo(precise);
    assertThat(tx((StoreTransaction t) -> t.request("r-1")).orElseThrow().createdAt()).isEqualTo(early);
    assertThat(tx((StoreTransaction t) -> t.claimOfDevice("panda-1")).orElseThrow().claimedAt()).isEqualTo(precise);
    assertThat(tx((StoreTransaction t) -> t.log(MachineKind.DEVICE, "panda-1", 1)).get(0).timestamp()).isEqualTo(early);
    assertThat(tx((StoreTransaction t) -> t.failures("panda-1", precise))).hasSize(1);
  }

  @Test
  void longAndNonAsciiTextRoundTrips() {
    String longText = "é✓🚀 ".repeat(5_000) + "\n\t'\"\\ end";
    String contents = "label live\n  kernel http://%IPADDRESS%/vmlinuz\n".repeat(2_000);
    DeviceSpec spec = DeviceSpec.builder("panda-1").mac("001122334455")
        .hardwareType("panda").hardwareModel("ES Rev B2 (2012) – ünïcode").comments(longText)
        .build();
    DeviceRecord d = new DeviceRecord(spec, "b2g", Map.of("url", "http://x/" + "a".repeat(2_000)),
        "", Map.of(), "t".repeat(512), MachineRecord.initial("ready", null));
    run(t -> {
      t.insertDevice(d);
      t.putPxeConfig(new PxeConfig("big", longText, contents, true));
      t.insertRequest(request("r-1", T0));
      t.updateRequest("r-1", T0, List.of("panda-1"), longText);
      t.appendLog(MachineKind.DEVICE, "panda-1", new LogEntry(T0, "device", longText));
    });
    assertThat(tx((StoreTransaction t) -> t.device("panda-1"))).contains(d);
    assertThat(tx((StoreTransaction t) -> t.pxeConfig("big")).orElseThrow().contents())
        .isEqualTo(contents);
    assertThat(tx((StoreTransaction t) -> t.request("r-1")).orElseThrow().failureReason())
        .isEqualTo(longText);
    assertThat(tx((StoreTransaction t) -> t.log(MachineKind.DEVICE, "panda-1", 1)).get(0).message())
        .isEqualTo(longText);
  }

  @Test
  @Timeout(30)
  void noOtherTransactionEverSeesTheWritesOfOneThatRollsBack() throws Exception {
    java.util.concurrent.CountDownLatch written = new java.util.concurrent.CountDownLatch(1);
    ExecutorService writer = Executors.newSingleThreadExecutor();
    try {
      Future<?> rolledBack = writer.submit(() -> {
        try {
          run(t -> {
            t.insertDevice(device("panda-1"));
            t.appendLog(MachineKind.DEVICE, "panda-1", new LogEntry(T0, "test", "uncommitted"));
            written.countDown();
            try {
              Thread.sleep(300);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("roll back");
          });
        } catch (IllegalStateException expected) {
          // rolled back as intended
        }
      });
      assertThat(written.await(10, TimeUnit.SECONDS)).isTrue();
      // A store may make the reader wait for the writer (the in-memory store does) or show it
      // the last committed state; it must never show the uncommitted device.
      assertThat(tx((StoreTransaction t) -> t.device("panda-1"))).isEmpty();
      assertThat(tx((StoreTransaction t) -> t.log(MachineKind.DEVICE, "panda-1", 10))).isEmpty();
      rolledBack.get(10, TimeUnit.SECONDS);
      assertThat(tx(StoreTransaction::devices)).isEmpty();
    } finally {
      writer.shutdownNow();
    }
  }

  // ---- concurrency ----

  @Test
  @Timeout(60)
  void manyThreadsClaimingOneDeviceForDifferentRequestsExactlyOneWins() throws Exception {
    int threads = 16;
    addDevicesAndRequests(1, threads);
    List<Boolean> results = concurrently(threads, i -> t -> t.claim("panda-000", String.format("req-%03d", i), T0));
    assertThat(results).containsOnlyOnce(true);
    int winner = results.indexOf(true);
    assertThat(tx((StoreTransaction t) -> t.claimOfDevice("panda-000")).orElseThrow().requestId())
        .isEqualTo(String.format("req-%03d", winner));
  }

  @Test
  @Timeout(60)
  void manyThreadsClaimingDifferentDevicesForOneRequestExactlyOneWins() throws Exception {
    int threads = 16;
    addDevicesAndRequests(threads, 1);
    List<Boolean> results = concurrently(threads, i -> t -> t.claim(String.format("panda-%03d", i), "req-000", T0));
    assertThat(results).containsOnlyOnce(true);
    assertThat(tx((StoreTransaction t) -> t.claimOfRequest("req-000")).orElseThrow().device())
        .isEqualTo(String.format("panda-%03d", results.indexOf(true)));
    assertThat(tx((StoreTransaction t) -> t.findDevices(new DeviceQuery("", true, "", "", "")))).hasSize(threads - 1);
  }

  @Test
  @Timeout(60)
  void concurrentUpdatesOfOneMachineFromTheSameVersionLetExactlyOneCommit() throws Exception {
    int threads = 12;
    addDevicesAndRequests(1, 0);
    List<Boolean> results = concurrently(threads, i -> t -> {
      try {
        t.appendLog(MachineKind.DEVICE, "panda-000", new LogEntry(T0, "test", "writer " + i));
        t.updateMachine(MachineKind.DEVICE, "panda-000", 0,
            new MachineRecord("state-" + i, Map.of(), null, 0, i));
        return true;
      } catch (StaleStateException e) {
        throw new LostRace(e);
      }
    });
    assertThat(results).containsOnlyOnce(true);
    int winner = results.indexOf(true);
    assertThat(tx((StoreTransaction t) -> t.machine(MachineKind.DEVICE, "panda-000"))).contains(
        new MachineRecord("state-" + winner, Map.of(), null, 1, winner));
    assertThat(tx((StoreTransaction t) -> t.log(MachineKind.DEVICE, "panda-000", 100))).extracting(LogEntry::message)
        .containsExactly("writer " + winner);
  }

  /** Thrown out of a transaction to roll it back and report "lost" to {@link #concurrently}. */
  private static final class LostRace extends RuntimeException {
    private static final long serialVersionUID = 1L;

    LostRace(Throwable cause) {
      super(cause);
    }
  }

  /**
   * Runs {@code threads} transactions released at the same moment; a transaction that fails
   * transiently is retried, as the engine does. A {@link LostRace} counts as false.
   */
  private List<Boolean> concurrently(int threads,
      java.util.function.IntFunction<Function<StoreTransaction, Boolean>> work) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CyclicBarrier start = new CyclicBarrier(threads);
      List<Future<Boolean>> futures = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        Function<StoreTransaction, Boolean> w = work.apply(i);
        Callable<Boolean> task = () -> {
          start.await(30, TimeUnit.SECONDS);
          for (int attempt = 1; ; attempt++) {
            try {
              return store.inTransaction(w);
            } catch (LostRace e) {
              return false;
            } catch (TransientStoreException e) {
              if (attempt == 20) {
                throw e;
              }
              Thread.sleep(5L * attempt);
            }
          }
        };
        futures.add(pool.submit(task));
      }
      List<Boolean> results = new ArrayList<>();
      for (Future<Boolean> f : futures) {
        results.add(f.get(60, TimeUnit.SECONDS));
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }
}
