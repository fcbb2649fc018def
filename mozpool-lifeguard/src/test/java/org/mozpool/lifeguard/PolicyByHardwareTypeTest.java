package org.mozpool.lifeguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mozpool.DeviceStates.PXE_BOOTING;
import static org.mozpool.DeviceStates.READY;

import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mozpool.HardwareType;
import org.mozpool.spi.DeviceTarget;

/**
 * One lab, two hardware types with policies of their own: pandas follow the defaults, tegras
 * boot slower (pxe_booting 300 s), give up sooner (2 retries), power-cycle on release and are
 * quarantined after a single failure. Each device follows its own type's policy.
 */
class PolicyByHardwareTypeTest {
  private static final LifeguardPolicy TEGRA = LifeguardPolicy.defaults()
      .withTimeout(PXE_BOOTING, Duration.ofSeconds(300))
      .withRetryLimit(PXE_BOOTING, 2)
      .withReleasePolicy(ReleasePolicy.POWER_CYCLE)
      .withQuarantine(1, Duration.ofDays(7));
  private static final LifeguardPolicies POLICIES =
      LifeguardPolicies.of(LifeguardPolicy.defaults()).withHardwareType("tegra", TEGRA);

  private final Lab lab = new Lab(POLICIES);

  @AfterEach
  void close() {
    lab.close();
  }

  private String tegra(String name, String state) {
    return lab.device(name, "tegra", state, "relay://bank/2/relay/" + name);
  }

  private void image(String device) {
    lab.await(lab.lifeguard.pleaseImage(device, "android", Map.of(), lab.sender(device)));
  }

  private long powerCycles(String device) {
    return lab.hw.journal.stream().filter(("power-cycle " + device)::equals).count();
  }

  @Test
  void eachDeviceWaitsInPxeBootingForItsOwnHardwareTypesTimeout() {
    lab.panda("panda-1", READY);
    tegra("tegra-1", READY);
    lab.hw.board("panda-1").callsHome = false;
    lab.hw.board("tegra-1").callsHome = false;
    image("panda-1");
    image("tegra-1");

    lab.advanceSeconds(299);

    assertThat(powerCycles("panda-1")).isEqualTo(2); // timed out at 180 s and cycled again
    assertThat(powerCycles("tegra-1")).isEqualTo(1); // 300 s not over yet
    assertThat(lab.record("tegra-1").machine().deadline())
        .isEqualTo(lab.tk.now().plusSeconds(1));
  }

  @Test
  void eachDeviceGivesUpAfterItsOwnHardwareTypesRetryLimit() {
    lab.panda("panda-1", READY);
    tegra("tegra-1", READY);
    lab.hw.board("panda-1").callsHome = false;
    lab.hw.board("tegra-1").callsHome = false;
    String tegraRequest = lab.claim("tegra-1");
    image("panda-1");
    image("tegra-1");

    lab.advanceSeconds(3 * 300 - 1);
    assertThat(lab.state("tegra-1")).isEqualTo(PXE_BOOTING);
    lab.advanceSeconds(1);

    assertThat(lab.state("tegra-1")).isEqualTo("failed_pxe_booting");
    assertThat(powerCycles("tegra-1")).isEqualTo(3);
    assertThat(lab.log("tegra-1")).anySatisfy(l -> assertThat(l.message())
        .isEqualTo("pxe_booting failed 3 times (limit 2); giving up"));
    assertThat(lab.results).containsExactly(tegraRequest + " tegra-1 failed-bad-device");
    // the panda, on the defaults (30 retries of 180 s), keeps trying
    assertThat(lab.state("panda-1")).isEqualTo(PXE_BOOTING);
    assertThat(powerCycles("panda-1")).isEqualTo(6);
  }

  @Test
  void theReleasePolicyIsTheHardwareTypes() {
    lab.panda("panda-1", READY);
    tegra("tegra-1", READY);

    lab.await(lab.lifeguard.released("panda-1"));
    lab.await(lab.lifeguard.released("tegra-1"));

    assertThat(lab.state("panda-1")).isEqualTo(READY);
    assertThat(lab.state("tegra-1")).isEqualTo("pc_power_cycling");
  }

  @Test
  void quarantineCountsAgainstTheHardwareTypesThreshold() {
    lab.panda("panda-1", READY);
    tegra("tegra-1", READY);
    lab.recordFailure("panda-1", "failed_pxe_booting", Duration.ofHours(1));
    lab.recordFailure("tegra-1", "failed_pxe_booting", Duration.ofHours(1));

    lab.await(lab.lifeguard.released("panda-1"));
    lab.await(lab.lifeguard.released("tegra-1"));

    assertThat(lab.state("panda-1")).isEqualTo(READY); // 1 failure of 3
    assertThat(lab.transitions).contains("tegra-1 ready->start_self_test")
        .doesNotContain("panda-1 ready->start_self_test");
    assertThat(lab.log("tegra-1")).anySatisfy(l -> assertThat(l.message())
        .startsWith("1 failures within PT168H make this device a problem child"));
  }

