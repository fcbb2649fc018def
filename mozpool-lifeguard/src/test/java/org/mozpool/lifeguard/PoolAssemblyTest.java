package org.mozpool.lifeguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mozpool.Mozpool;
import org.mozpool.Pool;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.core.VirtualTimekeeper;
import org.mozpool.spi.LifeguardFactory.Driver;

/**
 * A pool over the standard Lifeguard is refused at {@code build()} when a hardware driver is
 * missing, instead of building and leaving its first device in {@code pc_power_cycling} until
 * it fails hours later.
 */
class PoolAssemblyTest {
  private final VirtualTimekeeper tk = new VirtualTimekeeper();
  private final FakeHardware hw = new FakeHardware(tk, () -> null);

  @AfterEach
  void close() {
    tk.close();
  }

  @Test
  void theStandardLifeguardNeedsPowerControlBootControlAndDeviceProbe() {
    assertThat(StandardLifeguard.factory().requiredDrivers())
        .isEqualTo(EnumSet.allOf(Driver.class));
  }

  @Test
  void aPoolWithoutAnyDriverIsRefusedNamingAllThreeAtOnce() {
    assertThatThrownBy(() -> Mozpool.builder().timekeeper(tk)
        .lifeguard(StandardLifeguard.factory()).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("cannot build the pool, 3 problems:\n"
            + "  1) no PowerControl, which the Lifeguard needs (StandardLifeguard): call"
            + " .powerControl(...)\n"
            + "  2) no BootControl, which the Lifeguard needs (StandardLifeguard): call"
            + " .bootControl(...)\n"
            + "  3) no DeviceProbe, which the Lifeguard needs (StandardLifeguard): call"
            + " .deviceProbe(...)");
  }

  @Test
  void aPoolWithoutPowerControlIsRefusedAtBuildNotHoursLater() {
    InMemoryPoolStore store = new InMemoryPoolStore();
    assertThatThrownBy(() -> Mozpool.builder().timekeeper(tk).store(store)
        .lifeguard(StandardLifeguard.factory(LifeguardPolicy.defaults()))
        .bootControl(hw).deviceProbe(hw).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("cannot build the pool, 1 problem:\n"
            + "  1) no PowerControl, which the Lifeguard needs (StandardLifeguard): call"
            + " .powerControl(...)");
  }

  @Test
  void aPoolWithEveryDriverBuilds() {
    try (Pool pool = Mozpool.builder().timekeeper(tk).lifeguard(StandardLifeguard.factory())
        .powerControl(hw).bootControl(hw).deviceProbe(hw).build()) {
      assertThat(pool.lifeguard()).isInstanceOf(StandardLifeguard.class);
    }
  }
}
