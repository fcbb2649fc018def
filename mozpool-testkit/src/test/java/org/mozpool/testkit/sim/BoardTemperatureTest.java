package org.mozpool.testkit.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mozpool.testkit.sim.SimulatedDevice.HEALTHY_MAX_C;
import static org.mozpool.testkit.sim.SimulatedDevice.HEALTHY_MIN_C;
import static org.mozpool.testkit.sim.SimulatedDevice.SELF_TEST_LIMIT_C;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.mozpool.core.VirtualTimekeeper;
import org.mozpool.spi.Cancellable;
import org.mozpool.spi.DeviceTarget;
import org.mozpool.testkit.faults.Fault;
import org.mozpool.testkit.faults.FaultLog;
import org.mozpool.testkit.faults.FaultProfile;

/**
 * A simulated board's CPU temperature: a healthy board warms to its running temperature and stays
 * in the normal range; an overheating board's readings rise with powered time and pass the live
 * image's limit hours before it hangs; a power cycle of seconds does not cool a board, hours off
 * do; and the simulated live image reports the reading with its events, its self-test failing a
 * hot board as the real one does.
 */
class BoardTemperatureTest {
  private static final String SELF_TEST_PXE =
      "default live\nlabel live\n  kernel live\n  append mozpool.mode=self-test\n";

  private final VirtualTimekeeper time = new VirtualTimekeeper();
  private final List<Posted> posted = new CopyOnWriteArrayList<>();
  private volatile Optional<String> pxe = Optional.empty();

  private record Posted(String event, Map<String, Object> args) {}

  private final DeviceHost host = new DeviceHost() {
    @Override
    public Instant now() {
      return time.now();
    }

    @Override
    public Cancellable after(Duration delay, Runnable step) {
      return time.schedule(time.now().plus(delay), step);
    }

    @Override
    public Optional<String> fetchPxeConfig(SimulatedDevice device) {
      return pxe;
    }

    @Override
    public Optional<InstallOrder> fetchBootConfig(SimulatedDevice device, String pxeConfig) {
      return Optional.empty();
    }

    @Override
    public void postEvent(SimulatedDevice device, String event, Map<String, Object> args) {
      posted.add(new Posted(event, args));
    }
  };

  private SimulatedDevice board(int seed, Fault... defects) {
    DeviceTarget target = new DeviceTarget("panda-" + seed, "panda-" + seed + ".lab",
        "00163e0000" + (10 + seed), "panda", "proxr://relay-1:2101/bank/1/relay/" + seed);
    SimulatedDevice d = new SimulatedDevice(target, Set.of(defects), DeviceTimings.pandas(),
        FaultProfile.none(), new FaultLog(), new Random(seed), SimulatedDevice.thermalRandom(1, seed), b -> false);
    d.attach(host);
    return d;
  }

