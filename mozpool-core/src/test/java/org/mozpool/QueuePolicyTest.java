package org.mozpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mozpool.SchedulingLab.android;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mozpool.core.QueuePolicies;
import org.mozpool.core.QueuePolicies.Reservation;
import org.mozpool.spi.QueuePolicy;
import org.mozpool.spi.QueueView;
import org.mozpool.spi.WaitingRequest;

/**
 * How the stock {@link QueuePolicy}s share devices, through the public API on virtual time: who is
 * served when a device frees, who may have which device now, and what happens when a policy
 * fails.
 */
class QueuePolicyTest {
  private SchedulingLab lab;

  private SchedulingLab lab(UnaryOperator<Mozpool.Builder> configure) {
    lab = new SchedulingLab(configure);
    return lab;
  }

  @AfterEach
  void close() {
    if (lab != null) {
      lab.close();
    }
  }

  /** flood holds solo-1 and queues three more; then quiet queues one. */
  private List<Lease> floodThenQuiet() {
    Lease held = lab.ready(android("solo", "flood").build());
    List<Lease> floods = new java.util.ArrayList<>(List.of(held));
    for (int i = 0; i < 3; i++) {
      lab.time.advance(Duration.ofSeconds(1));
      floods.add(lab.file(android("solo", "flood").build()));
    }
    lab.time.advance(Duration.ofSeconds(1));
    floods.add(lab.file(android("solo", "quiet").build()));
    return floods;
  }

  @Test
  void byDefaultAFreedDeviceGoesToTheOldestRequestEvenIfOneRequesterFloodedTheQueue() {
    lab(b -> b);
    List<Lease> r = floodThenQuiet();

    lab.giveBack(r.get(0));

    assertThat(r.get(1).device()).contains("solo-1");
    assertThat(r.get(4).state()).isEqualTo(RequestStates.FINDING_DEVICE);
  }

  @Test
  void fairShareServesTheOtherRequesterInTurnWhenOneFloodsTheQueue() {
    lab(b -> b.queuePolicy(QueuePolicies.fairShare()));
    List<Lease> r = floodThenQuiet();
    Lease quiet = r.get(4);

    lab.giveBack(r.get(0));
    assertThat(quiet.device()).contains("solo-1");
    assertThat(r.get(1).state()).isEqualTo(RequestStates.FINDING_DEVICE);

    quiet.awaitReady(Duration.ofHours(1));
    lab.giveBack(quiet);
    assertThat(r.get(1).device()).contains("solo-1"); // flood's turn again, oldest first
    assertThat(r.get(2).state()).isEqualTo(RequestStates.FINDING_DEVICE);
  }

  @Test
  void fairShareFavoursTheRequesterHoldingFewerDevicesOverTheOneServedLongestAgo() {
    lab(b -> b.queuePolicy(QueuePolicies.fairShare()));
    Lease flood1 = lab.ready(android("staging", "flood").build());
    Lease flood2 = lab.ready(android("staging", "flood").build());
    Lease quiet1 = lab.ready(android("solo", "quiet").build()); // served after flood
    lab.giveBack(quiet1);
    Lease floodWaits = lab.file(android("staging", "flood").build());
    lab.time.advance(Duration.ofSeconds(1));
    Lease quietWaits = lab.file(android("staging", "quiet").build());

    lab.giveBack(flood1);

    // flood still holds staging-2, quiet holds nothing: quiet first, although flood asked first
    // and was served longer ago.
    assertThat(quietWaits.device()).isEqualTo(flood1.view().devicesTried().stream().findFirst());
    assertThat(floodWaits.state()).isEqualTo(RequestStates.FINDING_DEVICE);
    assertThat(flood2.state()).isEqualTo(RequestStates.READY);
  }

