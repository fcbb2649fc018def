package org.mozpool.core.internal;

import com.google.inject.AbstractModule;
import com.google.inject.Key;
import com.google.inject.multibindings.OptionalBinder;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Optional;
import java.util.function.Supplier;
import org.mozpool.PoolPolicy;
import org.mozpool.core.MozpoolModule;
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

/**
 * The plain builder's module: installs {@link MozpoolModule} — the same wiring a Guice user
 * installs — and sets a binding for each part the builder was given; the rest keep
 * {@code MozpoolModule}'s defaults. Unsupported: public only for {@code org.mozpool.Mozpool}.
 */
public final class PoolModule extends AbstractModule {
  /** What the user chose; empty means "use the default". */
  public record Choices(
      Optional<PoolStore> store, Optional<Timekeeper> timekeeper, LifeguardFactory lifeguard,
      Optional<PowerControl> powerControl, Optional<BootControl> bootControl,
      Optional<DeviceProbe> deviceProbe, Optional<DeviceSelector> selector,
      Optional<AttentionListener> attentionListener, Optional<PoolPolicy> policy,
      Optional<String> serverId, Optional<Supplier<String>> requestIds,
      Optional<MeterRegistry> meterRegistry, Optional<DeviceChooser> chooser,
      Optional<QueuePolicy> queuePolicy, Optional<org.mozpool.InstancePolicy> instancePolicy) {

    /** As the canonical constructor, alone on the store (no instance policy). */
    public Choices(
        Optional<PoolStore> store, Optional<Timekeeper> timekeeper, LifeguardFactory lifeguard,
        Optional<PowerControl> powerControl, Optional<BootControl> bootControl,
        Optional<DeviceProbe> deviceProbe, Optional<DeviceSelector> selector,
        Optional<AttentionListener> attentionListener, Optional<PoolPolicy> policy,
        Optional<String> serverId, Optional<Supplier<String>> requestIds,
        Optional<MeterRegistry> meterRegistry, Optional<DeviceChooser> chooser,
        Optional<QueuePolicy> queuePolicy) {
      this(store, timekeeper, lifeguard, powerControl, bootControl, deviceProbe, selector,
          attentionListener, policy, serverId, requestIds, meterRegistry, chooser, queuePolicy,
          Optional.empty());
    }

    /** Without a meter registry (metrics off), a chooser or a queue policy (the defaults). */
    public Choices(
        Optional<PoolStore> store, Optional<Timekeeper> timekeeper, LifeguardFactory lifeguard,
        Optional<PowerControl> powerControl, Optional<BootControl> bootControl,
        Optional<DeviceProbe> deviceProbe, Optional<DeviceSelector> selector,
        Optional<AttentionListener> attentionListener, Optional<PoolPolicy> policy,
        Optional<String> serverId, Optional<Supplier<String>> requestIds) {
      this(store, timekeeper, lifeguard, powerControl, bootControl, deviceProbe, selector,
          attentionListener, policy, serverId, requestIds, Optional.empty(), Optional.empty(),
          Optional.empty(), Optional.empty());
    }
  }

  private final Choices choices;

  public PoolModule(Choices choices) {
    this.choices = choices;
  }

  @Override
  protected void configure() {
    install(new MozpoolModule());
    choose(PoolStore.class, choices.store());
    choose(Timekeeper.class, choices.timekeeper());
    choose(LifeguardFactory.class, Optional.of(choices.lifeguard()));
    choose(PowerControl.class, choices.powerControl());
    choose(BootControl.class, choices.bootControl());
    choose(DeviceProbe.class, choices.deviceProbe());
    choose(DeviceSelector.class, choices.selector());
    choose(AttentionListener.class, choices.attentionListener());
    choose(PoolPolicy.class, choices.policy());
    choose(MozpoolModule.SERVER_ID, choices.serverId());
    choose(MozpoolModule.REQUEST_IDS, choices.requestIds());
    choose(MeterRegistry.class, choices.meterRegistry());
    choose(DeviceChooser.class, choices.chooser());
    choose(QueuePolicy.class, choices.queuePolicy());
    choose(org.mozpool.InstancePolicy.class, choices.instancePolicy());
  }

  private <T> void choose(Class<T> type, Optional<? extends T> choice) {
    choose(Key.get(type), choice);
  }

  private <T> void choose(Key<T> key, Optional<? extends T> choice) {
    choice.ifPresent(c -> OptionalBinder.newOptionalBinder(binder(), key).setBinding()
        .toInstance(c));
  }
}
