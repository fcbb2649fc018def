package org.mozpool;

import com.google.inject.Guice;
import com.google.inject.Injector;
import io.micrometer.core.instrument.MeterRegistry;
import com.google.inject.ProvisionException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.mozpool.core.internal.Assembly;
import org.mozpool.core.internal.PoolModule;
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
 * Builds a running {@link Pool}. The required parts are the device layer — pass
 * {@code StandardLifeguard.factory()} from {@code mozpool-lifeguard} (or your own
 * {@link LifeguardFactory}) — and the hardware drivers that Lifeguard
 * {@linkplain LifeguardFactory#requiredDrivers() needs} (the standard one: power control, boot
 * control and device probes). Everything else has a default: an in-memory store, system time and
 * random device selection; a driver that the Lifeguard does not need may be left out.
 *
 * <pre>{@code
 * try (Pool pool = Mozpool.builder()
 *     .lifeguard(StandardLifeguard.factory())
 *     .store(JdbcPoolStore.h2Default())
 *     .powerControl(relays).bootControl(pxe).deviceProbe(probe)
 *     .build()) { ... }
 * }</pre>
 *
 * <p>The builder assembles the pool with Guice, installing the same {@link
 * org.mozpool.core.MozpoolModule} that applications wiring with Guice themselves install; nothing
 * is discovered from the classpath.
 */
public final class Mozpool {
  private Mozpool() {}

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Fluent assembly of a {@link Pool}; not thread safe. */
  public static final class Builder {
    private PoolStore store;
    private Timekeeper timekeeper;
    private LifeguardFactory lifeguard;
    private PowerControl powerControl;
    private BootControl bootControl;
    private DeviceProbe deviceProbe;
    private DeviceSelector selector;
    private DeviceChooser chooser;
    private QueuePolicy queuePolicy;
    private InstancePolicy instancePolicy;
    private AttentionListener attentionListener;
    private PoolPolicy policy;
    private String serverId;
    private Supplier<String> requestIds;
    private MeterRegistry meterRegistry;

    private Builder() {}

