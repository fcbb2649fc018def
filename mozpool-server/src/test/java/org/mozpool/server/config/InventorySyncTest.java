package org.mozpool.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.DeviceSpec;
import org.mozpool.DeviceStates;
import org.mozpool.DeviceView;
import org.mozpool.LogEntry;
import org.mozpool.Mozpool;
import org.mozpool.Pool;
import org.mozpool.PxeConfig;
import org.mozpool.core.SystemTimekeeper;
import org.mozpool.jdbc.JdbcPoolStore;
import org.mozpool.lifeguard.StandardLifeguard;
import org.mozpool.server.ConfigException;
import org.mozpool.server.ConfigLoader;
import org.mozpool.server.ServerConfig;
import org.mozpool.server.internal.InventorySync;
import org.mozpool.spi.PoolStore;
import org.mozpool.spi.StoreTransaction;
import org.mozpool.testkit.doubles.ScriptedHardware;

/**
 * Syncing a config into a pool, again and again over one H2 database as successive starts of a
 * server do: new things registered, changed ones updated, removed devices retired and brought back.
 */
class InventorySyncTest {
  /** StoreTransaction methods that write. */
  private static final Set<String> WRITES = Set.of("putHardwareType", "putImage", "putPxeConfig",
      "mapPxeConfig", "insertDevice", "updateDeviceSpec", "updateDeviceImages",
      "updateCallbackToken", "insertRequest", "updateRequest", "updateMachine", "claim",
      "releaseClaim", "setImagingResult", "appendLog", "recordFailure");

  @TempDir
  Path dir;

  private final AtomicInteger writes = new AtomicInteger();
  private PoolStore store;
  private SystemTimekeeper time;
  private Pool pool;

  @AfterEach
  void close() {
    stop();
  }

  private void stop() {
    if (pool != null) {
      pool.close();
      time.close();
      store.close();
      pool = null;
    }
  }

  /**
   * A start of the instance lab-1 over the test's database, with hardware that does every
   * operation at once and well (no live image ever calls home).
   */
  private Pool start() {
    stop();
    store = counting(JdbcPoolStore.h2(dir.resolve("db/mozpool")));
    time = new SystemTimekeeper();
    ScriptedHardware hw = new ScriptedHardware(time);
    pool = Mozpool.builder().store(store).timekeeper(time).lifeguard(StandardLifeguard.factory())
        .powerControl(hw).bootControl(hw).deviceProbe(hw).serverId("lab-1").build();
    return pool;
  }

  private List<String> sync(String yaml) {
    ServerConfig config = ConfigLoader.parse("lab.yaml", yaml);
    List<String> changes = InventorySync.apply(config, dir, pool.inventory(), pool.lifeguard());
    // new devices self-test: wait until they wait for the live image, which never calls
    await().atMost(Duration.ofSeconds(20)).until(() -> pool.inventory().devices().stream()
        .allMatch(d -> Set.of(DeviceStates.PXE_BOOTING, DeviceStates.RETIRED)
            .contains(d.state()) || !d.spec().server().equals("lab-1")));
    return changes;
  }

  private static String lab(String devices) {
    return """
        instance: lab-1
        auth: open
        hardware_types: [{name: panda, description: PandaBoard ES}]
        pxe_configs:
          - {name: live, contents: "kernel live token=%TOKEN%"}
        images:
          - {name: self-test, hidden: true, pxe_configs: {panda: live}}
          - {name: maintenance, hidden: true, pxe_configs: {panda: live}}
          - {name: b2g, boot_config_keys: [b2gbase], reusable: true, pxe_configs: {panda: live}}
        devices:
        """ + devices;
  }

  private static final String PANDA_1 = """
        - {name: panda-1, mac: "00:11:22:33:44:01", hardware: panda, model: ES Rev B2,
           power: "proxr://relay-1:2101/bank/1/relay/1", tags: {rack: "1", chassis: "1"}}
      """;
  private static final String PANDA_2 = """
        - {name: panda-2, mac: "00:11:22:33:44:02", hardware: panda, model: ES Rev B2,
           power: "proxr://relay-1:2101/bank/1/relay/2", tags: {rack: "1", chassis: "1"}}
      """;

