package org.mozpool.testkit.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedSuccessfully;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.EventConditions.test;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.instanceOf;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;
import org.mozpool.DeviceStates;
import org.mozpool.DeviceView;
import org.mozpool.Inventory;
import org.mozpool.Lease;
import org.mozpool.Pool;
import org.mozpool.RequestSpec;
import org.mozpool.core.VirtualTimekeeper;
import org.mozpool.testkit.sim.VirtualLab;

/**
 * The lab extension as JUnit runs it: each fixture class below is run by the JUnit engine inside
 * this test, so that what JUnit reports (a test failed for leaving a lease open, two tests saw
 * one lab) is itself what is checked. The fixtures are static nested classes, which neither
 * Surefire nor JUnit runs on their own.
 */
class LabExtensionLifecycleTest {
  /** The pools the fixtures' tests saw, in order. */
  static final List<Pool> SEEN = new CopyOnWriteArrayList<>();

  private static Events run(Class<?> fixture) {
    SEEN.clear();
    return EngineTestKit.engine("junit-jupiter").selectors(selectClass(fixture)).execute()
        .testEvents();
  }

  private static Lease readyLease(Pool pool, String device) {
    Lease lease = pool.request(RequestSpec.device(device).image("android").build());
    lease.awaitReady(Duration.ofMinutes(30));
    return lease;
  }

  // ---- declared with @ExtendWith: the defaults, a fresh lab per test ----

  @ExtendWith(MozpoolLabExtension.class)
  static class DeclaredWithDefaults {
    @Test
    void first(Pool pool, Inventory inventory) {
      SEEN.add(pool);
      assertThat(inventory.devices()).hasSize(16)
          .allSatisfy(d -> assertThat(d.state()).isEqualTo(DeviceStates.READY));
    }

    @Test
    void second(Pool pool) {
      SEEN.add(pool);
    }
  }

  @Test
  void extendWithGivesEachTestItsOwnSettledSixteenBoardLabAndClosesIt() {
    run(DeclaredWithDefaults.class).assertStatistics(s -> s.started(2).succeeded(2));

    assertThat(SEEN).hasSize(2).doesNotHaveDuplicates();
    assertThat(SEEN).allSatisfy(pool -> assertThatThrownBy(() -> readyLease(pool, "panda-0001"))
        .isInstanceOf(IllegalStateException.class).hasMessage("the pool is closed"));
  }

  // ---- per class: one lab for @BeforeAll and every test ----

  @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
  static class PerClassLab {
    @RegisterExtension
    static final MozpoolLabExtension LAB = MozpoolLabExtension.virtual().devices(2).perClass();

    @BeforeAll
    static void before(Pool pool) {
      SEEN.add(pool);
    }

    @Test
    @Order(1)
    void first(Pool pool, VirtualTimekeeper time) {
      SEEN.add(pool);
      time.advance(Duration.ofHours(5));
    }

    @Test
    @Order(2)
    void second(Pool pool, VirtualLab lab) {
      SEEN.add(pool);
      assertThat(lab.time().now()).isAfterOrEqualTo(
          org.mozpool.core.VirtualTimekeeper.DEFAULT_START.plus(Duration.ofHours(5)));
    }
  }

  @Test
  void perClassSharesOneLabWithBeforeAllAndEveryTestThenClosesIt() {
    run(PerClassLab.class).assertStatistics(s -> s.started(2).succeeded(2));

    assertThat(SEEN).hasSize(3).containsOnly(SEEN.get(0));
    assertThatThrownBy(() -> readyLease(SEEN.get(0), "panda-0001"))
        .isInstanceOf(IllegalStateException.class);
  }

  /** Per class from an instance field: JUnit makes a new extension per test, the lab is one. */
  static class PerClassFromInstanceField {
    @RegisterExtension
    final MozpoolLabExtension lab = MozpoolLabExtension.virtual().devices(1).perClass();

    @Test
    void first(Pool pool) {
      SEEN.add(pool);
    }

    @Test
    void second(Pool pool) {
      SEEN.add(pool);
    }
  }

  @Test
  void perClassHoldsEvenWhenTheExtensionSitsInAnInstanceField() {
    run(PerClassFromInstanceField.class).assertStatistics(s -> s.started(2).succeeded(2));

    assertThat(SEEN).hasSize(2).containsOnly(SEEN.get(0));
    assertThatThrownBy(() -> readyLease(SEEN.get(0), "panda-0001"))
        .isInstanceOf(IllegalStateException.class);
  }

  // ---- the open-lease check ----

  static class Leaking {
    @RegisterExtension
    final MozpoolLabExtension lab = MozpoolLabExtension.virtual().devices(2);

    @Test
    void leaks(Pool pool) {
      readyLease(pool, "panda-0002");
    }

    @Test
    void closesItsLease(Pool pool) {
      try (Lease lease = readyLease(pool, "panda-0001")) {
        assertThat(lease.id()).isNotEmpty();
      }
    }

    @Test
    void leaksTwoOneNotYetReady(Pool pool) {
      readyLease(pool, "panda-0001");
      pool.request(RequestSpec.device("panda-0002").image("android").build());
    }

    @Test
    @AllowOpenLeases
    void leaksButIsAllowedTo(Pool pool) {
      readyLease(pool, "panda-0001");
    }
  }

