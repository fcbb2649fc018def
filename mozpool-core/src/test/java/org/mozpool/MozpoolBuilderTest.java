package org.mozpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mozpool.core.VirtualTimekeeper;
import org.mozpool.spi.Lifeguard;
import org.mozpool.spi.LifeguardContext;
import org.mozpool.spi.LifeguardFactory;
import org.mozpool.spi.LifeguardFactory.Driver;
import org.mozpool.spi.PowerControl;

/** What {@link Mozpool.Builder#build()} refuses, all at once, before anything starts. */
class MozpoolBuilderTest {
  private final VirtualTimekeeper time = new VirtualTimekeeper();

  @AfterEach
  void close() {
    time.close();
  }

  /** A Lifeguard that needs {@code drivers}, named {@code NeedyLifeguard} in messages. */
  private static LifeguardFactory needing(Set<Driver> drivers) {
    ScriptedLifeguard scripted = new ScriptedLifeguard();
    return new LifeguardFactory() {
      @Override
      public Lifeguard create(LifeguardContext context) {
        return scripted.create(context);
      }

      @Override
      public Set<Driver> requiredDrivers() {
        return drivers;
      }

      @Override
      public String toString() {
        return "NeedyLifeguard";
      }
    };
  }

  private static final PowerControl POWER =
      (device, deadline) -> CompletableFuture.completedFuture(null);

  @Test
  void aPoolWithoutALifeguardIsRefusedSayingHowToAddOne() {
    assertThatThrownBy(() -> Mozpool.builder().timekeeper(time).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("cannot build the pool, 1 problem:\n  1) no Lifeguard: add mozpool-lifeguard"
            + " and call .lifeguard(StandardLifeguard.factory())");
  }

  @Test
  void everyDriverTheLifeguardNeedsAndWasNotGivenIsNamedInOneException() {
    assertThatThrownBy(() -> Mozpool.builder().timekeeper(time)
        .lifeguard(needing(EnumSet.allOf(Driver.class))).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("cannot build the pool, 3 problems:\n"
            + "  1) no PowerControl, which the Lifeguard needs (NeedyLifeguard): call"
            + " .powerControl(...)\n"
            + "  2) no BootControl, which the Lifeguard needs (NeedyLifeguard): call"
            + " .bootControl(...)\n"
            + "  3) no DeviceProbe, which the Lifeguard needs (NeedyLifeguard): call"
            + " .deviceProbe(...)");
  }

  @Test
  void onlyTheDriversStillMissingAreNamed() {
    assertThatThrownBy(() -> Mozpool.builder().timekeeper(time).powerControl(POWER)
        .lifeguard(needing(EnumSet.of(Driver.DEVICE_PROBE, Driver.POWER_CONTROL))).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("cannot build the pool, 1 problem:\n"
            + "  1) no DeviceProbe, which the Lifeguard needs (NeedyLifeguard): call"
            + " .deviceProbe(...)");
  }

  @Test
  void aLifeguardThatNeedsNoDriverBuildsWithoutAny() {
    try (Pool pool = Mozpool.builder().timekeeper(time).lifeguard(new ScriptedLifeguard())
        .build()) {
      assertThat(pool.inventory().devices()).isEmpty();
    }
  }

  @Test
  void aLifeguardBuildsOnceEveryDriverItNeedsIsGiven() {
    try (Pool pool = Mozpool.builder().timekeeper(time).powerControl(POWER)
        .lifeguard(needing(EnumSet.of(Driver.POWER_CONTROL))).build()) {
      assertThat(pool.clock().instant()).isEqualTo(VirtualTimekeeper.DEFAULT_START);
    }
  }

  @Test
  void aServerIdMustBeAName() {
    assertThatThrownBy(() -> Mozpool.builder().serverId("imaging 1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("server id must be 1-128 letters");
  }
}