  private List<String> log(String device) {
    return pool.inventory().deviceLog(device).stream().map(LogEntry::message).toList();
  }

  @Test
  void aFirstSyncRegistersEverythingForThisInstance() {
    start();

    List<String> changes = sync(lab(PANDA_1 + PANDA_2));

    assertThat(changes).containsExactly("hardware type panda registered",
        "PXE config live registered", "image self-test registered",
        "image self-test installs on panda with PXE config live", "image maintenance registered",
        "image maintenance installs on panda with PXE config live", "image b2g registered",
        "image b2g installs on panda with PXE config live", "device panda-1 registered",
        "device panda-2 registered");
    DeviceSpec spec = pool.inventory().device("panda-1").spec();
    assertThat(spec.server()).isEqualTo("lab-1");
    assertThat(spec.fqdn()).isEqualTo("panda-1");
    assertThat(spec.environment()).isEqualTo("production");
    assertThat(spec.tags()).isEqualTo(Map.of("rack", "1", "chassis", "1"));
    assertThat(log("panda-1")).startsWith("registered");
  }

  @Test
  void aSecondStartWithTheSameConfigWritesNothingAndLogsNothing() {
    start();
    sync(lab(PANDA_1 + PANDA_2));
    List<String> logBefore = log("panda-1");

    start();
    writes.set(0);
    List<String> changes = InventorySync.apply(ConfigLoader.parse("lab.yaml",
        lab(PANDA_1 + PANDA_2)), dir, pool.inventory(), pool.lifeguard());

    assertThat(changes).isEmpty();
    assertThat(writes).hasValue(0);
    assertThat(log("panda-1")).isEqualTo(logBefore);
  }

  @Test
  void whatChangedInTheConfigIsUpdatedWithoutDisturbingTheDevice() {
    start();
    sync(lab(PANDA_1 + PANDA_2));

    start();
    List<String> changes = sync(lab("""
          - {name: panda-1, mac: "00:11:22:33:44:a1", fqdn: panda-1.lab.example, hardware: panda,
             model: ES Rev B3, environment: staging, power: "relay-2:2101:bank2:relay3",
             tags: {rack: "2"}, comments: moved to rack 2}
        """ + PANDA_2).replace("kernel live", "kernel live2"));

    assertThat(changes).containsExactly("PXE config live updated",
        "device panda-1 updated: comments, environment, fqdn, mac, model, power, tags");
    DeviceView panda = pool.inventory().device("panda-1");
    assertThat(panda.spec()).isEqualTo(DeviceSpec.builder("panda-1").mac("0011223344a1")
        .fqdn("panda-1.lab.example").hardware("panda", "ES Rev B3").environment("staging")
        .powerAddress("relay-2:2101:bank2:relay3").tag("rack", "2").server("lab-1")
        .comments("moved to rack 2").build());
    assertThat(panda.state()).as("an update does not restart the device")
        .isEqualTo(DeviceStates.PXE_BOOTING);
    assertThat(pool.inventory().pxeConfig("live")).contains(PxeConfig.of("live",
        "kernel live2 token=%TOKEN%"));
    assertThat(log("panda-1")).last().asString().startsWith("registration updated: fqdn");
  }

  @Test
  void aDeviceRemovedFromTheConfigIsRetiredKeepingItsHistory() {
    start();
    sync(lab(PANDA_1 + PANDA_2));
    List<String> history = log("panda-2");

    start();
    List<String> changes = sync(lab(PANDA_1));

    assertThat(changes).containsExactly(
        "device panda-2 is no longer in the config: retired (was pxe_booting)");
    DeviceView retired = pool.inventory().device("panda-2");
    assertThat(retired.state()).isEqualTo(DeviceStates.RETIRED);
    assertThat(retired.stateDeadline()).isNull();
    assertThat(log("panda-2")).startsWith(history.toArray(String[]::new))
        .endsWith("state forced from pxe_booting to retired");
    assertThat(pool.inventory().deviceStateCounts()).containsEntry(DeviceStates.RETIRED, 1);

    start();
    assertThat(sync(lab(PANDA_1))).as("retired once").isEmpty();
    assertThat(pool.inventory().device("panda-2").state()).isEqualTo(DeviceStates.RETIRED);
  }