  @Test
  void aHardwareTypeWithoutAPolicyOfItsOwnFollowsTheDefault() {
    lab.store.inTransaction(tx -> {
      tx.putHardwareType(HardwareType.of("sabre"));
      tx.mapPxeConfig("android", "sabre", "android-tegra");
      return null;
    });
    lab.device("sabre-1", "sabre", READY, "relay://bank/3/relay/1");
    lab.hw.board("sabre-1").callsHome = false;
    image("sabre-1");

    lab.advanceSeconds(180);

    assertThat(powerCycles("sabre-1")).isEqualTo(2);
  }

  @Test
  void theWorkflowBudgetIsTheDevicesHardwareTypesAndTheLongestWithoutADevice() {
    DeviceTarget panda = new DeviceTarget("panda-1", "", "", "panda", "");
    DeviceTarget tegra = new DeviceTarget("tegra-1", "", "", "tegra", "");
    DeviceTarget sabre = new DeviceTarget("sabre-1", "", "", "sabre", "");
    Duration pandaBudget = LifeguardPolicy.defaults().workflowBudget("please_image");
    Duration tegraBudget = TEGRA.workflowBudget("please_image");

    assertThat(tegraBudget).isNotEqualTo(pandaBudget);
    assertThat(lab.lifeguard.workflowBudget("please_image", panda)).contains(pandaBudget);
    assertThat(lab.lifeguard.workflowBudget("please_image", tegra)).contains(tegraBudget);
    assertThat(lab.lifeguard.workflowBudget("please_image", sabre)).contains(pandaBudget);
    assertThat(lab.lifeguard.workflowBudget("please_image"))
        .contains(Collections.max(List.of(pandaBudget, tegraBudget)));
    assertThat(lab.lifeguard.workflowBudget("please_power_cycle", tegra))
        .contains(TEGRA.workflowBudget("please_power_cycle"));
    assertThat(lab.lifeguard.workflowBudget("please_self_test", tegra)).isEmpty();
  }

  @Test
  void theLongestBudgetCoversASlowerOverride() {
    LifeguardPolicy slow = LifeguardPolicy.defaults().withTimeout(PXE_BOOTING,
        Duration.ofHours(1));
    LifeguardPolicies policies = LifeguardPolicies.of(LifeguardPolicy.defaults())
        .withHardwareType("slow", slow);

    assertThat(policies.longestWorkflowBudget("please_image"))
        .isEqualTo(slow.workflowBudget("please_image"))
        .isGreaterThan(LifeguardPolicy.defaults().workflowBudget("please_image"));
  }

  @Test
  void policiesAreAnImmutableValue() {
    Map<String, LifeguardPolicy> given = new HashMap<>(Map.of("tegra", TEGRA));
    LifeguardPolicies p = LifeguardPolicies.of(LifeguardPolicy.defaults(), given);
    given.put("panda", TEGRA);

    assertThat(p.forHardwareType("panda")).isEqualTo(LifeguardPolicy.defaults());
    assertThat(p.forHardwareType("tegra")).isEqualTo(TEGRA);
    assertThat(p.forHardwareType(null)).isEqualTo(LifeguardPolicy.defaults());
    assertThat(p).isEqualTo(POLICIES).hasSameHashCodeAs(POLICIES);
    p.byHardwareType().put("panda", TEGRA);
    assertThat(p.forHardwareType("panda")).isEqualTo(LifeguardPolicy.defaults());
    assertThat(p.withHardwareType("tegra", LifeguardPolicy.defaults()).forHardwareType("tegra"))
        .isEqualTo(LifeguardPolicy.defaults());
    assertThat(p.forHardwareType("tegra")).isEqualTo(TEGRA);
  }

  @Test
  void refusesBlankHardwareTypesAndNulls() {
    LifeguardPolicies p = LifeguardPolicies.of(LifeguardPolicy.defaults());

    assertThatThrownBy(() -> p.withHardwareType(" ", TEGRA))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blank");
    assertThatThrownBy(() -> p.withHardwareType("tegra", null))
        .isInstanceOf(NullPointerException.class).hasMessageContaining("tegra");
    assertThatThrownBy(() -> LifeguardPolicies.of(null))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> StandardLifeguard.factory((LifeguardPolicies) null))
        .isInstanceOf(NullPointerException.class);
  }
}
