package org.mozpool.core.internal;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.mozpool.PoolPolicy;
import org.mozpool.spi.AttentionListener;
import org.mozpool.spi.BootControl;
import org.mozpool.spi.DeviceProbe;
import org.mozpool.spi.DeviceSelector;
import org.mozpool.spi.LifeguardFactory;
import org.mozpool.spi.PoolStore;
import org.mozpool.spi.PowerControl;
import org.mozpool.spi.Timekeeper;

/**
 * Puts a pool together from the parts that Guice found, for {@code MozpoolModule} (and so for the
 * builder, which installs it). Unsupported: public only for {@code org.mozpool.core}.
 */
public final class Assembly {
  private Assembly() {}

  /**
   * Checks the parts as a whole, then builds and starts the pool. Nothing half-made escapes: a
   * pool whose start fails is closed before the failure is thrown.
   *
   * @throws IllegalStateException naming every missing part, with {@code hint} saying how to add
   *     a missing driver
   */
  public static StandardPool startedPool(PoolStore store, Timekeeper timekeeper,
      Optional<LifeguardFactory> lifeguard, Optional<PowerControl> power,
      Optional<BootControl> boot, Optional<DeviceProbe> probe, DeviceSelector selector,
      AttentionListener attention, PoolPolicy policy, String serverId,
      Supplier<String> requestIds,
      Optional<io.micrometer.core.instrument.MeterRegistry> meterRegistry,
      org.mozpool.spi.DeviceChooser chooser, org.mozpool.spi.QueuePolicy queuePolicy,
      Optional<org.mozpool.InstancePolicy> instancePolicy) {
    List<String> problems = problems(lifeguard.orElse(null), power.orElse(null),
        boot.orElse(null), probe.orElse(null));
    if (!problems.isEmpty()) {
      throw new IllegalStateException(describe(problems));
    }
    Unconfigured none = new Unconfigured();
    StandardPool pool = new StandardPool(new StandardPool.Parts(store, timekeeper,
        lifeguard.get(), power.<PowerControl>map(p -> p).orElse(none),
        boot.<BootControl>map(b -> b).orElse(none), probe.<DeviceProbe>map(p -> p).orElse(none),
        selector, attention, policy, serverId, requestIds, meterRegistry, chooser, queuePolicy,
        instancePolicy));
    try {
      pool.start();
    } catch (RuntimeException | Error e) {
      pool.close();
      throw e;
    }
    return pool;
  }

  /** "cannot build the pool, N problems:" and the numbered list. */
  public static String describe(List<String> problems) {
    StringBuilder message = new StringBuilder("cannot build the pool, ")
        .append(problems.size() == 1 ? "1 problem:" : problems.size() + " problems:");
    for (int i = 0; i < problems.size(); i++) {
      message.append("\n  ").append(i + 1).append(") ").append(problems.get(i));
    }
    return message.toString();
  }

  /** What a Guice assembly lacks, with hints in terms of bindings and modules. */
  private static List<String> problems(LifeguardFactory lifeguard, Object power, Object boot,
      Object probe) {
    List<String> problems = new ArrayList<>();
    if (lifeguard == null) {
      problems.add("no LifeguardFactory bound: install mozpool-lifeguard's LifeguardModule");
      return problems;
    }
    Set<LifeguardFactory.Driver> required = EnumSet.noneOf(LifeguardFactory.Driver.class);
    required.addAll(lifeguard.requiredDrivers());
    for (LifeguardFactory.Driver driver : required) {
      Object given = switch (driver) {
        case POWER_CONTROL -> power;
        case BOOT_CONTROL -> boot;
        case DEVICE_PROBE -> probe;
      };
      if (given == null) {
        String type = driver.type().getSimpleName();
        problems.add("no " + type + " bound, which the Lifeguard needs (" + lifeguard
            + "): install mozpool-bmm's BmmModule, or bind one with OptionalBinder.newOptionalBinder("
            + "binder(), " + type + ".class).setBinding()");
      }
    }
    return problems;
  }
}
