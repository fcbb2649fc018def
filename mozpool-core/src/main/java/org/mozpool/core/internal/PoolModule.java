package org.mozpool.core.internal;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import org.mozpool.Pool;
import org.mozpool.PoolPolicy;
import org.mozpool.core.DeviceSelectors;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.core.QueuePolicies;
import org.mozpool.core.SystemTimekeeper;
import org.mozpool.spi.AttentionListener;
import org.mozpool.spi.BootControl;
import org.mozpool.spi.DeviceChooser;
import org.mozpool.spi.DeviceProbe;
import org.mozpool.spi.DeviceSelector;
import org.mozpool.spi.LifeguardFactory;
import org.mozpool.spi.PoolStore;
import org.mozpool.spi.PowerControl;
import org.mozpool.spi.QueuePolicy;
import org.mozpool.spi.Timekeeper;
import org.slf4j.LoggerFactory;

/**
 * Core's Guice module: binds what the builder was given, supplies defaults for the rest (in-memory
 * store, system time, random selection, unconfigured hardware that fails loudly), and provides the
 * {@link Pool}. Users who assemble with Guice themselves install it and override bindings with
 * {@code Modules.override}.
 */
public final class PoolModule extends AbstractModule {
  /** What the user chose; empty means "use the default". */
  public record Choices(
      Optional<PoolStore> store, Optional<Timekeeper> timekeeper, LifeguardFactory lifeguard,
      Optional<PowerControl> powerControl, Optional<BootControl> bootControl,
      Optional<DeviceProbe> deviceProbe, Optional<DeviceSelector> selector,
      Optional<AttentionListener> attentionListener, Optional<PoolPolicy> policy,
      Optional<String> serverId, Optional<Supplier<String>> requestIds,
      Optional<DeviceChooser> chooser, Optional<QueuePolicy> queuePolicy) {}

  private final Choices choices;

  public PoolModule(Choices choices) {
    this.choices = choices;
  }

  @Override
  protected void configure() {
    Unconfigured none = new Unconfigured();
    bind(PoolStore.class).toInstance(choices.store().orElseGet(InMemoryPoolStore::new));
    bind(Timekeeper.class).toInstance(choices.timekeeper().orElseGet(SystemTimekeeper::new));
    bind(LifeguardFactory.class).toInstance(choices.lifeguard());
    bind(PowerControl.class).toInstance(choices.powerControl().orElse(none));
    bind(BootControl.class).toInstance(choices.bootControl().orElse(none));
    bind(DeviceProbe.class).toInstance(choices.deviceProbe().orElse(none));
    bind(DeviceSelector.class).toInstance(choices.selector().orElseGet(DeviceSelectors::random));
    bind(AttentionListener.class).toInstance(choices.attentionListener().orElse((device, log) ->
        LoggerFactory.getLogger("org.mozpool.attention").warn("device {} needs a human: {}",
            device.name(), device.state())));
    bind(PoolPolicy.class).toInstance(choices.policy().orElseGet(PoolPolicy::defaults));
    bind(QueuePolicy.class).toInstance(choices.queuePolicy().orElseGet(QueuePolicies::priorityThenAge));
  }

  /** The chooser given, or the DESIGN §6 behaviour around the (bound) selector. */
  @Provides
  @Singleton
  DeviceChooser chooser(DeviceSelector selector) {
    return choices.chooser().orElseGet(() -> DeviceSelectors.preferringReuse(selector));
  }

  @Provides
  @Singleton
  StandardPool pool(PoolStore store, Timekeeper timekeeper, LifeguardFactory lifeguard,
      PowerControl power, BootControl boot, DeviceProbe probe, DeviceSelector selector,
      AttentionListener attention, PoolPolicy policy, DeviceChooser chooser,
      QueuePolicy queuePolicy) {
    Supplier<String> ids = choices.requestIds().orElse(() -> UUID.randomUUID().toString());
    return new StandardPool(new StandardPool.Parts(store, timekeeper, lifeguard, power, boot,
        probe, selector, attention, policy, choices.serverId().orElse("local"), ids, chooser,
        queuePolicy));
  }

  @Provides
  Pool publicPool(StandardPool pool) {
    return pool;
  }
}
