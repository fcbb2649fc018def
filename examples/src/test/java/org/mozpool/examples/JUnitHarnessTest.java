package org.mozpool.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mozpool.DeviceStates;
import org.mozpool.DeviceView;
import org.mozpool.Lease;
import org.mozpool.Pool;
import org.mozpool.RequestSpec;
import org.mozpool.core.VirtualTimekeeper;
import org.mozpool.testkit.faults.Fault;
import org.mozpool.testkit.junit.MozpoolLabExtension;
import org.mozpool.testkit.junit.MozpoolWireExtension;
import org.mozpool.testkit.sim.WireLab;

/**
 * Embedding in a JUnit harness: the testkit's extensions give the tests of a project that uses
 * Mozpool a running pool over simulated boards — on virtual time for speed, or over the wire
 * (the real ProXR driver, TFTP and HTTP callbacks on loopback) for fidelity. Each test closes
 * the leases it takes; one that does not fails.
 */
class JUnitHarnessTest {

  /** Virtual time: one lab for the class, hours of lab time in milliseconds. */
  @Nested
  class OnVirtualTime {
    @RegisterExtension
    final MozpoolLabExtension lab = MozpoolLabExtension.virtual().perClass()
        .deviceNames("tegra-01", "tegra-02", "tegra-03").hardwareType("tegra")
        .tag("rack", "b4").image("fennec").defect("tegra-03", Fault.BAD_SD_CARD);

    @Test
    void aJobGetsABoardWithItsImage(Pool pool) {
      try (Lease lease = pool.request(RequestSpec.any().hardwareType("tegra").image("fennec")
          .build())) {
        DeviceView board = lease.awaitReady(Duration.ofMinutes(30));

        assertThat(board.image()).isEqualTo("fennec");
        assertThat(board.spec().tags()).containsEntry("rack", "b4");
      }
    }

    @Test
    void theBoardWithTheBadCardWasCaughtByItsSelfTest(Pool pool) {
      assertThat(pool.inventory().device("tegra-03").state())
          .isEqualTo(DeviceStates.FAILED_SELF_TEST);
    }

    @Test
    void anExpiredLeaseFreesItsBoard(Pool pool, VirtualTimekeeper time) {
      Lease lease = pool.request(RequestSpec.device("tegra-01").image("android")
          .lease(Duration.ofMinutes(60)).build());
      lease.awaitReady(Duration.ofMinutes(30));

      time.advance(Duration.ofMinutes(61));

      assertThat(pool.findRequest(lease.id()).orElseThrow().isTerminal()).isTrue();
    }
  }

  /** Over the wire, in real time with every timeout divided by 60: one stack for the class. */
  @Nested
  class OverTheWire {
    @RegisterExtension
    final MozpoolWireExtension lab = MozpoolWireExtension
        .using(builder -> WireStack.start(builder, 60)).perClass().devices(2);

    @Test
    void aJobGetsABoardThatReallyPxeBootedAndCalledBack(Pool pool, WireLab wire) {
      try (Lease lease = pool.request(RequestSpec.any().image("android").build())) {
        // real time: a first self-test and an install; generous, for a machine that is busy
        DeviceView board = lease.awaitReady(Duration.ofMinutes(3));

        assertThat(wire.device(board.name()).sdImage()).get()
            .satisfies(image -> assertThat(image.image()).isEqualTo("android"));
      }
    }
  }
}
