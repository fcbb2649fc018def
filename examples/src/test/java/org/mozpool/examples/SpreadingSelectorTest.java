package org.mozpool.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mozpool.DeviceView;
import org.mozpool.Lease;
import org.mozpool.Pool;
import org.mozpool.RequestSpec;
import org.mozpool.testkit.junit.MozpoolLabExtension;

/** The custom selector spreads jobs over chassis, in a pool it is plugged into. */
class SpreadingSelectorTest {
  /** Six boards, two chassis of three, selecting with {@link SpreadingSelector}. */
  @RegisterExtension
  final MozpoolLabExtension lab = MozpoolLabExtension.virtual().devices(6)
      .configure(b -> b.chassisSize(3).selector(new SpreadingSelector("chassis")));

  private static String chassis(DeviceView d) {
    return d.spec().tags().get("chassis");
  }

  @Test
  void consecutiveJobsLandOnAlternateChassis(Pool pool) {
    List<Lease> leases = new ArrayList<>();
    List<String> chassis = new ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) {
        Lease lease = pool.request(RequestSpec.any().image("android").build());
        leases.add(lease);
        chassis.add(chassis(lease.awaitReady(Duration.ofMinutes(30))));
      }
    } finally {
      leases.forEach(Lease::close);
    }

    // 3+3 free: chassis 1 (tie, lowest); then 2+3: chassis 2; then 2+2: 1; then 1+2: 2
    assertThat(chassis).containsExactly("1", "2", "1", "2");
  }

  @Test
  void withinAChassisTheFirstFreeBoardByNameIsTaken(Pool pool) {
    try (Lease lease = pool.request(RequestSpec.any().image("android").build())) {
      assertThat(lease.awaitReady(Duration.ofMinutes(30)).name()).isEqualTo("panda-0001");
    }
  }

  @Test
  void devicesWithoutTheTagFormOneGroup() {
    SpreadingSelector byRack = new SpreadingSelector("rack");
    List<DeviceView> candidates = lab.pool().inventory().devices();

    assertThat(byRack.select(candidates, RequestSpec.any().image("android").build()).name())
        .isEqualTo("panda-0001");
  }
}
