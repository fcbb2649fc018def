package org.mozpool;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.core.VirtualTimekeeper;
import org.mozpool.spi.DeviceFailure;

/**
 * A small lab on virtual time for the scheduling specifications: {@code panda-1..3} in environment
 * {@code ci}, {@code staging-1..2} in {@code staging}, and {@code solo-1} alone in {@code solo};
 * images {@code b2g} (reusable) and {@code android}; a Lifeguard that images in 5 minutes.
 */
final class SchedulingLab implements AutoCloseable {
  final VirtualTimekeeper time = new VirtualTimekeeper();
  final InMemoryPoolStore store = new InMemoryPoolStore();
  final ScriptedLifeguard lifeguard = new ScriptedLifeguard();
  final Pool pool;
  private final AtomicInteger ids = new AtomicInteger();

  /** A lab whose pool is built by the default builder, then {@code configure}. */
  SchedulingLab(UnaryOperator<Mozpool.Builder> configure) {
    pool = configure.apply(Mozpool.builder().lifeguard(lifeguard).timekeeper(time).store(store)
        .requestIds(() -> "r" + ids.incrementAndGet())).build();
    Inventory inv = pool.inventory();
    inv.registerHardwareType(HardwareType.of("panda"));
    inv.registerPxeConfig(PxeConfig.of("panda-b2g", "kernel b2g"));
    inv.registerPxeConfig(PxeConfig.of("panda-android", "kernel android"));
    inv.registerImage(Image.builder("b2g").requiredBootConfigKeys("b2gbase").reusable(true).build());
    inv.registerImage(Image.builder("android").build());
    inv.mapPxeConfig("b2g", "panda", "panda-b2g");
    inv.mapPxeConfig("android", "panda", "panda-android");
    int mac = 0;
    for (String name : new String[] {"panda-1", "panda-2", "panda-3", "staging-1", "staging-2",
        "solo-1"}) {
      String env = name.startsWith("panda") ? "ci" : name.substring(0, name.indexOf('-'));
      inv.registerDevice(DeviceSpec.builder(name).mac(String.format("%012x", ++mac))
          .hardwareType("panda").environment(env).build());
    }
    time.runDueTasks();
  }

  /** An android request for any device of {@code environment}, by {@code requester}. */
  static RequestSpec.Builder android(String environment, String requester) {
    return RequestSpec.any().image("android").environment(environment).requester(requester)
        .waitBudget(Duration.ofHours(3)).leaseDuration(Duration.ofHours(4));
  }

  /** Files a request and waits (in virtual time) until it holds a ready device; returns it. */
  Lease ready(RequestSpec spec) {
    Lease lease = pool.request(spec);
    lease.awaitReady(Duration.ofHours(1));
    return lease;
  }

  /** Files a request, lets it look once, and returns it (waiting, if nothing was free). */
  Lease file(RequestSpec spec) {
    Lease lease = pool.request(spec);
    time.runDueTasks();
    return lease;
  }

  /** Returns the lease's device and lets the pool react. */
  void giveBack(Lease lease) {
    lease.returnDevice();
    time.runDueTasks();
  }

  void recordFailure(String device, Duration ago) {
    store.inTransaction(tx -> {
      tx.recordFailure(new DeviceFailure(device, DeviceStates.FAILED_PXE_BOOTING,
          time.now().minus(ago)));
      return null;
    });
  }

  @Override
  public void close() {
    pool.close();
    time.close();
  }
}