  @Test
  void aQuotaRefusesADeviceBeyondItsLimitAndServesTheWaitingRequestAfterAReturn() {
    lab(b -> b.queuePolicy(QueuePolicies.quotaPerEnvironment(Map.of("staging", 1))));
    Lease first = lab.ready(android("staging", "alice").build());

    Lease second = lab.file(android("staging", "bob").build());
    lab.time.advance(Duration.ofMinutes(5));

    assertThat(second.state()).isEqualTo(RequestStates.FINDING_DEVICE);
    assertThat(lab.pool.inventory().devices()).filteredOn(d -> d.name().startsWith("staging"))
        .filteredOn(d -> d.claimedBy().isEmpty()).hasSize(1);
    assertThat(lab.pool.requestLog(second.id())).extracting(LogEntry::message)
        .containsOnlyOnce("free candidates not taken: the queue policy admits none of the 1 free"
            + " candidates now");
    // Other environments are not limited.
    assertThat(lab.ready(android("ci", "bob").build()).device()).isPresent();
    assertThat(lab.ready(android("ci", "bob").build()).device()).isPresent();

    Instant returned = lab.time.now();
    lab.giveBack(first);

    assertThat(second.device()).isPresent();
    assertThat(lab.pool.requestLog(second.id())).filteredOn(e -> e.message().startsWith("claimed"))
        .singleElement().satisfies(e -> assertThat(e.timestamp()).isEqualTo(returned));
  }

  @Test
  void aQuotaOfZeroClosesAnEnvironmentUntilItsRequestsRunOutOfBudget() {
    lab(b -> b.queuePolicy(QueuePolicies.quotaPerEnvironment(Map.of("solo", 0))));

    Lease lease = lab.pool.request(android("solo", "alice").waitBudget(Duration.ofMinutes(3))
        .build());
    lab.time.advance(Duration.ofMinutes(4));

    assertThat(lease.state()).isEqualTo(RequestStates.FAILED_DEVICE_NOT_FOUND);
    assertThat(lease.view().failureReason()).contains("no matching device became free within PT3M"
        + " (free candidates not taken: the queue policy admits none of the 1 free candidates"
        + " now)");
  }

  @Test
  void aReservationHoldsTheDeviceForItsOwnerDuringTheWindowAndFreesItAfter() {
    Instant start = lab(b -> b).time.now(); // lab's start; rebuilt below with the reservation
    lab.close();
    Instant from = start.plus(Duration.ofMinutes(30));
    Instant until = start.plus(Duration.ofMinutes(90));
    lab(b -> b.queuePolicy(QueuePolicies.reservations(List.of(
        new Reservation("solo-1", "alice", from, until))))
        .policy(PoolPolicy.defaults().withQueueRecheck(Duration.ofHours(2))));

    // Before the window solo-1 is anyone's.
    Lease carol = lab.ready(android("solo", "carol").build());
    lab.time.advanceTo(from.plus(Duration.ofMinutes(5)));
    Lease bob = lab.file(android("solo", "bob").build());
    lab.time.advance(Duration.ofSeconds(1));
    Lease alice = lab.file(android("solo", "alice").build());

    // Freed during the window: the owner gets it, though bob asked first.
    lab.giveBack(carol);
    assertThat(alice.device()).contains("solo-1");
    assertThat(bob.state()).isEqualTo(RequestStates.FINDING_DEVICE);

    // Returned during the window: it stays free for the owner.
    alice.awaitReady(Duration.ofHours(1));
    lab.giveBack(alice);
    lab.time.advanceTo(until.minus(Duration.ofSeconds(1)));
    assertThat(bob.state()).isEqualTo(RequestStates.FINDING_DEVICE);
    assertThat(lab.pool.inventory().device("solo-1").claimedBy()).isEmpty();

    // When the window ends, bob gets it at once (not at his re-check, two hours away).
    lab.time.advanceTo(until);
    assertThat(bob.device()).contains("solo-1");
    assertThat(lab.pool.requestLog(bob.id())).filteredOn(e -> e.message().startsWith("claimed"))
        .singleElement().satisfies(e -> assertThat(e.timestamp()).isEqualTo(until));
  }