  @Test
  void aTestThatLeavesALeaseOpenFailsNamingTheRequestAndItsDevice() {
    Events events = run(Leaking.class);

    events.assertStatistics(s -> s.started(4).succeeded(2).failed(2));
    events.assertThatEvents()
        .haveExactly(1, event(test("leaks"), finishedWithFailure(instanceOf(AssertionError.class),
            message("the test left 1 lease open: request req-1 (ready on panda-0002); close each"
                + " Lease (try-with-resources), or allow this with allowOpenLeases() or"
                + " @AllowOpenLeases"))))
        .haveExactly(1, event(test("leaksTwoOneNotYetReady"), finishedWithFailure(
            message(m -> m.startsWith("the test left 2 leases open: request req-1 (ready on"
                + " panda-0001), request req-2 (")))))
        .haveExactly(1, event(test("closesItsLease"), finishedSuccessfully()))
        .haveExactly(1, event(test("leaksButIsAllowedTo"), finishedSuccessfully()));
  }

  static class LeakingAllowedByTheExtension {
    @RegisterExtension
    final MozpoolLabExtension lab = MozpoolLabExtension.virtual().devices(1).allowOpenLeases();

    @Test
    void leaks(Pool pool) {
      readyLease(pool, "panda-0001");
    }
  }

  @Test
  void allowOpenLeasesTurnsTheCheckOff() {
    run(LeakingAllowedByTheExtension.class).assertStatistics(s -> s.started(1).succeeded(1));
  }

  /** Per class, a leaked lease is returned after the failure, so the next test finds the board. */
  @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
  static class PerClassLeak {
    @RegisterExtension
    static final MozpoolLabExtension LAB = MozpoolLabExtension.virtual().devices(1).perClass();

    @Test
    @Order(1)
    void leaks(Pool pool) {
      readyLease(pool, "panda-0001");
    }

    @Test
    @Order(2)
    void findsTheBoardFreeAgain(Pool pool) {
      try (Lease lease = readyLease(pool, "panda-0001")) {
        assertThat(lease.awaitReady(Duration.ofMinutes(1)).name()).isEqualTo("panda-0001");
      }
    }
  }

  @Test
  void perClassALeakFailsOnlyTheTestThatLeakedAndTheBoardIsReturnedForTheNext() {
    Events events = run(PerClassLeak.class);

    events.assertStatistics(s -> s.started(2).succeeded(1).failed(1));
    events.assertThatEvents()
        .haveExactly(1, event(test("leaks"), finishedWithFailure(
            message(m -> m.contains("request req-1 (ready on panda-0001)")))));
  }

  /** A lease a @BeforeEach opens on purpose for every test is the test's too. */
  static class LeaseFromBeforeEach {
    @RegisterExtension
    final MozpoolLabExtension lab = MozpoolLabExtension.virtual().devices(1);

    @BeforeEach
    void open(Pool pool) {
      readyLease(pool, "panda-0001");
    }

    @Test
    void uses(Pool pool) {
      assertThat(pool.requests()).hasSize(1);
    }
  }

  @Test
  void aLeaseOpenedByBeforeEachAndNeverClosedIsALeakToo() {
    run(LeaseFromBeforeEach.class).assertStatistics(s -> s.started(1).failed(1));
  }

  // ---- devices, images, hardware types and tags ----

  static class ConfiguredLab {
    @RegisterExtension
    final MozpoolLabExtension lab = MozpoolLabExtension.virtual()
        .deviceNames("tegra-1", "tegra-2").hardwareType("tegra").tag("rack", "a1")
        .image("fennec");

    @Test
    void hasTheConfiguredDevicesAndInstallsTheExtraImage(Pool pool, Inventory inventory) {
      assertThat(inventory.devices()).extracting(DeviceView::name)
          .containsExactly("tegra-1", "tegra-2");
      assertThat(inventory.devices()).allSatisfy(d -> {
        assertThat(d.spec().hardwareType()).isEqualTo("tegra");
        assertThat(d.spec().tags()).containsEntry("rack", "a1").containsKey("chassis");
        assertThat(d.state()).isEqualTo(DeviceStates.READY);
      });
      try (Lease lease = pool.request(RequestSpec.any().hardwareType("tegra").tag("rack", "a1")
          .image("fennec").build())) {
        assertThat(lease.awaitReady(Duration.ofMinutes(30)).image()).isEqualTo("fennec");
      }
    }
  }

  @Test
  void devicesNamesHardwareTypeTagsAndImagesAreConfigurable() {
    Events events = run(ConfiguredLab.class);
    events.assertThatEvents().haveExactly(1, event(test("hasTheConfiguredDevices"
        + "AndInstallsTheExtraImage"), finishedSuccessfully()));
  }

  @Test
  void badDeviceNamesAreRefusedWhenConfigured() {
    assertThatThrownBy(() -> MozpoolLabExtension.virtual().deviceNames("a", "a"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("device name 'a' is given twice");
    assertThatThrownBy(() -> MozpoolLabExtension.virtual().deviceNames())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MozpoolLabExtension.virtual().deviceNames("-x"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'-x'");
    assertThatThrownBy(() -> MozpoolLabExtension.virtual().image("no spaces"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  static class DefectOnUnknownName {
    @RegisterExtension
    final MozpoolLabExtension lab = MozpoolLabExtension.virtual().deviceNames("tegra-1")
        .defect("panda-0001", org.mozpool.testkit.faults.Fault.BAD_SD_CARD);

    @Test
    void neverRuns() {}
  }

  @Test
  void aDefectOnADeviceTheLabDoesNotHaveFailsTheTestNamingTheLabsDevices() {
    run(DefectOnUnknownName.class).assertThatEvents().haveExactly(1, event(test("neverRuns"),
        finishedWithFailure(message("defect for unknown device 'panda-0001': this lab's devices"
            + " are [tegra-1]"))));
  }

  @Test
  void outsideATestTheExtensionHasNoLab() {
    assertThatThrownBy(() -> MozpoolLabExtension.virtual().pool())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("the lab exists only while a test runs");
  }
}
