package org.mozpool.testkit.junit;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.mozpool.Inventory;
import org.mozpool.Pool;
import org.mozpool.testkit.faults.FaultLog;
import org.mozpool.testkit.sim.WireLab;

/**
 * The wire-mode variant of {@link MozpoolLabExtension}: gives tests a {@link WireLab} — relay-board
 * emulators, simulated boards that PXE-boot over TFTP and call back over HTTP, all on loopback in
 * real time — with a pool over it started by a {@link WirePool.Factory}, since the real drivers
 * live in {@code mozpool-bmm}, which the testkit cannot depend on:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final MozpoolWireExtension lab = MozpoolWireExtension.using(
 *     builder -> WireStack.start(builder, 20)).devices(3).perClass();
 *
 * @Test
 * void imagesOverTheWire(Pool pool, WireLab wire) { ... }
 * }</pre>
 *
 * <p>Lifecycle ({@link #perTest()}, {@link #perClass()}) and the open-lease check ({@link
 * #allowOpenLeases()}, {@link AllowOpenLeases}) are as in {@link MozpoolLabExtension}. Test
 * methods may declare parameters of type {@link Pool}, {@link WirePool}, {@link WireLab}, {@link
 * Clock}, {@link Inventory} and {@link FaultLog}. Before the tests, the extension waits (in real
 * time, at most {@link #settleFirst} long) until every device has finished its first self-test.
 * Configure before the first test runs; tests of one lab must not run in parallel.
 */
public final class MozpoolWireExtension extends LabExtensionSupport<WirePool> {
  private final WirePool.Factory factory;
  private final List<Consumer<WireLab.Builder>> setup = new ArrayList<>();
  private Duration settle = Duration.ofSeconds(60);

  private MozpoolWireExtension(WirePool.Factory factory) {
    this.factory = factory;
  }

  /**
   * A wire lab (default 4 boards) whose pool {@code factory} starts.
   *
   * @throws NullPointerException if {@code factory} is null
   */
  public static MozpoolWireExtension using(WirePool.Factory factory) {
    return new MozpoolWireExtension(Objects.requireNonNull(factory, "factory"));
  }

  /** One lab for each test (the default). */
  public MozpoolWireExtension perTest() {
    setPerClass(false);
    return this;
  }

  /** One lab for all tests of the class. */
  public MozpoolWireExtension perClass() {
    setPerClass(true);
    return this;
  }

  /** Lets every test end with leases open (default: such a test fails). */
  public MozpoolWireExtension allowOpenLeases() {
    setAllowOpenLeases(true);
    return this;
  }

  /**
   * How many boards (default 4).
   *
   * @throws IllegalArgumentException if {@code count} is less than 1, at once
   */
  public MozpoolWireExtension devices(int count) {
    WireLab.builder().devices(count);
    setup.add(b -> b.devices(count));
    return this;
  }

  /** The seed of every random choice (default 1; any value). */
  public MozpoolWireExtension seed(long seed) {
    setup.add(b -> b.seed(seed));
    return this;
  }

  /**
   * Anything else the {@link WireLab.Builder} offers (faults, defects, timings…), in order.
   *
   * @throws NullPointerException if {@code customizer} is null
   */
  public MozpoolWireExtension configure(Consumer<WireLab.Builder> customizer) {
    setup.add(Objects.requireNonNull(customizer, "customizer"));
    return this;
  }

  /**
   * Waits before the tests, in real time, until every device has finished its first self-test,
   * for at most {@code max} (default 60 s); {@link Duration#ZERO} does not wait.
   *
   * @throws IllegalArgumentException if {@code max} is null or negative
   */
  public MozpoolWireExtension settleFirst(Duration max) {
    if (max == null || max.isNegative()) {
      throw new IllegalArgumentException("settle time must be zero or positive, got " + max);
    }
    this.settle = max;
    return this;
  }

  @Override
  WirePool open() {
    WireLab.Builder b = WireLab.builder().devices(4);
    setup.forEach(s -> s.accept(b));
    WirePool pool = factory.start(b);
    if (!settle.isZero()) {
      settle(pool.pool(), settle);
    }
    return pool;
  }

  @Override
  Pool poolOf(WirePool lab) {
    return lab.pool();
  }

  /** The running test's pool and lab. @throws IllegalStateException outside a test */
  public WirePool wirePool() {
    return currentLab();
  }

  /** The running test's pool. @throws IllegalStateException outside a test */
  public Pool pool() {
    return currentLab().pool();
  }

  @Override
  boolean supportsOwn(Class<?> t) {
    return t == WirePool.class || t == WireLab.class || t == FaultLog.class;
  }

  @Override
  Object resolveOwn(Class<?> t, WirePool lab) {
    if (t == WirePool.class) {
      return lab;
    } else if (t == WireLab.class) {
      return lab.lab();
    }
    return lab.lab().faultLog();
  }
}
