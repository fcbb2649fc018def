package org.mozpool.bmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Module;
import com.google.inject.multibindings.OptionalBinder;
import com.google.inject.util.Modules;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.DeviceSpec;
import org.mozpool.Pool;
import org.mozpool.core.MozpoolModule;
import org.mozpool.core.PoolLifecycle;
import org.mozpool.core.VirtualTimekeeper;
import org.mozpool.lifeguard.LifeguardModule;
import org.mozpool.spi.BootControl;
import org.mozpool.spi.DeviceProbe;
import org.mozpool.spi.DeviceTarget;
import org.mozpool.spi.LifeguardContext;
import org.mozpool.spi.PowerControl;
import org.mozpool.spi.Timekeeper;

/** {@link BmmModule} binds the real hardware drivers under a Guice-assembled pool. */
class BmmModuleTest {
  @TempDir
  Path tftpRoot;

  private final VirtualTimekeeper tk = new VirtualTimekeeper();

  @AfterEach
  void close() {
    tk.close();
  }

  private Module clock() {
    return new AbstractModule() {
      @Override
      protected void configure() {
        OptionalBinder.newOptionalBinder(binder(), Timekeeper.class).setBinding().toInstance(tk);
      }
    };
  }

  @Test
  void thePoolRunsOnTheRelayDriverPxeBootControlAndNetworkProbeAndTheLifecycleClosesThem()
      throws Exception {
    Injector injector = Guice.createInjector(new MozpoolModule(), new LifeguardModule(),
        BmmModule.builder(tftpRoot, "127.0.0.1:8080").build(), clock());
    PoolLifecycle lifecycle = injector.getInstance(PoolLifecycle.class);
    LifeguardContext pool = (LifeguardContext) lifecycle.start();

    assertThat(pool.powerControl()).isInstanceOf(ProxrPowerControl.class)
        .isSameAs(injector.getInstance(ProxrPowerControl.class));
    assertThat(pool.bootControl()).isInstanceOf(PxeBootControl.class);
    assertThat(((PxeBootControl) pool.bootControl()).root()).isEqualTo(tftpRoot.toAbsolutePath());
    assertThat(pool.deviceProbe()).isInstanceOf(NetworkDeviceProbe.class);

    lifecycle.close();
    DeviceTarget target = DeviceTarget.of(DeviceSpec.builder("panda-0001").hardwareType("panda").mac("00163e000001")
        .powerAddress("proxr://127.0.0.1:1/bank/1/relay/1").build());
    CompletableFuture<Void> afterClose = pool.powerControl()
        .powerCycle(target, Duration.ofSeconds(5)).toCompletableFuture();
    assertThatThrownBy(() -> afterClose.get(5, TimeUnit.SECONDS))
        .as("a closed relay driver refuses work").hasMessageContaining("closed");
  }

  @Test
  void aDriverOverriddenByTheApplicationIsUsedAndTheModulesOwnIsNeverMade() {
    PowerControl mine = (device, deadline) -> CompletableFuture.completedFuture(null);
    Injector injector = Guice.createInjector(Modules.override(new MozpoolModule(),
        new LifeguardModule(), BmmModule.builder(tftpRoot, "127.0.0.1:8080").build(), clock())
        .with(new AbstractModule() {
          @Override
          protected void configure() {
            OptionalBinder.newOptionalBinder(binder(), PowerControl.class).setBinding()
                .toInstance(mine);
          }
        }));

    try (PoolLifecycle lifecycle = injector.getInstance(PoolLifecycle.class)) {
      Pool pool = lifecycle.start();
      assertThat(((LifeguardContext) pool).powerControl()).isSameAs(mine);
      assertThat(injector.getInstance(BootControl.class)).isInstanceOf(PxeBootControl.class);
      assertThat(injector.getInstance(DeviceProbe.class)).isInstanceOf(NetworkDeviceProbe.class);
    }
  }

  @Test
  void aBlankServerAddressIsRefusedWhenTheModuleIsConfigured() {
    assertThatThrownBy(() -> BmmModule.builder(tftpRoot, " "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("server address must not be blank");
  }
}
