package org.mozpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Module;
import com.google.inject.ProvisionException;
import com.google.inject.multibindings.OptionalBinder;
import com.google.inject.util.Modules;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.core.MozpoolModule;
import org.mozpool.core.PoolLifecycle;
import org.mozpool.core.VirtualTimekeeper;
import org.mozpool.spi.DeviceSelector;
import org.mozpool.spi.Lifeguard;
import org.mozpool.spi.LifeguardContext;
import org.mozpool.spi.LifeguardFactory;
import org.mozpool.spi.LifeguardFactory.Driver;
import org.mozpool.spi.PoolStore;
import org.mozpool.spi.PowerControl;
import org.mozpool.spi.StoreTransaction;
import org.mozpool.spi.Timekeeper;

/**
 * {@link MozpoolModule} gives a Guice application a started pool and a lifecycle to stop it, from
 * parts that other modules bind and the application overrides.
 */
class MozpoolModuleTest {
  private final VirtualTimekeeper time = new VirtualTimekeeper();
  private final List<String> events = new ArrayList<>();

  @AfterEach
  void close() {
    time.close();
  }

  /** A store that records its start and close into {@link #events}. */
  private final class RecordingStore implements PoolStore {
    private final InMemoryPoolStore delegate = new InMemoryPoolStore();

    @Override
    public void start() {
      events.add("store started");
    }

    @Override
    public <T> T inTransaction(Function<StoreTransaction, T> work) {
      return delegate.inTransaction(work);
    }

    @Override
    public void close() {
      events.add("store closed");
    }
  }

  /** Stands for another artifact's module (as LifeguardModule is): binds the device layer. */
  private static final class TestLifeguardModule extends AbstractModule {
    private final LifeguardFactory factory;

    TestLifeguardModule(LifeguardFactory factory) {
      this.factory = factory;
    }

    @Override
    protected void configure() {
      OptionalBinder.newOptionalBinder(binder(), LifeguardFactory.class).setBinding()
          .toInstance(factory);
    }
  }

  /** The application's own bindings: its test clock and a recording store. */
  private Module testParts() {
    return new AbstractModule() {
      @Override
      protected void configure() {
        OptionalBinder.newOptionalBinder(binder(), Timekeeper.class).setBinding().toInstance(time);
        OptionalBinder.newOptionalBinder(binder(), PoolStore.class).setBinding()
            .toInstance(new RecordingStore());
      }
    };
  }

  private Injector injector(Module... more) {
    List<Module> modules = new ArrayList<>(List.of(new MozpoolModule(),
        new TestLifeguardModule(new ScriptedLifeguard()), testParts()));
    modules.addAll(List.of(more));
    return Guice.createInjector(modules);
  }

  @Test
  void thePoolAnInjectorProvidesIsAlreadyStartedAndIsOneForTheInjector() {
    Injector injector = injector();

    Pool pool = injector.getInstance(Pool.class);

    assertThat(events).containsExactly("store started");
    assertThat(injector.getInstance(Pool.class)).isSameAs(pool);
    assertThat(injector.getInstance(PoolLifecycle.class).start()).isSameAs(pool);
    pool.inventory().registerHardwareType(new HardwareType("panda", "PandaBoard"));
    assertThat(pool.inventory().hardwareTypes()).extracting(HardwareType::name)
        .containsExactly("panda");
  }

  @Test
  void theLifecycleStartsThePoolOnceAndClosesItThenThePartsTheInjectorHolds() {
    PoolLifecycle lifecycle = injector().getInstance(PoolLifecycle.class);
    assertThat(lifecycle.isRunning()).isFalse();
    assertThat(events).isEmpty();

    Pool pool = lifecycle.start();
    assertThat(lifecycle.start()).isSameAs(pool);
    assertThat(time.pendingTasks()).as("the pool's hourly log pruning").isPositive();
    assertThat(lifecycle.isRunning()).isTrue();
    lifecycle.close();
    lifecycle.close();

    assertThat(events).containsExactly("store started", "store closed");
    assertThat(lifecycle.isRunning()).isFalse();
    assertThatThrownBy(() -> pool.request(RequestSpec.any().image("android").build()))
        .isInstanceOf(IllegalStateException.class).hasMessage("the pool is closed");
    assertThat(time.pendingTasks()).as("the timekeeper was closed").isZero();
    assertThatThrownBy(lifecycle::start).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("lifecycle is closed");
  }

