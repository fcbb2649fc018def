package org.mozpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PoolPolicyTest {

  @Test
  void everyDurationIsPositiveAndAtMostTenYears() {
    PoolPolicy d = PoolPolicy.defaults();
    assertThat(d.withQueueRecheck(PoolPolicy.MAX_DURATION).queueRecheck())
        .isEqualTo(Duration.ofDays(3650));
    assertThatThrownBy(() -> d.withQueueRecheck(Duration.ofSeconds(Long.MAX_VALUE)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("queue recheck must be positive and at most PT87600H (3650 days), got "
            + Duration.ofSeconds(Long.MAX_VALUE));
    assertThatThrownBy(() -> d.withContact(Duration.ZERO, 5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("contact timeout must be positive and at most PT87600H (3650 days), got PT0S");
    assertThatThrownBy(() -> d.withPending(null, 5))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("pending poll must not be null");
  }
}
