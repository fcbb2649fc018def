package org.mozpool.lifeguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Module;
import com.google.inject.multibindings.OptionalBinder;
import com.google.inject.util.Modules;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mozpool.DeviceSpec;
import org.mozpool.DeviceStates;
import org.mozpool.HardwareType;
import org.mozpool.Image;
import org.mozpool.Pool;
import org.mozpool.PxeConfig;
import org.mozpool.core.MozpoolModule;
import org.mozpool.core.PoolLifecycle;
import org.mozpool.core.VirtualTimekeeper;
import org.mozpool.spi.BootControl;
import org.mozpool.spi.DeviceProbe;
import org.mozpool.spi.Lifeguard;
import org.mozpool.spi.LifeguardFactory;
import org.mozpool.spi.PowerControl;
import org.mozpool.spi.Timekeeper;

/** {@link LifeguardModule} puts the standard Lifeguard under a Guice-assembled pool. */
class LifeguardModuleTest {
  private final VirtualTimekeeper tk = new VirtualTimekeeper();
  private final AtomicReference<Lifeguard> lifeguard = new AtomicReference<>();
  private final FakeHardware hw = new FakeHardware(tk, lifeguard::get);

  @AfterEach
  void close() {
    tk.close();
  }

  /** What BmmModule binds in production: here, the fake hardware and the virtual clock. */
  private Module hardware() {
    return new AbstractModule() {
      @Override
      protected void configure() {
        OptionalBinder.newOptionalBinder(binder(), Timekeeper.class).setBinding().toInstance(tk);
        OptionalBinder.newOptionalBinder(binder(), PowerControl.class).setBinding().toInstance(hw);
        OptionalBinder.newOptionalBinder(binder(), BootControl.class).setBinding().toInstance(hw);
        OptionalBinder.newOptionalBinder(binder(), DeviceProbe.class).setBinding().toInstance(hw);
      }
    };
  }

  @Test
  void aPoolFromMozpoolAndLifeguardModulesRunsTheStandardLifeguardOverTheBoundHardware() {
    Injector injector = Guice.createInjector(new MozpoolModule(), new LifeguardModule(),
        hardware());
    try (PoolLifecycle lifecycle = injector.getInstance(PoolLifecycle.class)) {
      Pool pool = lifecycle.start();
      lifeguard.set(pool.lifeguard());
      pool.inventory().registerHardwareType(new HardwareType("panda", "PandaBoard"));
      pool.inventory().registerImage(Image.builder(Image.SELF_TEST).hidden(true).build());
      pool.inventory().registerPxeConfig(new PxeConfig("st", "self-test", "x", true));
      pool.inventory().mapPxeConfig(Image.SELF_TEST, "panda", "st");
      pool.inventory().registerDevice(DeviceSpec.builder("panda-0001").hardwareType("panda")
          .mac("00163e000001").powerAddress("fake://1").build());

      tk.advance(Duration.ofMinutes(30));

      assertThat(pool.lifeguard()).isInstanceOf(StandardLifeguard.class);
      assertThat(pool.inventory().device("panda-0001").state())
          .isNotEqualTo(DeviceStates.NEW);
    }
  }

  @Test
  void anApplicationReplacesThePolicyWithModulesOverride() {
    LifeguardPolicy strict = LifeguardPolicy.defaults().withQuarantine(2, Duration.ofHours(1));
    Injector injector = Guice.createInjector(Modules.override(new MozpoolModule(),
        new LifeguardModule(), hardware()).with(new AbstractModule() {
          @Override
          protected void configure() {
            OptionalBinder.newOptionalBinder(binder(), LifeguardPolicy.class).setBinding()
                .toInstance(strict);
          }
        }));

    assertThat(injector.getInstance(LifeguardPolicy.class)).isSameAs(strict);
    assertThat(injector.getInstance(LifeguardFactory.class))
        .isEqualTo(StandardLifeguard.factory(strict));
  }

  @Test
  void thePolicyGivenToTheConstructorIsTheDefault() {
    LifeguardPolicy mine = LifeguardPolicy.defaults().compressed(10);

    Injector injector = Guice.createInjector(new MozpoolModule(), new LifeguardModule(mine));

    assertThat(injector.getInstance(LifeguardFactory.class))
        .isEqualTo(StandardLifeguard.factory(mine));
  }

  @Test
  void policiesByHardwareTypeGivenToTheConstructorAreUsed() {
    LifeguardPolicies mine = LifeguardPolicies.of(LifeguardPolicy.defaults())
        .withHardwareType("tegra", LifeguardPolicy.defaults().compressed(10));

    Injector injector = Guice.createInjector(new MozpoolModule(), new LifeguardModule(mine));

    assertThat(injector.getInstance(LifeguardFactory.class))
        .isEqualTo(StandardLifeguard.factory(mine));
  }

  @Test
  void aBindingOfPoliciesByHardwareTypeWinsOverTheBoundPolicy() {
    LifeguardPolicies mine = LifeguardPolicies.of(LifeguardPolicy.defaults().compressed(2))
        .withHardwareType("tegra", LifeguardPolicy.defaults().compressed(10));
    Injector injector = Guice.createInjector(Modules.override(new MozpoolModule(),
        new LifeguardModule(), hardware()).with(new AbstractModule() {
          @Override
          protected void configure() {
            OptionalBinder.newOptionalBinder(binder(), LifeguardPolicies.class).setBinding()
                .toInstance(mine);
          }
        }));

    assertThat(injector.getInstance(LifeguardFactory.class))
        .isEqualTo(StandardLifeguard.factory(mine));
  }

  @Test
  void withoutHardwareTheStandardLifeguardIsRefusedNamingEveryDriver() {
    Injector injector = Guice.createInjector(new MozpoolModule(), new LifeguardModule());

    assertThatThrownBy(() -> injector.getInstance(PoolLifecycle.class).start())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("cannot build the pool, 3 problems:\n  1) no PowerControl bound,"
            + " which the Lifeguard needs (StandardLifeguard): install mozpool-bmm's BmmModule");
  }
}
