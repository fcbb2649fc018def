package org.mozpool.spi;

import java.util.Set;

/**
 * Creates the {@link Lifeguard} of a pool from the pool's context. This is how core's builder
 * takes the device layer without depending on it; {@code mozpool-lifeguard} provides the standard
 * one.
 *
 * <p>A Lifeguard of your own replaces the device layer as a whole: it implements {@link
 * Lifeguard} over the {@link LifeguardContext} (the store, time, the drivers, the way back to the
 * pool) and keeps its own state machine. Mozpool's state-machine engine ({@code
 * org.mozpool.core.internal}) is unsupported and not meant for it; see the {@linkplain
 * org.mozpool.spi package documentation} for what can be changed short of that (policies per
 * hardware type, power controls per power-address scheme).
 */
@FunctionalInterface
public interface LifeguardFactory {

  /** A hardware driver of the {@link LifeguardContext} that a Lifeguard may call. */
  enum Driver {
    /** {@link LifeguardContext#powerControl()}: power cycles. */
    POWER_CONTROL(PowerControl.class, "powerControl"),
    /** {@link LifeguardContext#bootControl()}: PXE configs. */
    BOOT_CONTROL(BootControl.class, "bootControl"),
    /** {@link LifeguardContext#deviceProbe()}: pings, agent and storage checks. */
    DEVICE_PROBE(DeviceProbe.class, "deviceProbe");

    private final Class<?> type;
    private final String builderMethod;

    Driver(Class<?> type, String builderMethod) {
      this.type = type;
      this.builderMethod = builderMethod;
    }

    /** The SPI a driver implements ({@link PowerControl}…). */
    public Class<?> type() {
      return type;
    }

    /** The {@code Mozpool.Builder} method that takes it ({@code powerControl}…). */
    public String builderMethod() {
      return builderMethod;
    }
  }

  /** A new, not yet started Lifeguard. */
  Lifeguard create(LifeguardContext context);

  /**
   * The drivers that the Lifeguards it creates call in the course of their work. A pool builder
   * refuses to build without every one of them, naming all that are missing at once, rather than
   * leave the first device to fail hours later in a timeout. Drivers not named here may be left
   * out; the context then hands out one that fails every operation.
   *
   * <p>Default: none, for Lifeguards that drive no hardware of their own (test doubles, stubs).
   */
  default Set<Driver> requiredDrivers() {
    return Set.of();
  }
}
