package org.mozpool.core;

import com.google.inject.AbstractModule;
import com.google.inject.Key;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.TypeLiteral;
import com.google.inject.multibindings.OptionalBinder;
import io.micrometer.core.instrument.MeterRegistry;
import com.google.inject.name.Names;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import org.mozpool.Pool;
import org.mozpool.PoolPolicy;
import org.mozpool.core.internal.Assembly;
import org.mozpool.spi.AttentionListener;
import org.mozpool.spi.BootControl;
import org.mozpool.spi.DeviceProbe;
import org.mozpool.spi.DeviceSelector;
import org.mozpool.spi.LifeguardFactory;
import org.mozpool.spi.PoolStore;
import org.mozpool.spi.PowerControl;
import org.mozpool.spi.Timekeeper;
import org.slf4j.LoggerFactory;

/**
 * Core's Guice module: provides a running {@link Pool} and a {@link PoolLifecycle} that starts
 * and stops it, from parts that this and the other artifacts' modules bind. Install it with the
 * modules of the artifacts you use:
 *
 * <pre>{@code
 * Injector injector = Guice.createInjector(
 *     new MozpoolModule(),                         // the pool, with defaults
 *     new LifeguardModule(),                       // mozpool-lifeguard: the device layer
 *     JdbcStoreModule.h2(Path.of("mozpool")),      // mozpool-jdbc: where state lives
 *     BmmModule.builder(tftpRoot, "10.0.0.1:8080").build());  // mozpool-bmm: the hardware
 * PoolLifecycle lifecycle = injector.getInstance(PoolLifecycle.class);
 * Pool pool = lifecycle.start();
 * ...
 * lifecycle.close();                               // the pool, then what the injector built
 * }</pre>
 *
 * <p>Every part is an {@link OptionalBinder} key, so that another module supplies it without a
 * clash, and an application replaces any of them — a default here or another module's choice —
 * by setting its own binding inside {@code Modules.override(...).with(...)}:
 *
 * <pre>{@code
 * Modules.override(new MozpoolModule(), new LifeguardModule(), bmm).with(new AbstractModule() {
 *   protected void configure() {
 *     OptionalBinder.newOptionalBinder(binder(), DeviceSelector.class).setBinding()
 *         .toInstance(new MySelector());
 *   }
 * })
 * }</pre>
 *
 * <table>
 *   <caption>Parts and their defaults</caption>
 *   <tr><th>key</th><th>default</th><th>usually bound by</th></tr>
 *   <tr><td>{@link PoolStore}</td><td>{@link InMemoryPoolStore}</td><td>{@code JdbcStoreModule}</td></tr>
 *   <tr><td>{@link Timekeeper}</td><td>{@link SystemTimekeeper}</td><td>tests: a {@link VirtualTimekeeper}</td></tr>
 *   <tr><td>{@link LifeguardFactory}</td><td>none (required)</td><td>{@code LifeguardModule}</td></tr>
 *   <tr><td>{@link PowerControl}, {@link BootControl}, {@link DeviceProbe}</td><td>none (required
 *   when the Lifeguard needs them)</td><td>{@code BmmModule}</td></tr>
 *   <tr><td>{@link DeviceSelector}</td><td>{@link DeviceSelectors#random()}</td><td>the application</td></tr>
 *   <tr><td>{@link org.mozpool.spi.DeviceChooser}</td><td>{@link
 *   DeviceSelectors#preferringReuse} around the selector</td><td>the application</td></tr>
 *   <tr><td>{@link org.mozpool.spi.QueuePolicy}</td><td>{@link
 *   QueuePolicies#priorityThenAge()}</td><td>the application</td></tr>
 *   <tr><td>{@link AttentionListener}</td><td>a warning in the log</td><td>the application</td></tr>
 *   <tr><td>{@link PoolPolicy}</td><td>{@link PoolPolicy#defaults()}</td><td>the application</td></tr>
 *   <tr><td>{@link #SERVER_ID}</td><td>{@code local}</td><td>the application</td></tr>
 *   <tr><td>{@link #REQUEST_IDS}</td><td>random UUIDs</td><td>simulations</td></tr>
 *   <tr><td>{@link org.mozpool.InstancePolicy}</td><td>none (alone on the store)</td><td>several
 *   instances sharing one database</td></tr>
 *   <tr><td>{@link MeterRegistry}</td><td>none (metrics off)</td><td>the application (the
 *   server binds its Prometheus registry)</td></tr>
 * </table>
 *
 * <p><b>Lifecycle.</b> {@link Pool} is a singleton that is started when it is first provisioned:
 * there is no way to obtain a pool that was never started. A pool whose start fails is closed and
 * the failure thrown (wrapped by Guice in a {@code ProvisionException};
 * {@link PoolLifecycle#start()} unwraps it). Closing the pool stops it but leaves the store,
 * drivers and timekeeper open, as the builder does; {@link PoolLifecycle#close()} closes those
 * too, since the injector made or was given them.
 *
 * <p>A missing Lifeguard, or a driver that the Lifeguard {@linkplain
 * LifeguardFactory#requiredDrivers() requires}, is reported when the pool is provisioned, every
 * one of them in one message. Nothing is discovered from the classpath.
 */
