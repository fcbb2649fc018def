package org.mozpool.testkit.junit;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;
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
 * Gives tests a {@link VirtualLab} — simulated pandas and a running {@link Pool} with the standard
 * Lifeguard, on virtual time — and closes it afterwards. With the defaults, declare it:
 *
 * <pre>{@code
 * @ExtendWith(MozpoolLabExtension.class)
 * class MyTest {
 *   @Test
 *   void requestIsServed(Pool pool) { ... }
 * }
 * }</pre>
 *
 * <p>or register it on a field and configure it fluently (a {@code static} field for a per-class
 * lab):
 *
 * <pre>{@code
 * @RegisterExtension
 * static final MozpoolLabExtension lab = MozpoolLabExtension.virtual().perClass()
 *     .deviceNames("tegra-1", "tegra-2").hardwareType("tegra").tag("rack", "a1").image("fennec")
 *     .defect("tegra-2", Fault.BAD_SD_CARD);
 *
 * @Test
 * void requestIsServed(Pool pool, VirtualTimekeeper clock) {
 *   try (Lease lease = pool.request(RequestSpec.any().image("fennec").build())) {
 *     assertThat(lease.awaitReady(Duration.ofMinutes(30)).image()).isEqualTo("fennec");
 *   }
 * }
 * }</pre>
 *
 * <p><b>Lifecycle.</b> By default each test gets a fresh lab ({@link #perTest()}); {@link
 * #perClass()} shares one lab among the tests of a class (and its {@code @BeforeAll} methods),
 * which is faster when tests do not disturb each other.
 *
 * <p><b>Open leases.</b> A test that ends with a request still open (not closed, expired or
 * failed) that it made fails, with a message naming each request, its state and device, as
 * jdbi's extension fails a test that leaks a handle. Per class, the leaked leases are then
 * returned, so that the next test starts with every device free. Opt out with {@link
 * #allowOpenLeases()} or {@link AllowOpenLeases @AllowOpenLeases} on the test or class.
 *
 * <p>Test methods (and {@code @BeforeEach}/{@code @AfterEach} methods; {@code @BeforeAll} ones
 * per class) may declare parameters of type {@link Pool}, {@link VirtualLab}, {@link
 * VirtualTimekeeper}, {@link Clock}, {@link Inventory} and {@link FaultLog}. By default the lab
 * runs its devices' initial self-tests before the tests (see {@link #settleFirst}). Configure
 * before the first test runs; tests of one lab must not run in parallel.
 */
public final class MozpoolLabExtension extends LabExtensionSupport<VirtualLab> {
  private final List<Consumer<VirtualLab.Builder>> setup = new ArrayList<>();
  private Supplier<PoolStore> store;
  private Duration settle = Duration.ofMinutes(30);

  /**
   * A lab with the defaults of {@link #virtual()}; the constructor {@code @ExtendWith} uses.
   */
  public MozpoolLabExtension() {}

  /** A lab in virtual mode: 16 pandas, seed 1, no faults, in-memory store, one per test. */
  public static MozpoolLabExtension virtual() {
    return new MozpoolLabExtension();
  }

  /** One lab for each test (the default). */
  public MozpoolLabExtension perTest() {
    setPerClass(false);
    return this;
  }

  /**
   * One lab for all tests of the class, made before the first ({@code @BeforeAll} methods may
   * use it) and closed after the last.
   */
  public MozpoolLabExtension perClass() {
    setPerClass(true);
    return this;
  }

  /** Lets every test end with leases open (default: such a test fails). */
  public MozpoolLabExtension allowOpenLeases() {
    setAllowOpenLeases(true);
    return this;
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

  /**
   * The devices' names (default {@code panda-0001} on), one device per name.
   *
   * @throws IllegalArgumentException if there is none, one repeats or is not a valid name, at
   *     once
   */
  public MozpoolLabExtension deviceNames(String... names) {
    List<String> list = List.of(names);
    VirtualLab.builder().deviceNames(list); // checks them now
    setup.add(b -> b.deviceNames(list));
    return this;
  }

  /**
   * The hardware type of every device (default {@code panda}).
   *
   * @throws IllegalArgumentException if it is not a valid name, at once
   */
  public MozpoolLabExtension hardwareType(String type) {
    VirtualLab.builder().hardwareType(type);
    setup.add(b -> b.hardwareType(type));
    return this;
  }

  /**
   * A tag on every device (default: only {@code chassis}).
   *
   * @throws NullPointerException if either is null
   */
  public MozpoolLabExtension tag(String key, String value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    setup.add(b -> b.tag(key, value));
    return this;
  }

  /**
   * An installable image beside {@code b2g} and {@code android} (default: none).
   *
   * @throws IllegalArgumentException if it is not a valid name, at once
   */
  public MozpoolLabExtension image(String name) {
    VirtualLab.builder().image(name);
    setup.add(b -> b.image(name));
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
   * checked when it is built.
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
   * A fresh store for each lab (default in memory); the lab closes it.
   *
   * @throws NullPointerException if {@code store} is null
   */
  public MozpoolLabExtension store(Supplier<PoolStore> store) {
    this.store = Objects.requireNonNull(store, "store");
    return this;
  }

  /**
   * Anything else the {@link VirtualLab.Builder} offers (a selector, a pool policy…), applied
   * to each lab together with the other settings, in the order they were made.
   *
   * @throws NullPointerException if {@code customizer} is null
   */
  public MozpoolLabExtension configure(Consumer<VirtualLab.Builder> customizer) {
    setup.add(Objects.requireNonNull(customizer, "customizer"));
    return this;
  }

  /**
   * Runs virtual time before the tests until every device has finished its initial self-test,
   * for at most {@code max} (default 30 minutes); {@link Duration#ZERO} starts at once, with
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
  VirtualLab open() {
    VirtualLab.Builder b = VirtualLab.builder();
    setup.forEach(s -> s.accept(b));
    if (store != null) {
      b.store(store.get());
    }
    VirtualLab lab = b.build();
    if (!settle.isZero()) {
      lab.settle(settle);
    }
    return lab;
  }

  @Override
  Pool poolOf(VirtualLab lab) {
    return lab.pool();
  }

  /** The running test's lab. @throws IllegalStateException outside a test */
  public VirtualLab lab() {
    return currentLab();
  }

  /** The running test's pool. @throws IllegalStateException outside a test */
  public Pool pool() {
    return lab().pool();
  }

  /** The running test's virtual clock. @throws IllegalStateException outside a test */
  public VirtualTimekeeper time() {
    return lab().time();
  }

  @Override
  boolean supportsOwn(Class<?> t) {
    return t == VirtualLab.class || t == VirtualTimekeeper.class || t == FaultLog.class;
  }

  @Override
  Object resolveOwn(Class<?> t, VirtualLab lab) {
    if (t == VirtualLab.class) {
      return lab;
    } else if (t == VirtualTimekeeper.class) {
      return lab.time();
    }
    return lab.faultLog();
  }
}
