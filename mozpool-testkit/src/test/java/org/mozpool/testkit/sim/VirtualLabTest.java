package org.mozpool.testkit.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.mozpool.DeviceStates;
import org.mozpool.DeviceView;
import org.mozpool.Lease;
import org.mozpool.RequestSpec;

class VirtualLabTest {

  @Test
  void freshLabSelfTestsEveryDeviceToReady() {
    try (VirtualLab lab = VirtualLab.builder().devices(4).build()) {
      assertThat(lab.settle(Duration.ofMinutes(30))).isTrue();
      System.out.println(lab.stateCounts() + " at " + lab.time().now());
      assertThat(lab.stateCounts()).containsExactly(java.util.Map.entry(DeviceStates.READY, 4));
    }
  }

  @Test
  void requestIsImagedThroughTheLiveImageFlow() {
    try (VirtualLab lab = VirtualLab.builder().devices(4).build()) {
      lab.settle(Duration.ofMinutes(30));
      Lease lease = lab.pool().request(RequestSpec.any().image("b2g")
          .bootConfig("b2gbase", "http://builds.lab/b2g/1").build());
      DeviceView d = lease.awaitReady(Duration.ofMinutes(30));
      lab.pool().inventory().deviceLog(d.name()).forEach(System.out::println);
      assertThat(d.image()).isEqualTo("b2g");
      assertThat(lab.device(d.name()).sdImage()).get().extracting(InstallOrder::image)
          .isEqualTo("b2g");
    }
  }
}