  /** Readings every {@code every} for {@code count} times, advancing the clock in between. */
  private List<Double> readings(SimulatedDevice d, Duration every, int count) {
    List<Double> r = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      time.advance(every);
      r.add(d.temperature());
    }
    return r;
  }

  @Test
  void healthyBoardWarmsToItsRunningTemperatureAndStaysInTheNormalRange() {
    SimulatedDevice healthy = board(1);
    assertThat(healthy.temperature()).isBetween(20.0, 30.0); // the rack's air before power-on

    healthy.setPower(true);
    List<Double> warm = readings(healthy, Duration.ofMinutes(30), 48).subList(2, 48);

    assertThat(warm).allSatisfy(t -> assertThat(t).isBetween(HEALTHY_MIN_C - 4, HEALTHY_MAX_C + 4));
    assertThat(warm.stream().mapToDouble(Double::doubleValue).max().orElseThrow())
        .isLessThan(SELF_TEST_LIMIT_C - 15);
  }

  @Test
  void eachHealthyBoardHasARunningTemperatureOfItsOwn() {
    List<Double> settled = new ArrayList<>();
    for (int seed = 1; seed <= 8; seed++) {
      SimulatedDevice d = board(seed);
      d.setPower(true);
      time.advance(Duration.ofHours(3));
      settled.add(d.temperature());
    }

    double spread = settled.stream().mapToDouble(Double::doubleValue).max().orElseThrow()
        - settled.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    assertThat(spread).isGreaterThan(4);
    assertThat(settled).allSatisfy(t -> assertThat(t).isLessThan(HEALTHY_MAX_C + 4));
  }

  @Test
  void overheatingBoardsReadingsRiseWithPoweredTimePastTheLimitHoursBeforeItHangs() {
    SimulatedDevice hot = board(2, Fault.OVERHEATING);
    hot.setPower(true);

    List<Double> hourly = readings(hot, Duration.ofHours(1), 3);

    assertThat(hourly).isSorted();
    assertThat(hourly.get(0)).isLessThan(SELF_TEST_LIMIT_C); // not yet: it runs hot in time
    assertThat(hourly.get(2)).isGreaterThanOrEqualTo(SELF_TEST_LIMIT_C);
    assertThat(hot.phase()).isNotEqualTo(SimulatedDevice.Phase.HUNG);

    time.advance(Duration.ofHours(5).plusMinutes(1)); // the fault profile's 8 h of power
    assertThat(hot.phase()).isEqualTo(SimulatedDevice.Phase.HUNG);
  }

  @Test
  void aPowerCycleOfSecondsLeavesAHotBoardHotAndHoursOffCoolIt() {
    SimulatedDevice hot = board(3, Fault.OVERHEATING);
    hot.setPower(true);
    time.advance(Duration.ofHours(4));
    double before = hot.temperature();

    hot.setPower(false);
    time.advance(Duration.ofSeconds(5));
    hot.setPower(true);
    assertThat(hot.temperature()).isGreaterThan(before - 4).isGreaterThan(SELF_TEST_LIMIT_C);

    hot.setPower(false);
    time.advance(Duration.ofHours(4));
    assertThat(hot.temperature()).isLessThan(30);
  }

  @Test
  void liveImageReportsTheReadingWithEveryEventAndItsSelfTestPassesAHealthyBoard() {
    SimulatedDevice healthy = board(4);
    pxe = Optional.of(SELF_TEST_PXE);

    healthy.setPower(true);
    time.advance(Duration.ofMinutes(30));

    assertThat(posted).extracting(Posted::event)
        .containsExactly("mobile_init_started", "self_test_running", "self_test_ok");
    assertThat(posted).allSatisfy(p -> assertThat(Double.parseDouble(
        (String) p.args().get("temperature"))).isBetween(20.0, SELF_TEST_LIMIT_C - 15));
  }

  @Test
  void liveImagesSelfTestFailsAHotBoardForItsTemperatureAsTheRealOneDoes() {
    SimulatedDevice hot = board(5, Fault.OVERHEATING);
    hot.setPower(true);
    time.advance(Duration.ofHours(4)); // running an image from its card, getting hot
    pxe = Optional.of(SELF_TEST_PXE);

    hot.setPower(false);
    time.advance(Duration.ofSeconds(1));
    hot.setPower(true);
    time.advance(Duration.ofMinutes(30));

    assertThat(posted).extracting(Posted::event)
        .containsExactly("mobile_init_started", "self_test_running", "failed_self_test");
    Map<String, Object> verdict = posted.get(2).args();
    assertThat(verdict).containsEntry("failed", "temperature");
    assertThat(Double.parseDouble((String) verdict.get("temperature")))
        .isGreaterThanOrEqualTo(SELF_TEST_LIMIT_C);
    assertThat((String) verdict.get("reason")).matches(
        "temperature \\d+\\.\\d C is at or over the limit of 85 C \\(overheating\\)");
    assertThat(Double.parseDouble((String) posted.get(0).args().get("temperature")))
        .isGreaterThanOrEqualTo(SELF_TEST_LIMIT_C);
  }

  @Test
  void readingsAreTheSameForTheSameSeed() {
    SimulatedDevice a = board(6, Fault.OVERHEATING);
    SimulatedDevice b = board(6, Fault.OVERHEATING);
    a.setPower(true);
    b.setPower(true);

    List<Double> fromA = new ArrayList<>();
    List<Double> fromB = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      time.advance(Duration.ofMinutes(20));
      fromA.add(a.temperature());
      fromB.add(b.temperature());
    }

    assertThat(fromA).isEqualTo(fromB);
  }
}
