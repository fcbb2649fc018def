package org.mozpool.lifeguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The policy's defaults are DESIGN §5's table; copies validate eagerly. */
class LifeguardPolicyTest {
  private final LifeguardPolicy defaults = LifeguardPolicy.defaults();

  @Test
  void defaultTimeoutsAreTheDocumentedOnes() {
    Map<String, Long> seconds = Map.ofEntries(Map.entry("new", 0L), Map.entry("ready", 600L),
        Map.entry("pc_power_cycling", 60L), Map.entry("pc_rebooting", 120L),
        Map.entry("pc_pinging", 10L), Map.entry("start_pxe_boot", 0L),
        Map.entry("start_self_test", 0L), Map.entry("start_maintenance", 0L),
        Map.entry("pxe_power_cycling", 60L), Map.entry("pxe_booting", 180L),
        Map.entry("live_init_started", 10L), Map.entry("image_downloading", 180L),
        Map.entry("image_extracting", 600L), Map.entry("verifying", 45L),
        Map.entry("verify_power_cycle", 60L), Map.entry("storage_verifying", 200L),
        Map.entry("operation_complete", 60L), Map.entry("self_test_running", 3600L));
    seconds.forEach((state, s) ->
        assertThat(defaults.timeout(state)).as(state).contains(Duration.ofSeconds(s)));
    for (String state : new String[] {"maintenance_mode", "troubleshooting", "locked_out",
        "unknown", "failed_pxe_booting", "failed_quarantined"}) {
      assertThat(defaults.timeout(state)).as(state).isEmpty();
    }
  }

  @Test
  void defaultRetryLimitsAreTheDocumentedOnes() {
    assertThat(defaults.retryLimits()).isEqualTo(Map.of("pc_power_cycling", 200, "pc_pinging", 12,
        "pxe_power_cycling", 200, "pxe_booting", 30, "live_init_started", 10,
        "image_downloading", 3, "image_extracting", 10, "verifying", 30,
        "verify_power_cycle", 3, "storage_verifying", 2));
    assertThat(defaults.pcPingingRounds()).isEqualTo(3);
    assertThat(defaults.verifyPowerCycleEvery()).isEqualTo(10);
  }

  @Test
  void otherDefaults() {
    assertThat(defaults.quarantineFailures()).isEqualTo(3);
    assertThat(defaults.quarantineWindow()).isEqualTo(Duration.ofDays(7));
    assertThat(defaults.releasePolicy()).isEqualTo(ReleasePolicy.LEAVE_AS_IS);
    assertThat(defaults.baselineImage()).isEmpty();
    assertThat(defaults.recentLogLines()).isEqualTo(50);
  }

  @Test
  void copiesChangeOnlyWhatTheyName() {
    LifeguardPolicy p = defaults.withTimeout("pxe_booting", Duration.ofMinutes(5))
        .withRetryLimit("verifying", 20);

    assertThat(p.timeout("pxe_booting")).contains(Duration.ofMinutes(5));
    assertThat(p.retryLimit("verifying")).isEqualTo(20);
    assertThat(p.timeout("ready")).contains(Duration.ofSeconds(600));
    assertThat(defaults.timeout("pxe_booting")).contains(Duration.ofSeconds(180));
    assertThat(p).isNotEqualTo(defaults);
    assertThat(defaults.withRetryLimit("verifying", 30)).isEqualTo(defaults);
  }

  @Test
  void baselineReimageCarriesItsImage() {
    LifeguardPolicy p = defaults.withReleaseReimage("b2g", Map.of("b2gbase", "u"));

    assertThat(p.releasePolicy()).isEqualTo(ReleasePolicy.REIMAGE_BASELINE);
    assertThat(p.baselineImage()).isEqualTo("b2g");
    assertThat(p.baselineBootConfig()).containsEntry("b2gbase", "u");
    assertThat(p.withReleasePolicy(ReleasePolicy.POWER_CYCLE).baselineImage()).isEmpty();
  }

  @Test
  void invalidValuesAreRefusedWithAMessageSayingWhatWasExpected() {
    assertThatThrownBy(() -> defaults.withTimeout("maintenance_mode", Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'maintenance_mode' has no configurable timeout");
    assertThatThrownBy(() -> defaults.withTimeout("ready", Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("timeout of ready must be zero or positive, got PT-1S");
    assertThatThrownBy(() -> defaults.withRetryLimit("ready", 3))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has no retry limit");
    assertThatThrownBy(() -> defaults.withRetryLimit("verifying", -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("retry limit of verifying must be at least 0, got -1");
    assertThatThrownBy(() -> defaults.withQuarantine(0, Duration.ofDays(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> defaults.withQuarantine(3, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("quarantine window must be positive, got PT0S");
    assertThatThrownBy(() -> defaults.withReleasePolicy(ReleasePolicy.REIMAGE_BASELINE))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("withReleaseReimage");
    assertThatThrownBy(() -> defaults.withReleaseReimage(" ", Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> defaults.withVerifyPowerCycleEvery(0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void defaultWorkflowBudgetsCoverEveryRetryOfEveryState() {
    // please_power_cycle: 3 rounds × (201 × 60 s + 120 s + 13 × 10 s)
    assertThat(defaults.workflowBudget("please_power_cycle")).isEqualTo(Duration.ofSeconds(36_930));
    // please_image: 200 × 60 s of pxe_power_cycling retries; 30 × 240 s, 10 × 250 s, 3 × 430 s
    // and 10 × 1030 s of passes ending in a retry; a last pass of 1030 s; the longer ending (the
    // no-agent ping path, 24,870 s, beats agent verification, 2,415 s)
    assertThat(defaults.workflowBudget("please_image")).isEqualTo(Duration.ofSeconds(59_190));
    assertThat(defaults.workflowBudget("please_image"))
        .as("more than pxe_booting's retries alone, which a 20-minute pool limit cut short")
        .isGreaterThan(Duration.ofSeconds(31 * 180));
  }

  @Test
  void workflowBudgetFollowsTheTimeoutsAndRetryLimits() {
    LifeguardPolicy fewerRetries = defaults.withRetryLimit("pxe_power_cycling", 0)
        .withRetryLimit("pc_power_cycling", 0);

    assertThat(fewerRetries.workflowBudget("please_power_cycle"))
        .isEqualTo(Duration.ofSeconds(3 * (60 + 120 + 130)));
    assertThat(defaults.workflowBudget("please_image")
        .minus(fewerRetries.workflowBudget("please_image")))
        .as("200 pxe_power_cycling retries; the no-agent ending (24,870 s) gives way to the agent"
            + " ending (2,415 s) as the longer one")
        .isEqualTo(Duration.ofSeconds(200 * 60 + 24_870 - 2_415));
    assertThat(defaults.withTimeout("pxe_booting", Duration.ofMillis(1500))
        .workflowBudget("please_image")).isLessThan(defaults.workflowBudget("please_image"));
    assertThatThrownBy(() -> defaults.workflowBudget("please_self_test"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected please_image or please_power_cycle");
  }
}