  @Test
  void policiesComposeAQuotaAndFairShareTogether() {
    lab(b -> b.queuePolicy(QueuePolicies.fairShare()
        .and(QueuePolicies.quotaPerEnvironment(Map.of("staging", 1)))));
    Lease flood = lab.ready(android("staging", "flood").build());
    lab.time.advance(Duration.ofSeconds(1));
    Lease floodWaits = lab.file(android("staging", "flood").build());
    lab.time.advance(Duration.ofSeconds(1));
    Lease quietWaits = lab.file(android("staging", "quiet").build());

    assertThat(floodWaits.state()).isEqualTo(RequestStates.FINDING_DEVICE); // quota
    assertThat(quietWaits.state()).isEqualTo(RequestStates.FINDING_DEVICE);

    lab.giveBack(flood);

    assertThat(quietWaits.device()).isPresent(); // fair share
    assertThat(floodWaits.state()).isEqualTo(RequestStates.FINDING_DEVICE); // quota again
  }

  @Test
  void aPolicyWhoseAdmissionThrowsAdmitsNothingButLosesNoRequest() {
    QueuePolicy broken = new QueuePolicy() {
      @Override
      public boolean admits(WaitingRequest request, org.mozpool.DeviceView device,
          QueueView queue) {
        throw new IllegalStateException("quota service down");
      }
    };
    lab(b -> b.queuePolicy(broken));

    Lease lease = lab.pool.request(android("solo", "alice").waitBudget(Duration.ofMinutes(2))
        .build());
    lab.time.advance(Duration.ofMinutes(1));

    assertThat(lease.state()).isEqualTo(RequestStates.FINDING_DEVICE);
    assertThat(lab.pool.requestLog(lease.id())).extracting(LogEntry::message)
        .containsOnlyOnce("free candidates not taken: the queue policy admits none of the 1 free"
            + " candidates now; the queue policy failed: IllegalStateException: quota service down");

    lab.time.advance(Duration.ofMinutes(2));
    assertThat(lease.state()).isEqualTo(RequestStates.FAILED_DEVICE_NOT_FOUND);
    assertThat(lab.pool.inventory().device("solo-1").claimedBy()).isEmpty();
  }

  @Test
  void aPolicyWhoseOrderThrowsFallsBackToPriorityThenAge() {
    QueuePolicy broken = new QueuePolicy() {
      @Override
      public List<WaitingRequest> order(List<WaitingRequest> waiting,
          org.mozpool.DeviceView device, QueueView queue) {
        throw new IllegalStateException("no order today");
      }
    };
    lab(b -> b.queuePolicy(broken));
    Lease holder = lab.ready(android("solo", "carol").build());
    Lease low = lab.file(android("solo", "bob").build());
    lab.time.advance(Duration.ofSeconds(1));
    Lease high = lab.file(android("solo", "alice").priority(3).build());

    lab.giveBack(holder);

    assertThat(high.device()).contains("solo-1");
    assertThat(low.state()).isEqualTo(RequestStates.FINDING_DEVICE);
  }

  @Test
  void anOrderThatLeavesARequestOutDoesNotOfferItTheFreedDevice() {
    QueuePolicy onlyAlice = new QueuePolicy() {
      @Override
      public List<WaitingRequest> order(List<WaitingRequest> waiting,
          org.mozpool.DeviceView device, QueueView queue) {
        return waiting.stream().filter(w -> w.requester().equals("alice")).toList();
      }
    };
    lab(b -> b.queuePolicy(onlyAlice)
        .policy(PoolPolicy.defaults().withQueueRecheck(Duration.ofMinutes(10))));
    Lease holder = lab.ready(android("solo", "carol").build());
    Lease bob = lab.file(android("solo", "bob").build());

    lab.giveBack(holder);
    assertThat(bob.state()).isEqualTo(RequestStates.FINDING_DEVICE); // not offered

    lab.time.advance(Duration.ofMinutes(10)); // its own re-check finds the device free
    assertThat(bob.device()).contains("solo-1");
  }
}
