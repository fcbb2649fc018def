package org.mozpool.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.DeviceSpec;
import org.mozpool.HardwareType;
import org.mozpool.Image;
import org.mozpool.Lease;
import org.mozpool.Mozpool;
import org.mozpool.Pool;
import org.mozpool.PoolPolicy;
import org.mozpool.PxeConfig;
import org.mozpool.RequestSpec;
import org.mozpool.RequestStates;
import org.mozpool.core.QueuePolicies;
import org.mozpool.core.VirtualTimekeeper;
import org.mozpool.testkit.doubles.ScriptedLifeguard;

/**
 * A quota per environment counts the claims in the store, so two instances sharing one database
 * share the quota: a device held through one instance counts against the other's requests.
 */
class QuotaAcrossInstancesTest {
  @TempDir
  Path dir;
  private final VirtualTimekeeper time = new VirtualTimekeeper();
  private final List<AutoCloseable> resources = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
    time.close();
  }

  private Pool instance(String id) {
    JdbcPoolStore store = JdbcPoolStore.h2(dir.resolve("shared"));
    Pool pool = Mozpool.builder().store(store).timekeeper(time).serverId(id)
        .lifeguard(ScriptedLifeguard.completingAfter(Duration.ofMinutes(1)))
        .queuePolicy(QueuePolicies.quotaPerEnvironment(Map.of("staging", 1)))
        .policy(PoolPolicy.defaults().withQueueRecheck(Duration.ofMinutes(1))).build();
    resources.add(store);
    resources.add(pool);
    return pool;
  }

  @Test
  void aDeviceHeldThroughOneInstanceCountsAgainstTheOthersQuota() {
    Pool a = instance("imaging-a");
    Pool b = instance("imaging-b");
    var inventory = a.inventory();
    inventory.registerHardwareType(HardwareType.of("panda"));
    inventory.registerImage(Image.builder("android").build());
    inventory.registerPxeConfig(PxeConfig.of("android-panda", "kernel android"));
    inventory.mapPxeConfig("android", "panda", "android-panda");
    for (int i = 1; i <= 2; i++) {
      inventory.registerDevice(DeviceSpec.builder("staging-" + i).mac("00000000000" + i)
          .hardwareType("panda").environment("staging").build());
    }
    time.runDueTasks();
    RequestSpec staging = RequestSpec.any().image("android").environment("staging")
        .waitBudget(Duration.ofHours(1)).leaseDuration(Duration.ofHours(2)).build();

    Lease first = a.request(staging);
    time.advance(Duration.ofMinutes(2));
    assertThat(first.state()).isEqualTo(RequestStates.READY);

    Lease second = b.request(staging);
    time.advance(Duration.ofMinutes(5));
    assertThat(second.state()).isEqualTo(RequestStates.FINDING_DEVICE);
    assertThat(b.requestLog(second.id())).anySatisfy(e -> assertThat(e.message())
        .isEqualTo("free candidates not taken: the queue policy admits none of the 1 free"
            + " candidates now"));

    first.returnDevice();
    time.advance(Duration.ofMinutes(3)); // b's queue hears of it at its next re-check

    assertThat(second.state()).isEqualTo(RequestStates.READY);
  }
}
