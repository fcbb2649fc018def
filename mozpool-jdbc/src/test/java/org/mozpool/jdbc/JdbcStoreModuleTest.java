package org.mozpool.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Module;
import com.google.inject.multibindings.OptionalBinder;
import com.google.inject.util.Modules;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.HardwareType;
import org.mozpool.Pool;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.core.MozpoolModule;
import org.mozpool.core.PoolLifecycle;
import org.mozpool.core.VirtualTimekeeper;
import org.mozpool.spi.LifeguardFactory;
import org.mozpool.spi.PoolStore;
import org.mozpool.spi.Timekeeper;
import org.mozpool.testkit.doubles.ScriptedLifeguard;

/** {@link JdbcStoreModule} gives a Guice-assembled pool its database, made and closed for it. */
class JdbcStoreModuleTest {
  @TempDir
  Path dir;

  private final VirtualTimekeeper tk = new VirtualTimekeeper();

  @AfterEach
  void close() {
    tk.close();
  }

  private Module rest() {
    return new AbstractModule() {
      @Override
      protected void configure() {
        OptionalBinder.newOptionalBinder(binder(), Timekeeper.class).setBinding().toInstance(tk);
        OptionalBinder.newOptionalBinder(binder(), LifeguardFactory.class).setBinding()
            .toInstance(ScriptedLifeguard.completingAfter(Duration.ofMinutes(1)));
      }
    };
  }

  @Test
  void thePoolKeepsItsStateInTheDatabaseFileAndTheLifecycleClosesTheStore() {
    Path file = dir.resolve("mozpool");
    Injector injector = Guice.createInjector(new MozpoolModule(), JdbcStoreModule.h2(file),
        rest());
    PoolLifecycle lifecycle = injector.getInstance(PoolLifecycle.class);
    Pool pool = lifecycle.start();
    pool.inventory().registerHardwareType(new HardwareType("panda", "PandaBoard"));
    JdbcPoolStore store = injector.getInstance(JdbcPoolStore.class);

    assertThat(injector.getInstance(PoolStore.class)).isSameAs(store);
    assertThat(store.jdbcUrl()).contains(file.toString());
    assertThat(Files.exists(dir.resolve("mozpool.mv.db"))).isTrue();
    lifecycle.close();
    assertThatThrownBy(store::start).isInstanceOf(IllegalStateException.class)
        .hasMessageEndingWith("is closed");

    // a second injector over the same file sees what the first one registered
    try (PoolLifecycle again = Guice.createInjector(new MozpoolModule(),
        JdbcStoreModule.h2(file), rest()).getInstance(PoolLifecycle.class)) {
      assertThat(again.start().inventory().hardwareTypes()).extracting(HardwareType::name)
          .containsExactly("panda");
    }
  }

  @Test
  void anOverriddenStoreMeansNoDatabaseIsOpened() {
    Path file = dir.resolve("never");
    InMemoryPoolStore memory = new InMemoryPoolStore();
    Injector injector = Guice.createInjector(Modules.override(new MozpoolModule(),
        JdbcStoreModule.h2(file), rest()).with(new AbstractModule() {
          @Override
          protected void configure() {
            OptionalBinder.newOptionalBinder(binder(), PoolStore.class).setBinding()
                .toInstance(memory);
          }
        }));

    try (PoolLifecycle lifecycle = injector.getInstance(PoolLifecycle.class)) {
      lifecycle.start();
      assertThat(injector.getInstance(PoolStore.class)).isSameAs(memory);
    }
    assertThat(Files.exists(dir.resolve("never.mv.db"))).isFalse();
  }

  @Test
  void anUnsupportedUrlIsRefusedWhenTheModuleIsMadeNotWhenThePoolStarts() {
    assertThatThrownBy(() -> JdbcStoreModule.forUrl("jdbc:oracle:thin:@db", "u", "p"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
