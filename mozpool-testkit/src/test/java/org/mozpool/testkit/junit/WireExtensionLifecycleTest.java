package org.mozpool.testkit.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.EventConditions.test;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;
import org.mozpool.Lease;
import org.mozpool.Pool;
import org.mozpool.RequestSpec;
import org.mozpool.testkit.sim.VirtualLab;
import org.mozpool.testkit.sim.WireLab;

/**
 * The wire-mode extension's lifecycle and lease check, with a stand-in {@link WirePool.Factory}
 * (a virtual lab's pool; the lab the factory is handed is not built) so that no socket is opened
 * here: {@code examples}' tests run it over the real wire stack.
 */
class WireExtensionLifecycleTest {
  static final List<String> CALLS = new CopyOnWriteArrayList<>();
  static final AtomicInteger CONFIGURED = new AtomicInteger();

  /** Starts a stand-in: records the start and close; the pool is a settled virtual lab's. */
  static WirePool standIn(WireLab.Builder ignored) {
    VirtualLab lab = VirtualLab.builder().devices(2).build();
    lab.settle(Duration.ofMinutes(30));
    CALLS.add("start");
    return new WirePool() {
      @Override
      public Pool pool() {
        return lab.pool();
      }

      @Override
      public WireLab lab() {
        throw new UnsupportedOperationException("a stand-in has no wire lab");
      }

      @Override
      public void close() {
        CALLS.add("close");
        lab.close();
      }
    };
  }

  private static Events run(Class<?> fixture) {
    CALLS.clear();
    CONFIGURED.set(0);
    return EngineTestKit.engine("junit-jupiter").selectors(selectClass(fixture)).execute()
        .testEvents();
  }

  static class PerClass {
    @RegisterExtension
    static final MozpoolWireExtension LAB = MozpoolWireExtension
        .using(WireExtensionLifecycleTest::standIn).perClass()
        .configure(b -> CONFIGURED.incrementAndGet());

    @Test
    void first(Pool pool, WirePool wire) {
      assertThat(wire.pool()).isSameAs(pool);
      try (Lease lease = pool.request(RequestSpec.any().image("android").build())) {
        assertThat(lease.id()).isNotEmpty();
      }
    }

    @Test
    void second(Pool pool) {
      assertThat(pool.inventory().devices()).hasSize(2);
    }
  }

  @Test
  void perClassStartsOneWirePoolForTheClassAndClosesIt() {
    run(PerClass.class).assertStatistics(s -> s.started(2).succeeded(2));

    assertThat(CALLS).containsExactly("start", "close");
    assertThat(CONFIGURED).hasValue(1);
  }

  static class PerTestLeaking {
    @RegisterExtension
    final MozpoolWireExtension lab = MozpoolWireExtension
        .using(WireExtensionLifecycleTest::standIn).settleFirst(Duration.ofSeconds(5));

    @Test
    void leaks(Pool pool) {
      pool.request(RequestSpec.device("panda-0001").image("android").build());
    }

    @Test
    void doesNot(Pool pool) {}
  }

  @Test
  void perTestStartsAWirePoolPerTestAndAnOpenLeaseFailsTheTest() {
    Events events = run(PerTestLeaking.class);

    events.assertStatistics(s -> s.started(2).succeeded(1).failed(1));
    events.assertThatEvents().haveExactly(1, event(test("leaks"), finishedWithFailure(
        message(m -> m.startsWith("the test left 1 lease open: request req-1 (")))));
    assertThat(CALLS).containsExactly("start", "close", "start", "close");
  }

  @Test
  void aNegativeSettleTimeOrNoFactoryIsRefused() {
    assertThatThrownBy(() -> MozpoolWireExtension.using(null))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> MozpoolWireExtension.using(WireExtensionLifecycleTest::standIn)
        .settleFirst(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
  }
}