    /**
     * Where state lives (default: in memory). The pool starts it; closing the pool does not close
     * it.
     *
     * @throws NullPointerException if {@code store} is null
     */
    public Builder store(PoolStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /**
     * Time and threads (default: system time). The pool does not close it.
     *
     * @throws NullPointerException if {@code timekeeper} is null
     */
    public Builder timekeeper(Timekeeper timekeeper) {
      this.timekeeper = Objects.requireNonNull(timekeeper, "timekeeper");
      return this;
    }

    /**
     * The device layer (required, no default): {@code StandardLifeguard.factory()} from {@code
     * mozpool-lifeguard}, or your own. {@link #build()} names it when it is missing.
     *
     * @throws NullPointerException if {@code lifeguard} is null
     */
    public Builder lifeguard(LifeguardFactory lifeguard) {
      this.lifeguard = Objects.requireNonNull(lifeguard, "lifeguard");
      return this;
    }

    /**
     * The driver that switches devices' power (no default; required when the Lifeguard
     * {@linkplain LifeguardFactory#requiredDrivers() needs it}, as the standard one does), such
     * as {@code ProxrPowerControl} from {@code mozpool-bmm}. A lab with several kinds of power
     * hardware hands over {@link org.mozpool.core.PowerControls#byScheme}, which routes each
     * device by the scheme of its power address. The pool does not close it.
     *
     * @throws NullPointerException if {@code powerControl} is null
     */
    public Builder powerControl(PowerControl powerControl) {
      this.powerControl = Objects.requireNonNull(powerControl, "powerControl");
      return this;
    }

    /**
     * The driver that sets what a device boots (no default; required when the Lifeguard
     * {@linkplain LifeguardFactory#requiredDrivers() needs it}, as the standard one does), such
     * as {@code PxeBootControl} from {@code mozpool-bmm}. The pool does not close it.
     *
     * @throws NullPointerException if {@code bootControl} is null
     */
    public Builder bootControl(BootControl bootControl) {
      this.bootControl = Objects.requireNonNull(bootControl, "bootControl");
      return this;
    }

    /**
     * The driver that pings devices and checks their agent (no default; required when the
     * Lifeguard {@linkplain LifeguardFactory#requiredDrivers() needs it}, as the standard one
     * does), such as {@code NetworkDeviceProbe} from {@code mozpool-bmm}. The pool does not close
     * it.
     *
     * @throws NullPointerException if {@code deviceProbe} is null
     */
    public Builder deviceProbe(DeviceProbe deviceProbe) {
      this.deviceProbe = Objects.requireNonNull(deviceProbe, "deviceProbe");
      return this;
    }

    /**
     * How to pick among free candidates (default: at random).
     *
     * @throws NullPointerException if {@code selector} is null
     */
    public Builder selector(DeviceSelector selector) {
      this.selector = Objects.requireNonNull(selector, "selector");
      return this;
    }

    /**
     * How to pick among free candidates seeing the whole context — the request, each candidate's
     * image, failures and last use, the queue — with the right to decline ("none of these now");
     * replaces {@link #selector} (giving both is an error). Stock ones are in
     * {@link org.mozpool.core.DeviceSelectors}, e.g. {@code fewestRecentFailures(Duration)}.
     * Default: {@code DeviceSelectors.preferringReuse(selector)}.
     *
     * @throws NullPointerException if {@code chooser} is null
     */
    public Builder chooser(DeviceChooser chooser) {
      this.chooser = Objects.requireNonNull(chooser, "chooser");
      return this;
    }

    /**
     * Who may have which device, and who is offered a freed device first (default:
     * {@code QueuePolicies.priorityThenAge()}). Stock policies — fair share, quotas per
     * environment, reservations — and their composition are in
     * {@link org.mozpool.core.QueuePolicies}.
     *
     * @throws NullPointerException if {@code queuePolicy} is null
     */
    public Builder queuePolicy(QueuePolicy queuePolicy) {
      this.queuePolicy = Objects.requireNonNull(queuePolicy, "queuePolicy");
      return this;
    }

    /**
     * Who hears about devices that need a human (default: a warning in the log).
     *
     * @throws NullPointerException if {@code listener} is null
     */
    public Builder attentionListener(AttentionListener listener) {
      this.attentionListener = Objects.requireNonNull(listener, "attentionListener");
      return this;
    }

    /**
     * Request timeouts and limits (default: {@link PoolPolicy#defaults()}).
     *
     * @throws NullPointerException if {@code policy} is null
     */
    public Builder policy(PoolPolicy policy) {
      this.policy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * This instance's stable id (default {@code local}): 1-128 letters, digits, '.', '_', ':' or
     * '-', starting with a letter or digit, as device names.
     *
     * @throws IllegalArgumentException if it is not such a name
     */
    public Builder serverId(String serverId) {
      this.serverId = Names.requireName(serverId, "server id");
      return this;
    }

    /**
     * Shares the store with other instances (DESIGN §9; default: this pool is alone on it). The
     * store must be one several processes can share ({@code mozpool-jdbc} on PostgreSQL in
     * production); the {@linkplain #serverId server id} must be stable and unique among the
     * instances, and it is the home of the devices registered here without a server of their own.
     * The pool then drives only the requests it files (or adopts) and the devices registered for it
     * (or adopted); calls for others are sent to their instance through the store's outbox.
     *
     * @throws NullPointerException if {@code policy} is null
     */
    public Builder instancePolicy(InstancePolicy policy) {
      this.instancePolicy = Objects.requireNonNull(policy, "instancePolicy");
      return this;
    }

    /**
     * Where request ids come from (default: random UUIDs); simulations pass a seeded source.
     *
     * @throws NullPointerException if {@code requestIds} is null
     */
    public Builder requestIds(Supplier<String> requestIds) {
      this.requestIds = Objects.requireNonNull(requestIds, "requestIds");
      return this;
    }

    /**
     * Where the pool and its Lifeguard publish their metrics (default: none — nothing is
     * measured, at no cost). Any Micrometer registry: Prometheus, JMX, a composite… The meters
     * and their tags are listed in {@code METRICS.md}; closing the pool removes them from the
     * registry, which the pool neither owns nor closes.
     *
     * @throws NullPointerException if {@code registry} is null
     */
    public Builder meterRegistry(MeterRegistry registry) {
      this.meterRegistry = Objects.requireNonNull(registry, "meterRegistry");
      return this;
    }

    /**
     * Assembles and starts the pool: the store is started, and every device and request resumes
     * from it.
     *
     * <p>The configuration is checked first, as a whole: a Lifeguard is required, and so is every
     * driver its factory {@linkplain LifeguardFactory#requiredDrivers() requires} (the standard
     * Lifeguard needs a {@link PowerControl}, a {@link BootControl} and a {@link DeviceProbe}).
     * Every problem found is named in one exception, so that one attempt shows them all.
     *
     * @throws IllegalStateException if the configuration is incomplete; its message lists every
     *     problem
     * @throws StoreException if the store cannot be started
     */
    public Pool build() {
      List<String> problems = problems();
      if (!problems.isEmpty()) {
        throw new IllegalStateException(Assembly.describe(problems));
      }
      // The same wiring as a Guice user's MozpoolModule, with this builder's choices bound.
      Injector injector = Guice.createInjector(new PoolModule(new PoolModule.Choices(
          Optional.ofNullable(store), Optional.ofNullable(timekeeper), lifeguard,
          Optional.ofNullable(powerControl), Optional.ofNullable(bootControl),
          Optional.ofNullable(deviceProbe), Optional.ofNullable(selector),
          Optional.ofNullable(attentionListener), Optional.ofNullable(policy),
          Optional.ofNullable(serverId), Optional.ofNullable(requestIds),
          Optional.ofNullable(meterRegistry), Optional.ofNullable(chooser),
          Optional.ofNullable(queuePolicy), Optional.ofNullable(instancePolicy))));
      try {
        return injector.getInstance(Pool.class);
      } catch (ProvisionException e) {
        // what the pool's start threw (a StoreException…), not Guice's wrapper
        throw e.getCause() instanceof RuntimeException cause ? cause : e;
      }
    }

    /** Everything missing from this configuration, in the order of the builder's methods. */
    private List<String> problems() {
      List<String> problems = new ArrayList<>();
      if (lifeguard == null) {
        problems.add("no Lifeguard: add mozpool-lifeguard and call"
            + " .lifeguard(StandardLifeguard.factory())");
        // which drivers are needed depends on the Lifeguard
      } else {
        driverProblems(problems);
      }
      if (selector != null && chooser != null) {
        problems.add("both .selector(...) and .chooser(...): a chooser replaces the selector,"
            + " give one of them");
      }
      return problems;
    }

    private void driverProblems(List<String> problems) {
      // In the enum's order, whatever the factory's set: the message is the same every time.
      Set<LifeguardFactory.Driver> required = EnumSet.noneOf(LifeguardFactory.Driver.class);
      required.addAll(lifeguard.requiredDrivers());
      for (LifeguardFactory.Driver driver : required) {
        Object given = switch (driver) {
          case POWER_CONTROL -> powerControl;
          case BOOT_CONTROL -> bootControl;
          case DEVICE_PROBE -> deviceProbe;
        };
        if (given == null) {
          problems.add("no " + driver.type().getSimpleName() + ", which the Lifeguard needs ("
              + lifeguard + "): call ." + driver.builderMethod() + "(...)");
        }
      }
    }
  }
}