public final class MozpoolModule extends AbstractModule {
  /** This instance's stable id (default {@code local}); see {@code Mozpool.Builder.serverId}. */
  public static final Key<String> SERVER_ID =
      Key.get(String.class, Names.named("mozpool.server-id"));

  /** Where request ids come from (default: random UUIDs). */
  public static final Key<Supplier<String>> REQUEST_IDS =
      Key.get(new TypeLiteral<Supplier<String>>() {}, Names.named("mozpool.request-ids"));

  /** The module, with the defaults in the table above. */
  public MozpoolModule() {}

  @Override
  protected void configure() {
    OptionalBinder.newOptionalBinder(binder(), PoolStore.class).setDefault()
        .toProvider(InMemoryPoolStore::new).in(Singleton.class);
    OptionalBinder.newOptionalBinder(binder(), Timekeeper.class).setDefault()
        .toProvider(SystemTimekeeper::new).in(Singleton.class);
    OptionalBinder.newOptionalBinder(binder(), DeviceSelector.class).setDefault()
        .toProvider(DeviceSelectors::random).in(Singleton.class);
    OptionalBinder.newOptionalBinder(binder(), AttentionListener.class).setDefault()
        .toInstance((device, log) -> LoggerFactory.getLogger("org.mozpool.attention")
            .warn("device {} needs a human: {}", device.name(), device.state()));
    OptionalBinder.newOptionalBinder(binder(), PoolPolicy.class).setDefault()
        .toInstance(PoolPolicy.defaults());
    OptionalBinder.newOptionalBinder(binder(), SERVER_ID).setDefault().toInstance("local");
    OptionalBinder.newOptionalBinder(binder(), REQUEST_IDS).setDefault()
        .toInstance(() -> UUID.randomUUID().toString());
    // No defaults: the other artifacts' modules (or the application) bind these.
    OptionalBinder.newOptionalBinder(binder(), LifeguardFactory.class);
    OptionalBinder.newOptionalBinder(binder(), PowerControl.class);
    OptionalBinder.newOptionalBinder(binder(), BootControl.class);
    OptionalBinder.newOptionalBinder(binder(), DeviceProbe.class);
    OptionalBinder.newOptionalBinder(binder(), MeterRegistry.class);
    OptionalBinder.newOptionalBinder(binder(), org.mozpool.spi.DeviceChooser.class);
    OptionalBinder.newOptionalBinder(binder(), org.mozpool.spi.QueuePolicy.class).setDefault()
        .toProvider(QueuePolicies::priorityThenAge).in(Singleton.class);
    OptionalBinder.newOptionalBinder(binder(), org.mozpool.InstancePolicy.class);
    bind(PoolLifecycle.class).in(Singleton.class);
  }

  @Provides
  @Singleton
  Pool pool(PoolStore store, Timekeeper timekeeper, Optional<LifeguardFactory> lifeguard,
      Optional<PowerControl> power, Optional<BootControl> boot, Optional<DeviceProbe> probe,
      DeviceSelector selector, AttentionListener attention, PoolPolicy policy,
      @com.google.inject.name.Named("mozpool.server-id") String serverId,
      @com.google.inject.name.Named("mozpool.request-ids") Supplier<String> requestIds,
      Optional<MeterRegistry> meterRegistry, Optional<org.mozpool.spi.DeviceChooser> chooser,
      org.mozpool.spi.QueuePolicy queuePolicy,
      Optional<org.mozpool.InstancePolicy> instancePolicy) {
    return Assembly.startedPool(store, timekeeper, lifeguard, power, boot, probe, selector,
        attention, policy, serverId, requestIds, meterRegistry,
        chooser.orElseGet(() -> DeviceSelectors.preferringReuse(selector)), queuePolicy,
        instancePolicy);
  }

  // Guice modules of the same class are deduplicated by equality; two MozpoolModules installed
  // (by the application and by a module that installs it for convenience) are one.
  @Override
  public boolean equals(Object o) {
    return o instanceof MozpoolModule;
  }

  @Override
  public int hashCode() {
    return MozpoolModule.class.hashCode();
  }
}
