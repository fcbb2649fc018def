package org.mozpool.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mozpool.DeviceStates;
import org.mozpool.DeviceView;
import org.mozpool.Lease;
import org.mozpool.LogEntry;
import org.mozpool.Pool;
import org.mozpool.RequestFailedException;
import org.mozpool.RequestSpec;
import org.mozpool.RequestStates;
import org.mozpool.testkit.faults.Fault;
import org.mozpool.testkit.relay.RelayBoardEmulator;
import org.mozpool.testkit.sim.WireLab;

/**
 * Wire mode end to end: the real relay driver, TFTP server, PXE files, callback endpoint and
 * agent client against simulated boards on loopback, in real time with timeouts compressed 60×.
 */
class WireModeTest {
  private static final double COMPRESSION = 60;
  private WireStack stack;

  @AfterEach
  void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  private Pool start(WireLab.Builder lab) {
    stack = WireStack.start(lab, COMPRESSION);
    return settled(stack.pool());
  }

  private static Pool settled(Pool pool) {
    waitFor(Duration.ofSeconds(60), () -> pool.inventory().devices().stream()
        .allMatch(d -> d.state().equals(DeviceStates.READY) || DeviceStates.isFailed(d.state())));
    return pool;
  }

  private static void waitFor(Duration max, BooleanSupplier condition) {
    Instant end = Instant.now().plus(max);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(end)) {
        throw new AssertionError("condition not met within " + max);
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  @Test
  void requestGoesToReadyThroughTftpCallbacksAndTheAgentCheck() {
    Pool pool = start(WireLab.builder().devices(3));

    Lease lease = pool.request(RequestSpec.any().image("b2g")
        .bootConfig("b2gbase", "http://builds.lab/b2g/nightly-1").build());
    DeviceView device = lease.awaitReady(Duration.ofSeconds(180));

    assertThat(device.image()).isEqualTo("b2g");
    assertThat(stack.lab().device(device.name()).sdImage()).get()
        .satisfies(i -> assertThat(i.bootConfig())
            .containsEntry("b2gbase", "http://builds.lab/b2g/nightly-1"));
    assertThat(pool.inventory().deviceLog(device.name())).extracting(LogEntry::message)
        .anySatisfy(m -> assertThat(m).contains("mobile_init_started"))
        .anySatisfy(m -> assertThat(m).contains("image_downloading"))
        .anySatisfy(m -> assertThat(m).contains("image_rebooting"));
  }

  @Test
  void badSdCardSendsTheRequestToAnotherDeviceAndTheBadOneEndsFailed() {
    Pool pool = start(WireLab.builder().devices(3));
    stack.lab().device("panda-0001").develop(Fault.BAD_SD_CARD);

    Lease lease = pool.request(RequestSpec.any().image("android").build());

    // real time: the bad card's install, its failed storage checks and a second install, which a
    // busy machine (CI beside other builds) can stretch well past a minute
    assertThat(lease.awaitReady(Duration.ofSeconds(240)).name()).isNotEqualTo("panda-0001");
    assertThat(lease.view().devicesTried()).startsWith("panda-0001");
    waitFor(Duration.ofSeconds(60),
        () -> DeviceStates.isFailed(pool.inventory().device("panda-0001").state()));
  }

  @Test
  void brokenBuildFailsTheRequestAsBadImage() {
    Pool pool = start(WireLab.builder().devices(3));

    Lease lease = pool.request(RequestSpec.any().image("b2g")
        .bootConfig("b2gbase", "http://builds.lab/b2g/broken-3").build());

    assertThatThrownBy(() -> lease.awaitReady(Duration.ofSeconds(240)))
        .isInstanceOfSatisfying(RequestFailedException.class,
            e -> assertThat(e.state()).isEqualTo(RequestStates.FAILED_BAD_IMAGE));
  }

  @Test
  void hungRelayBoardFailsItsDevicesCleanlyWhileTheOtherChassisServes() {
    stack = WireStack.start(WireLab.builder().devices(4).chassisSize(2), COMPRESSION,
        p -> p.withRetryLimit(DeviceStates.PXE_POWER_CYCLING, 2));
    Pool pool = settled(stack.pool());
    stack.lab().relayBoard(1).fault(RelayBoardEmulator.Fault.HANG);

    Lease lease = pool.request(RequestSpec.any().image("android").build());

    DeviceView served = lease.awaitReady(Duration.ofSeconds(240));
    assertThat(served.spec().tags()).containsEntry("chassis", "2");
    assertThat(lease.view().devicesTried()).contains("panda-0001");
    waitFor(Duration.ofSeconds(30),
        () -> DeviceStates.isFailed(pool.inventory().device("panda-0001").state()));
  }
}
