package org.mozpool;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.core.VirtualTimekeeper;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.PoolStore;
import org.mozpool.spi.StoreTransaction;

/** Registering again at every start-up: what changed is updated and logged, the rest is left. */
class InventoryRegistrationTest {
  private final VirtualTimekeeper time = new VirtualTimekeeper();
  private final AtomicInteger writes = new AtomicInteger();
  private final InMemoryPoolStore memory = new InMemoryPoolStore();
  private Pool pool;

  @BeforeEach
  void lab() {
    pool = Mozpool.builder().lifeguard(new ScriptedLifeguard()).timekeeper(time)
        .store(countingUpdates(memory)).build();
    pool.inventory().registerHardwareType(HardwareType.of("panda"));
    pool.inventory().registerPxeConfig(PxeConfig.of("b2g-panda", "kernel b2g"));
  }

  @AfterEach
  void close() {
    pool.close();
    time.close();
  }

  /** The store, counting the device spec updates made through it. */
  private PoolStore countingUpdates(InMemoryPoolStore store) {
    return (PoolStore) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
        new Class<?>[] {PoolStore.class}, (proxy, method, args) -> {
          if (method.getName().equals("inTransaction")) {
            @SuppressWarnings("unchecked")
            java.util.function.Function<StoreTransaction, Object> work =
                (java.util.function.Function<StoreTransaction, Object>) args[0];
            return store.inTransaction(tx -> work.apply(counting(tx)));
          }
          try {
            return method.invoke(store, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  private StoreTransaction counting(StoreTransaction tx) {
    return (StoreTransaction) java.lang.reflect.Proxy.newProxyInstance(
        getClass().getClassLoader(), new Class<?>[] {StoreTransaction.class},
        (proxy, method, args) -> {
          if (method.getName().equals("updateDeviceSpec")) {
            writes.incrementAndGet();
          }
          try {
            return method.invoke(tx, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  private static DeviceSpec.Builder panda() {
    return DeviceSpec.builder("panda-1").mac("001122334455").hardware("panda", "ES Rev B2")
        .tag("rack", "1").powerAddress("proxr://relay-1:2101/bank/1/relay/1");
  }

  private List<String> log() {
    return memory.inTransaction(tx -> tx.log(MachineKind.DEVICE, "panda-1", 100)).stream()
        .map(LogEntry::message).toList();
  }

  @Test
  void registeringADeviceExactlyAsItIsWritesNothing() {
    pool.inventory().registerDevice(panda().build());

    pool.inventory().registerDevice(panda().build());

    assertThat(writes).hasValue(0);
    assertThat(log()).containsExactly("registered");
  }

  @Test
  void anUpdateLogsEachChangedField() {
    pool.inventory().registerDevice(panda().build());

    pool.inventory().registerDevice(panda().mac("00:11:22:33:44:66").tag("rack", "2")
        .comments("moved").build());

    assertThat(writes).hasValue(1);
    assertThat(pool.inventory().device("panda-1").spec().mac()).isEqualTo("001122334466");
    assertThat(log()).containsExactly("registered", "registration updated: mac 001122334455 →"
        + " 001122334466, tags {rack=1} → {rack=2}, comments");
  }

  @Test
  void aPxeConfigCanBeReadByName() {
    assertThat(pool.inventory().pxeConfig("b2g-panda")).contains(PxeConfig.of("b2g-panda",
        "kernel b2g"));
    assertThat(pool.inventory().pxeConfig("nope")).isEmpty();
  }
}
