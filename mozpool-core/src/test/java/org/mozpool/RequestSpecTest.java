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
    assertThat(android().lease(RequestSpec.MIN_LEASE).build().leaseDuration())
        .isEqualTo(Duration.ofSeconds(1));
    assertThat(android().lease(RequestSpec.MAX_LEASE).build().leaseDuration())
        .isEqualTo(Duration.ofDays(3650));
  }

  @ParameterizedTest
  @ValueSource(longs = {Long.MAX_VALUE, 3650L * 86_400 + 1, 0, -1})
  void aLeaseOutsideItsBoundsIsRefusedNamingTheFieldAndBothBounds(long seconds) {
    Duration lease = Duration.ofSeconds(seconds);
    assertThatThrownBy(() -> android().lease(lease).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("lease duration must be between PT1S and PT87600H (3650 days), got " + lease);
  }

  @Test
  void aHugeLeaseIsRefusedAsOutOfBoundsNotAsAnArithmeticOverflow() {
    Duration millionYears = ChronoUnit.MILLENNIA.getDuration().multipliedBy(1000);
    assertThatThrownBy(() -> android().lease(millionYears).build())
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("lease duration must be between");
    assertThatThrownBy(() -> RequestSpec.checkLeaseDuration(Duration.ofMillis(999)))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessageEndingWith("got PT0.999S");
  }

  @Test
  void aMissingLeaseDurationIsANullPointerNamingIt() {
    assertThatThrownBy(() -> android().lease(null).build())
        .isInstanceOf(NullPointerException.class)
        .hasMessage("lease duration must not be null");
  }

  @Test
  void aWaitBudgetOfLongMaxValueSecondsIsRefusedInsteadOfLeavingTheRequestNewForever() {
    Duration forever = Duration.ofSeconds(Long.MAX_VALUE);
    assertThatThrownBy(() -> android().waitUpTo(forever).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("wait budget must be between PT1S and PT8760H (365 days), got " + forever);
  }

  @Test
  void aWaitBudgetLastsFromOneSecondToOneYear() {
    assertThat(android().waitUpTo(RequestSpec.MIN_WAIT).build().waitBudget())
        .isEqualTo(Duration.ofSeconds(1));
    assertThat(android().waitUpTo(RequestSpec.MAX_WAIT).build().waitBudget())
        .isEqualTo(Duration.ofDays(365));
    assertThatThrownBy(() -> android().waitUpTo(Duration.ofDays(365).plusNanos(1)).build())
        .hasMessageStartingWith("wait budget must be between");
    assertThatThrownBy(() -> android().waitUpTo(Duration.ZERO).build())
        .hasMessageStartingWith("wait budget must be between");
    assertThatThrownBy(() -> android().waitUpTo(null).build())
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
}