  @Test
  void aRetiredDeviceBackInTheConfigSelfTestsBeforeItServes() {
    start();
    sync(lab(PANDA_1 + PANDA_2));
    start();
    sync(lab(PANDA_1));

    start();
    List<String> changes = sync(lab(PANDA_1 + PANDA_2));

    assertThat(changes).containsExactly(
        "device panda-2 is in the config again: back in service, self-testing first");
    assertThat(log("panda-2")).contains("state forced from retired to new");
    assertThat(pool.inventory().device("panda-2").state()).isEqualTo(DeviceStates.PXE_BOOTING);
    assertThat(pool.inventory().device("panda-2").nextImage()).isEqualTo("self-test");
  }

  @Test
  void devicesOfOtherInstancesAreLeftAlone() {
    start();
    sync(lab(PANDA_1));
    pool.inventory().registerDevice(DeviceSpec.builder("panda-9").mac("001122334409")
        .hardware("panda", "").server("lab-2").build());

    start();
    List<String> changes = sync(lab(PANDA_1));

    assertThat(changes).isEmpty();
    assertThat(pool.inventory().device("panda-9").state()).isNotEqualTo(DeviceStates.RETIRED);
  }

  @Test
  void anImageDroppedFromTheConfigIsHiddenAndShownAgainWhenItReturns() {
    start();
    sync(lab(PANDA_1));

    start();
    assertThat(sync(lab(PANDA_1).replace(
        "  - {name: b2g, boot_config_keys: [b2gbase], reusable: true, pxe_configs: {panda: live}}\n",
        ""))).containsExactly(
            "image b2g is no longer in the config: hidden (clients cannot request it)");
    assertThat(pool.inventory().image("b2g").orElseThrow().hidden()).isTrue();

    start();
    assertThat(sync(lab(PANDA_1))).containsExactly("image b2g updated");
    assertThat(pool.inventory().image("b2g").orElseThrow().hidden()).isFalse();
  }

  @Test
  void aDeviceRenamedKeepingItsMacIsRefusedNamingTheRetiredOne() {
    start();
    sync(lab(PANDA_1));

    start();
    assertThatThrownBy(() -> sync(lab(PANDA_1.replace("panda-1", "panda-01"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("devices[0]: MAC address 001122334401 of device panda-01 is"
            + " already registered to device panda-1");
    assertThat(pool.inventory().device("panda-1").state()).isEqualTo(DeviceStates.RETIRED);
  }

  // ---- fixtures ----

  private PoolStore counting(PoolStore store) {
    return proxy(PoolStore.class, store, (method, args) -> {
      if (method.equals("inTransaction")) {
        @SuppressWarnings("unchecked")
        Function<StoreTransaction, Object> work = (Function<StoreTransaction, Object>) args[0];
        return new Object[] {(Function<StoreTransaction, Object>) tx ->
            work.apply(proxy(StoreTransaction.class, tx, (m, a) -> {
              if (WRITES.contains(m)) {
                writes.incrementAndGet();
              }
              return a;
            }))};
      }
      return args;
    });
  }

  /** {@code target} behind {@code type}, each call's arguments passed through {@code args}. */
  private static <T> T proxy(Class<T> type, T target,
      java.util.function.BiFunction<String, Object[], Object[]> args) {
    return type.cast(Proxy.newProxyInstance(InventorySyncTest.class.getClassLoader(),
        new Class<?>[] {type}, (p, method, a) -> {
          try {
            return method.invoke(target, args.apply(method.getName(), a));
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        }));
  }
}
