package org.mozpool.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.inject.Guice;
import com.google.inject.Injector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.DeviceSpec;
import org.mozpool.HardwareType;
import org.mozpool.Image;
import org.mozpool.Pool;
import org.mozpool.PxeConfig;
import org.mozpool.bmm.PxeBootControl;
import org.mozpool.core.PoolLifecycle;
import org.mozpool.jdbc.JdbcPoolStore;
import org.mozpool.spi.DeviceSelector;
import org.mozpool.spi.LifeguardContext;
import org.mozpool.spi.PoolStore;

/**
 * The Guice example assembles a pool from every artifact's module with the application's
 * overrides, and a registered board is driven through them: its PXE config written by {@code
 * BmmModule}'s boot control, its power cycled by the application's command.
 */
class GuiceWiringTest {
  @TempDir
  Path dir;

  @Test
  void theOverriddenPartsAndTheModulesPartsRunTogetherAndTheLifecycleStopsThem()
      throws Exception {
    Path tftp = dir.resolve("tftp");
    Path pduLog = dir.resolve("pdu.log");
    Injector injector = Guice.createInjector(GuiceWiring.modules(tftp, "127.0.0.1:8080",
        dir.resolve("mozpool"), List.of("sh", "-c", "echo \"cycle $0 $1\" >> " + pduLog,
            "{device}", "{address}")));
    PoolLifecycle lifecycle = injector.getInstance(PoolLifecycle.class);
    Pool pool = lifecycle.start();
    LifeguardContext parts = (LifeguardContext) pool;

    assertThat(parts.serverId()).isEqualTo("lab-1");
    assertThat(parts.powerControl()).isInstanceOf(CommandPowerControl.class);
    assertThat(parts.bootControl()).isInstanceOf(PxeBootControl.class);
    assertThat(injector.getInstance(DeviceSelector.class)).isInstanceOf(SpreadingSelector.class);
    assertThat(injector.getInstance(PoolStore.class)).isInstanceOf(JdbcPoolStore.class);

    pool.inventory().registerHardwareType(new HardwareType("tegra", "Tegra 3"));
    pool.inventory().registerImage(Image.builder(Image.SELF_TEST).hidden(true).build());
    pool.inventory().registerPxeConfig(new PxeConfig("tegra-self-test", "self-test",
        "default live\n  append mozpool.server=http://%IPADDRESS%/\n", true));
    pool.inventory().mapPxeConfig(Image.SELF_TEST, "tegra", "tegra-self-test");
    pool.inventory().registerDevice(DeviceSpec.builder("tegra-01").hardwareType("tegra")
        .mac("00163e000001").powerAddress("pdu://rack-b4/7").build());

    // the board's self-test: PXE config into the TFTP root, then a power cycle by the command
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
        assertThat(pduLog).exists().content().contains("cycle tegra-01 pdu://rack-b4/7"));
    assertThat(Files.readString(tftp.resolve("pxelinux.cfg").resolve("01-00-16-3e-00-00-01")))
        .contains("mozpool.server=http://127.0.0.1:8080/");

    lifecycle.close();
    assertThat(lifecycle.isRunning()).isFalse();
    assertThat(Files.exists(dir.resolve("mozpool.mv.db"))).isTrue();
  }
}
