package org.mozpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RequestSpecTest {

  private static RequestSpec.Builder android() {
    return RequestSpec.any().image("android");
  }

  @Test
  void aLeaseLastsFromOneSecondToTenYears() {
    assertThat(RequestSpec.MIN_LEASE).isEqualTo(Duration.ofSeconds(1));
    assertThat(RequestSpec.MAX_LEASE).isEqualTo(Duration.ofDays(3650));
    assertThat(android().leaseDuration(RequestSpec.MIN_LEASE).build().leaseDuration())
        .isEqualTo(Duration.ofSeconds(1));
    assertThat(android().leaseDuration(RequestSpec.MAX_LEASE).build().leaseDuration())
        .isEqualTo(Duration.ofDays(3650));
  }

  @ParameterizedTest
  @ValueSource(longs = {Long.MAX_VALUE, 3650L * 86_400 + 1, 0, -1})
  void aLeaseOutsideItsBoundsIsRefusedNamingTheFieldAndBothBounds(long seconds) {
    Duration lease = Duration.ofSeconds(seconds);
    assertThatThrownBy(() -> android().leaseDuration(lease).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("lease duration must be between PT1S and PT87600H (3650 days), got " + lease);
  }

  @Test
  void aHugeLeaseIsRefusedAsOutOfBoundsNotAsAnArithmeticOverflow() {
    Duration millionYears = ChronoUnit.MILLENNIA.getDuration().multipliedBy(1000);
    assertThatThrownBy(() -> android().leaseDuration(millionYears).build())
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("lease duration must be between");
    assertThatThrownBy(() -> RequestSpec.checkLeaseDuration(Duration.ofMillis(999)))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessageEndingWith("got PT0.999S");
  }

  @Test
  void aMissingLeaseDurationIsANullPointerNamingIt() {
    assertThatThrownBy(() -> android().leaseDuration(null).build())
        .isInstanceOf(NullPointerException.class)
        .hasMessage("lease duration must not be null");
  }

  @Test
  void aWaitBudgetOfLongMaxValueSecondsIsRefusedInsteadOfLeavingTheRequestNewForever() {
    Duration forever = Duration.ofSeconds(Long.MAX_VALUE);
    assertThatThrownBy(() -> android().waitBudget(forever).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("wait budget must be between PT1S and PT8760H (365 days), got " + forever);
  }

  @Test
  void aWaitBudgetLastsFromOneSecondToOneYear() {
    assertThat(android().waitBudget(RequestSpec.MIN_WAIT).build().waitBudget())
        .isEqualTo(Duration.ofSeconds(1));
    assertThat(android().waitBudget(RequestSpec.MAX_WAIT).build().waitBudget())
        .isEqualTo(Duration.ofDays(365));
    assertThatThrownBy(() -> android().waitBudget(Duration.ofDays(365).plusNanos(1)).build())
        .hasMessageStartingWith("wait budget must be between");
    assertThatThrownBy(() -> android().waitBudget(Duration.ZERO).build())
        .hasMessageStartingWith("wait budget must be between");
    assertThatThrownBy(() -> android().waitBudget(null).build())
        .isInstanceOf(NullPointerException.class).hasMessage("wait budget must not be null");
  }

  @Test
  void aNullTagKeyIsRefusedNamingTheFieldNotByTheComparator() {
    assertThatThrownBy(() -> android().tag(null, "3"))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("tag key of request must not be null");
    Map<String, String> tags = new HashMap<>();
    tags.put(null, "3");
    assertThatThrownBy(() -> new RequestSpec("any", "", "", "", tags, "android", Map.of(),
        RequestSpec.DEFAULT_LEASE, RequestSpec.DEFAULT_WAIT, 0, ""))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("tag key of request must not be null");
  }

  @Test
  void nullBootConfigKeysAndValuesAreRefusedNamingTheField() {
    assertThatThrownBy(() -> android().bootConfig(null, "x"))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("boot config key of request must not be null");
    Map<String, String> config = new HashMap<>();
    config.put("b2gbase", null);
    assertThatThrownBy(() -> android().bootConfig(config))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("boot config 'b2gbase' of request must have a value, got null");
  }

  @Test
  void aNamedDeviceMustBeADeviceName() {
    assertThatThrownBy(() -> new RequestSpec("panda 1; drop", "", "", "", Map.of(), "android",
        Map.of(), RequestSpec.DEFAULT_LEASE, RequestSpec.DEFAULT_WAIT, 0, ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("device name must be 1-128 letters");
  }

  // ---- the builder checks each value as it is set ----

  @Test
  void aLeaseDurationOutOfRangeIsRefusedByItsSetterAtOnce() {
    RequestSpec.Builder b = android();
    assertThatThrownBy(() -> b.leaseDuration(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("lease duration must be between PT1S and PT87600H (3650 days), got PT0S");
    assertThatThrownBy(() -> b.leaseDuration(null))
        .isInstanceOf(NullPointerException.class).hasMessage("lease duration must not be null");
    assertThat(b.build().leaseDuration()).isEqualTo(RequestSpec.DEFAULT_LEASE);
  }

  @Test
  void aWaitBudgetOutOfRangeIsRefusedByItsSetterAtOnce() {
    RequestSpec.Builder b = android();
    assertThatThrownBy(() -> b.waitBudget(Duration.ofDays(366)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("wait budget must be between PT1S and PT8760H (365 days), got PT8784H");
    assertThatThrownBy(() -> b.waitBudget(null))
        .isInstanceOf(NullPointerException.class).hasMessage("wait budget must not be null");
    assertThat(b.build().waitBudget()).isEqualTo(RequestSpec.DEFAULT_WAIT);
  }

  @Test
  void aBlankImageIsRefusedByItsSetterAtOnceAndAMissingOneByBuild() {
    assertThatThrownBy(() -> RequestSpec.any().image(" "))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("an image is required, got ' '");
    assertThatThrownBy(() -> RequestSpec.any().image(null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("an image is required, got null");
    assertThatThrownBy(() -> RequestSpec.any().build())
        .isInstanceOf(IllegalArgumentException.class).hasMessage("an image is required, got null");
  }

  @Test
  void aRequestForABadDeviceNameIsRefusedBeforeAnythingElseIsSet() {
    assertThatThrownBy(() -> RequestSpec.device("panda 1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("device name must be 1-128 letters")
        .hasMessageEndingWith("got 'panda 1'");
  }

  @Test
  void nullFiltersAndRequesterReturnToTheirDefaults() {
    RequestSpec spec = android().environment("staging").environment(null).hardwareType(null)
        .hardwareModel(null).requester(null).build();
    assertThat(spec.environment()).isEmpty();
    assertThat(spec.hardwareType()).isEmpty();
    assertThat(spec.hardwareModel()).isEmpty();
    assertThat(spec.requester()).isEmpty();
  }

  @Test
  @SuppressWarnings("deprecation")
  void theOldLeaseAndWaitUpToSettersForwardToTheNewOnes() {
    RequestSpec spec = android().lease(Duration.ofHours(2)).waitUpTo(Duration.ofMinutes(5))
        .build();
    assertThat(spec).isEqualTo(android().leaseDuration(Duration.ofHours(2))
        .waitBudget(Duration.ofMinutes(5)).build());
    assertThatThrownBy(() -> android().lease(Duration.ZERO))
        .hasMessageStartingWith("lease duration must be between");
    assertThatThrownBy(() -> android().waitUpTo(Duration.ZERO))
        .hasMessageStartingWith("wait budget must be between");
  }

  // ---- toBuilder ----

  private static RequestSpec everyFieldSet() {
    return RequestSpec.device("panda-0042").environment("staging").hardwareType("panda")
        .hardwareModel("ES Rev B2").tag("rack", "3").image("b2g")
        .bootConfig("b2gbase", "http://builds/42").leaseDuration(Duration.ofHours(2))
        .waitBudget(Duration.ofMinutes(5)).priority(7).requester("ci").build();
  }

  @Test
  void aSpecRebuiltFromItsBuilderEqualsIt() {
    RequestSpec spec = everyFieldSet();
    assertThat(spec.toBuilder().build()).isEqualTo(spec);
    RequestSpec any = android().build();
    assertThat(any.toBuilder().build()).isEqualTo(any);
    assertThat(any.toBuilder().build().isAny()).isTrue();
  }

  @Test
  void changingOneFieldThroughToBuilderKeepsTheOthers() {
    RequestSpec spec = everyFieldSet();
    RequestSpec urgent = spec.toBuilder().priority(9).bootConfig("extra", "1").build();
    assertThat(urgent.priority()).isEqualTo(9);
    assertThat(urgent.bootConfig())
        .isEqualTo(Map.of("b2gbase", "http://builds/42", "extra", "1"));
    assertThat(urgent).usingRecursiveComparison().ignoringFields("priority", "bootConfig")
        .isEqualTo(spec);
    assertThat(spec.priority()).isEqualTo(7);
    assertThat(spec.bootConfig()).doesNotContainKey("extra");
  }
}
