package org.mozpool.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.mozpool.core.QueuePolicies;

/** The fair-share example shows what it says: the flooded queue drains in turns. */
class FairShareQueueTest {

  @Test
  void byDefaultTheSecondRequesterWaitsForTheWholeFlood() {
    List<String> order = FairShareQueue.servingOrder(QueuePolicies.priorityThenAge());

    assertThat(order).containsExactly("nightly", "nightly", "nightly", "nightly", "nightly",
        "nightly", "try", "try");
  }

  @Test
  void withFairShareTheTwoRequestersTakeTurnsUntilTheSecondIsDone() {
    List<String> order = FairShareQueue.servingOrder(QueuePolicies.fairShare());

    assertThat(order).containsExactly("nightly", "try", "nightly", "try", "nightly", "nightly",
        "nightly", "nightly");
  }
}
