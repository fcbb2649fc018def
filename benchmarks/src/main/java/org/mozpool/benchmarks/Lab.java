package org.mozpool.benchmarks;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.mozpool.DeviceSpec;
import org.mozpool.DeviceStates;
import org.mozpool.HardwareType;
import org.mozpool.Image;
import org.mozpool.Inventory;
import org.mozpool.PxeConfig;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.MachineRecord;
import org.mozpool.spi.PoolStore;

/** The small inventory the pool-level benchmarks register: pandas that can take {@code android}. */
final class Lab {
  static final String IMAGE = "android";

  private Lab() {}

  static void register(Inventory inv, int devices) {
    inv.registerHardwareType(HardwareType.of("panda"));
    inv.registerPxeConfig(PxeConfig.of("panda-android", "kernel android"));
    inv.registerImage(Image.builder(IMAGE).build());
    inv.mapPxeConfig(IMAGE, "panda", "panda-android");
    for (int i = 0; i < devices; i++) {
      inv.registerDevice(DeviceSpec.builder(name(i)).mac(String.format("%012x", i))
          .hardwareType("panda").hardwareModel("ES Rev B2").build());
    }
  }

  /**
   * Stores {@code devices} pandas carrying {@code android} in {@code ready} directly, in batches of
   * 1,000, their first deadlines staggered evenly over one {@code period} after {@code start}
   * ({@link #staggeredDeadline}): a fleet for the benchmarks that drive timeouts, not claims.
   */
  static void storeReadyFleet(PoolStore store, int devices, Instant start, Duration period) {
    store.inTransaction(tx -> {
      tx.putHardwareType(HardwareType.of("panda"));
      tx.putImage(Image.builder(IMAGE).build());
      return null;
    });
    int batch = 1000;
    for (int from = 0; from < devices; from += batch) {
      int first = from;
      int last = Math.min(devices, from + batch);
      store.inTransaction(tx -> {
        for (int i = first; i < last; i++) {
          tx.insertDevice(new DeviceRecord(DeviceSpec.builder(name(i))
              .mac(String.format("%012x", i)).hardwareType("panda").build(), IMAGE, Map.of(), "",
              Map.of(), "", MachineRecord.initial(DeviceStates.READY,
                  staggeredDeadline(i, devices, start, period))));
        }
        return null;
      });
    }
  }

  /** The first deadline of device {@code i} of {@code devices}: (i + 1) / devices of a period on. */
  static Instant staggeredDeadline(int i, int devices, Instant start, Duration period) {
    return start.plusNanos(period.toNanos() * (i + 1L) / devices);
  }

  static String name(int i) {
    return String.format("panda-%06d", i);
  }
}
