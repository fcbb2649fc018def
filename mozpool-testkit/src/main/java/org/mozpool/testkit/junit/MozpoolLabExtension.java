package org.mozpool.testkit.junit;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.mozpool.Inventory;
import org.mozpool.Pool;
import org.mozpool.core.VirtualTimekeeper;
import org.mozpool.lifeguard.LifeguardPolicy;
import org.mozpool.spi.PoolStore;
import org.mozpool.testkit.faults.Fault;
import org.mozpool.testkit.faults.FaultLog;
import org.mozpool.testkit.faults.FaultProfile;
import org.mozpool.testkit.sim.VirtualLab;

/**
 * Gives every test a fresh {@link VirtualLab} — simulated pandas, a running {@link Pool} with the
 * standard Lifeguard, on virtual time — and closes it afterwards. Register it on an instance field
 * and configure it fluently:
 *
 * <pre>{@code
 * @RegisterExtension
 * final MozpoolLabExtension lab = MozpoolLabExtension.virtual().devices(4).seed(7)
 *     .defect("panda-0002", Fault.BAD_SD_CARD);
 *
 * @Test
 * void requestIsServed(Pool pool, VirtualTimekeeper clock) {
 *   Lease lease = pool.request(RequestSpec.any().image("android").build());
 *   assertThat(lease.awaitReady(Duration.ofMinutes(30)).image()).isEqualTo("android");
 * }
 * }</pre>
 *
 * <p>Test methods may declare parameters of type {@link Pool}, {@link VirtualLab},
 * {@link VirtualTimekeeper}, {@link Clock}, {@link Inventory} and {@link FaultLog}. By default
 * the lab runs its devices' initial self-tests before each test (see {@link #settleFirst}).
 * Configure before the first test runs; not thread safe.
 */
public final class MozpoolLabExtension
    implements BeforeEachCallback, AfterEachCallback, ParameterResolver {
  private final List<Consumer<VirtualLab.Builder>> setup = new ArrayList<>();
  private Supplier<PoolStore> store;
  private Duration settle = Duration.ofMinutes(30);
  private VirtualLab lab;

  private MozpoolLabExtension() {}

  /** A lab in virtual mode: 16 pandas, seed 1, no faults, in-memory store. */
  public static MozpoolLabExtension virtual() {
    return new MozpoolLabExtension();
  }

  /**
   * How many pandas (default 16).
   *
   * @throws IllegalArgumentException if {@code count} is less than 1, at once rather than when
   *     the first test starts
   */
  public MozpoolLabExtension devices(int count) {
    if (count < 1) {
      throw new IllegalArgumentException("a lab needs at least one device, got " + count);
    }
    setup.add(b -> b.devices(count));
    return this;
  }

  /** The seed of every random choice (default 1; any value). */
  public MozpoolLabExtension seed(long seed) {
    setup.add(b -> b.seed(seed));
    return this;
  }

  /**
   * How often things go wrong (default {@link FaultProfile#none()}).
   *
   * @throws NullPointerException if {@code profile} is null
   */
  public MozpoolLabExtension faults(FaultProfile profile) {
    Objects.requireNonNull(profile, "profile");
    setup.add(b -> b.faults(profile));
    return this;
  }

  /**
   * Gives {@code device} a persistent defect (default: none). Whether the lab has that device is
   * checked when it is built, before each test.
   *
   * @throws NullPointerException if either is null
   * @throws IllegalArgumentException if {@code defect} is not a {@linkplain Fault#persistent()
   *     persistent} one, at once rather than when the first test starts
   */
  public MozpoolLabExtension defect(String device, Fault defect) {
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(defect, "defect");
    if (!defect.persistent()) {
      throw new IllegalArgumentException(defect + " is not a persistent defect; expected one of"
          + " DEAD_BOARD, BAD_SD_CARD, FLAKY_RELAY, OVERHEATING, LOOSE_NETWORK, PROBLEM_CHILD");
    }
    setup.add(b -> b.defect(device, defect));
    return this;
  }

  /**
   * Lifeguard's timeouts, retries and quarantine (default {@code LifeguardPolicy.defaults()}).
   *
   * @throws NullPointerException if {@code policy} is null
   */
  public MozpoolLabExtension lifeguardPolicy(LifeguardPolicy policy) {
    Objects.requireNonNull(policy, "policy");
    setup.add(b -> b.lifeguardPolicy(policy));
    return this;
  }

  /**
   * A fresh store for each test (default in memory); the lab closes it.
   *
   * @throws NullPointerException if {@code store} is null
   */
  public MozpoolLabExtension store(Supplier<PoolStore> store) {
    this.store = Objects.requireNonNull(store, "store");
    return this;
  }

  /**
   * Anything else the {@link VirtualLab.Builder} offers, applied before each test together with
   * the other settings, in the order they were made.
   *
   * @throws NullPointerException if {@code customizer} is null
   */
  public MozpoolLabExtension configure(Consumer<VirtualLab.Builder> customizer) {
    setup.add(Objects.requireNonNull(customizer, "customizer"));
    return this;
  }

  /**
   * Runs virtual time before each test until every device has finished its initial self-test, for
   * at most {@code max} (default 30 minutes); {@link Duration#ZERO} starts the test at once, with
   * every device in state {@code new}.
   *
   * @throws IllegalArgumentException if {@code max} is null or negative
   */
  public MozpoolLabExtension settleFirst(Duration max) {
    if (max == null || max.isNegative()) {
      throw new IllegalArgumentException("settle time must be zero or positive, got " + max);
    }
    this.settle = max;
    return this;
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    VirtualLab.Builder b = VirtualLab.builder();
    setup.forEach(s -> s.accept(b));
    if (store != null) {
      b.store(store.get());
    }
    lab = b.build();
    if (!settle.isZero()) {
      lab.settle(settle);
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (lab != null) {
      lab.close();
      lab = null;
    }
  }

  /** The current test's lab. @throws IllegalStateException outside a test */
  public VirtualLab lab() {
    if (lab == null) {
      throw new IllegalStateException("the lab exists only while a test runs");
    }
    return lab;
  }

  /** The current test's pool. */
  public Pool pool() {
    return lab().pool();
  }

  /** The current test's virtual clock. */
  public VirtualTimekeeper time() {
    return lab().time();
  }

  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
    Class<?> t = p.getParameter().getType();
    return t == Pool.class || t == VirtualLab.class || t == VirtualTimekeeper.class
        || t == Clock.class || t == Inventory.class || t == FaultLog.class;
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext e) {
    Class<?> t = p.getParameter().getType();
    VirtualLab l = lab();
    if (t == Pool.class) {
      return l.pool();
    } else if (t == VirtualLab.class) {
      return l;
    } else if (t == VirtualTimekeeper.class) {
      return l.time();
    } else if (t == Clock.class) {
      return l.time().clock();
    } else if (t == Inventory.class) {
      return l.pool().inventory();
    } else if (t == FaultLog.class) {
      return l.faultLog();
    }
    throw new ParameterResolutionException("cannot inject " + t.getName());
  }
}