  @Test
  void closingALifecycleThatNeverStartedClosesNothing() {
    PoolLifecycle lifecycle = injector().getInstance(PoolLifecycle.class);

    lifecycle.close();

    assertThat(events).isEmpty();
  }

  @Test
  void withoutALifeguardModuleNoPoolIsProvidedAndTheMessageSaysWhichModuleToInstall() {
    Injector injector = Guice.createInjector(new MozpoolModule(), testParts());

    assertThatThrownBy(() -> injector.getInstance(PoolLifecycle.class).start())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("cannot build the pool, 1 problem:\n  1) no LifeguardFactory bound: install"
            + " mozpool-lifeguard's LifeguardModule");
    assertThatThrownBy(() -> injector.getInstance(Pool.class))
        .isInstanceOf(ProvisionException.class)
        .hasMessageContaining("no LifeguardFactory bound");
    assertThat(events).isEmpty();
  }

  @Test
  void everyDriverTheLifeguardNeedsAndNoModuleBoundIsNamedInOneMessage() {
    LifeguardFactory needy = new LifeguardFactory() {
      @Override
      public Lifeguard create(LifeguardContext context) {
        return new ScriptedLifeguard().create(context);
      }

      @Override
      public Set<Driver> requiredDrivers() {
        return EnumSet.allOf(Driver.class);
      }

      @Override
      public String toString() {
        return "NeedyLifeguard";
      }
    };
    PowerControl power = (device, deadline) -> CompletableFuture.completedFuture(null);
    Injector injector = Guice.createInjector(new MozpoolModule(), testParts(),
        new TestLifeguardModule(needy), new AbstractModule() {
          @Override
          protected void configure() {
            OptionalBinder.newOptionalBinder(binder(), PowerControl.class).setBinding()
                .toInstance(power);
          }
        });

    assertThatThrownBy(() -> injector.getInstance(PoolLifecycle.class).start())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("cannot build the pool, 2 problems:\n"
            + "  1) no BootControl bound, which the Lifeguard needs (NeedyLifeguard): install"
            + " mozpool-bmm's BmmModule, or bind one with"
            + " OptionalBinder.newOptionalBinder(binder(), BootControl.class).setBinding()\n"
            + "  2) no DeviceProbe bound, which the Lifeguard needs (NeedyLifeguard): install"
            + " mozpool-bmm's BmmModule, or bind one with"
            + " OptionalBinder.newOptionalBinder(binder(), DeviceProbe.class).setBinding()");
  }

  @Test
  void anApplicationOverridesADefaultAndAnotherModulesChoiceWithModulesOverride() {
    DeviceSelector mine = (candidates, request) -> candidates.get(0);
    ScriptedLifeguard replacement = new ScriptedLifeguard();
    Module app = Modules.override(new MozpoolModule(),
        new TestLifeguardModule(new ScriptedLifeguard()), testParts()).with(new AbstractModule() {
          @Override
          protected void configure() {
            OptionalBinder.newOptionalBinder(binder(), DeviceSelector.class).setBinding()
                .toInstance(mine);
            OptionalBinder.newOptionalBinder(binder(), LifeguardFactory.class).setBinding()
                .toInstance(replacement);
            OptionalBinder.newOptionalBinder(binder(), MozpoolModule.SERVER_ID).setBinding()
                .toInstance("lab-2");
          }
        });
    Injector injector = Guice.createInjector(app);

    Pool pool = injector.getInstance(Pool.class);

    assertThat(injector.getInstance(DeviceSelector.class)).isSameAs(mine);
    assertThat(injector.getInstance(LifeguardFactory.class)).isSameAs(replacement);
    assertThat(((LifeguardContext) pool).serverId()).isEqualTo("lab-2");
  }

  @Test
  void installingTheModuleTwiceIsInstallingItOnce() {
    Injector injector = injector(new MozpoolModule());

    assertThat(injector.getInstance(Pool.class)).isNotNull();
  }

  @Test
  void theBuilderThrowsWhatTheStoreThrowsNotGuicesWrapper() {
    PoolStore broken = new PoolStore() {
      @Override
      public void start() {
        throw new StoreException("database unreachable");
      }

      @Override
      public <T> T inTransaction(Function<StoreTransaction, T> work) {
        throw new StoreException("database unreachable");
      }

      @Override
      public void close() {}
    };

    assertThatThrownBy(() -> Mozpool.builder().timekeeper(time).store(broken)
        .lifeguard(new ScriptedLifeguard()).build())
        .isExactlyInstanceOf(StoreException.class).hasMessage("database unreachable");
  }
}
