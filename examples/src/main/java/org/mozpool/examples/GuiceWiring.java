package org.mozpool.examples;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Module;
import com.google.inject.multibindings.OptionalBinder;
import com.google.inject.util.Modules;
import java.nio.file.Path;
import java.util.List;
import org.mozpool.Pool;
import org.mozpool.bmm.BmmModule;
import org.mozpool.core.MozpoolModule;
import org.mozpool.core.PoolLifecycle;
import org.mozpool.jdbc.JdbcStoreModule;
import org.mozpool.lifeguard.LifeguardModule;
import org.mozpool.spi.DeviceSelector;
import org.mozpool.spi.PowerControl;

/**
 * Guice wiring: an application assembles the pool from each artifact's module and overrides what
 * its lab does differently — here the {@link SpreadingSelector}, and a {@link CommandPowerControl}
 * in place of {@code BmmModule}'s ProXR driver for a lab on PDUs — then starts and stops it
 * through {@link PoolLifecycle}.
 *
 * <pre>
 * java -cp ... org.mozpool.examples.GuiceWiring TFTP_ROOT CALLBACK_HOST:PORT DATABASE_FILE PDU_COMMAND...
 * </pre>
 */
public final class GuiceWiring {
  private GuiceWiring() {}

  /**
   * The application's modules: core, lifeguard, an H2 store in {@code database} and the BMM
   * drivers, with the selector, the power control and the server id overridden.
   */
  public static Module modules(Path tftpRoot, String callbackAddress, Path database,
      List<String> powerCommand) {
    Module mozpool = Modules.combine(
        new MozpoolModule(),
        new LifeguardModule(),
        JdbcStoreModule.h2(database),
        BmmModule.builder(tftpRoot, callbackAddress).build());
    return Modules.override(mozpool).with(new AbstractModule() {
      @Override
      protected void configure() {
        // OptionalBinder keys: setBinding() here replaces the default or the other module's one
        OptionalBinder.newOptionalBinder(binder(), DeviceSelector.class).setBinding()
            .toInstance(new SpreadingSelector("chassis"));
        OptionalBinder.newOptionalBinder(binder(), PowerControl.class).setBinding()
            .toInstance(new CommandPowerControl(powerCommand));
        OptionalBinder.newOptionalBinder(binder(), MozpoolModule.SERVER_ID).setBinding()
            .toInstance("lab-1");
      }
    });
  }

  /** Starts the pool, prints its devices, and runs until the process is stopped. */
  public static void main(String[] args) throws InterruptedException {
    if (args.length < 4) {
      System.err.println("usage: GuiceWiring TFTP_ROOT CALLBACK_HOST:PORT DATABASE_FILE"
          + " PDU_COMMAND...");
      System.exit(2);
    }
    Injector injector = Guice.createInjector(modules(Path.of(args[0]), args[1], Path.of(args[2]),
        List.of(args).subList(3, args.length)));
    PoolLifecycle lifecycle = injector.getInstance(PoolLifecycle.class);
    Runtime.getRuntime().addShutdownHook(new Thread(lifecycle::close, "mozpool-shutdown"));
    Pool pool = lifecycle.start();
    System.out.println("pool running with " + pool.inventory().devices().size() + " devices");
    Thread.currentThread().join();
  }
}
