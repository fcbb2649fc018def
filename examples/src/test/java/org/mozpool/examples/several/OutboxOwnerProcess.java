package org.mozpool.examples.several;

import java.time.Duration;
import org.mozpool.DeviceSpec;
import org.mozpool.InstancePolicy;
import org.mozpool.Mozpool;
import org.mozpool.Pool;
import org.mozpool.core.SystemTimekeeper;
import org.mozpool.jdbc.JdbcPoolStore;
import org.mozpool.lifeguard.StandardLifeguard;
import org.mozpool.testkit.doubles.ScriptedHardware;
import org.mozpool.testkit.sim.LabInventory;

/**
 * The owner of {@link OutboxDeliveryTest}, in a JVM of its own: an instance named {@code O} on lab
 * network {@code owned} (no one stands by for it) whose standard Lifeguard drives the devices,
 * over hardware doubles, and takes the events the other instances post for them. The first life
 * registers the devices; later lives resume them. It prints {@code up} once joined, and runs until
 * killed.
 *
 * <p>Arguments: JDBC URL, life number, device count.
 */
public final class OutboxOwnerProcess {
  static final String ID = "O";
  static final String NETWORK = "owned";

  private OutboxOwnerProcess() {}

  public static void main(String[] args) throws Exception {
    String url = args[0];
    int life = Integer.parseInt(args[1]);
    int devices = Integer.parseInt(args[2]);
    JdbcPoolStore store = JdbcPoolStore.forUrl(url, "postgres", "",
        JdbcPoolStore.Options.builder().poolSize(4).build());
    store.start();
    SystemTimekeeper time = new SystemTimekeeper();
    ScriptedHardware hardware = new ScriptedHardware(time);
    Pool pool = Mozpool.builder().serverId(ID)
        .instancePolicy(InstancePolicy.on(NETWORK)
            .withLiveness(Duration.ofMillis(250), Duration.ofSeconds(2))
            .withEventPoll(Duration.ofMillis(200)))
        .lifeguard(StandardLifeguard.factory()).timekeeper(time).store(store)
        .powerControl(hardware).bootControl(hardware).deviceProbe(hardware).build();
    if (life == 1) {
      LabInventory.registerImages(pool.inventory());
      for (int i = 1; i <= devices; i++) {
        pool.inventory().registerDevice(device(i));
      }
    }
    System.out.println("up " + life);
    System.out.flush();
    while (true) {
      Thread.sleep(1000);
    }
  }

  static DeviceSpec device(int i) {
    String name = String.format("owned-%02d", i);
    return DeviceSpec.builder(name).fqdn(name + ".lab").mac(String.format("02:00:00:00:01:%02x", i))
        .hardwareType("panda").powerAddress("proxr://127.0.0.1:2101/bank/1/relay/" + (1 + i % 8))
        .build();
  }
}
