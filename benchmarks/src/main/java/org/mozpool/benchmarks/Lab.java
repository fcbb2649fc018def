package org.mozpool.benchmarks;

import org.mozpool.DeviceSpec;
import org.mozpool.HardwareType;
import org.mozpool.Image;
import org.mozpool.Inventory;
import org.mozpool.PxeConfig;

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
          .hardware("panda", "ES Rev B2").build());
    }
  }

  static String name(int i) {
    return String.format("panda-%06d", i);
  }
}
