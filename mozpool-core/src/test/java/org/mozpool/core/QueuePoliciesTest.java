package org.mozpool.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.mozpool.DeviceSpec;
import org.mozpool.DeviceView;
import org.mozpool.RequestSpec;
import org.mozpool.core.QueuePolicies.Reservation;
import org.mozpool.spi.Holding;
import org.mozpool.spi.QueuePolicy;
import org.mozpool.spi.QueueView;
import org.mozpool.spi.WaitingRequest;

/** The stock queue policies' decisions in isolation, on hand-made queue views. */
class QueuePoliciesTest {
  private static final Instant T0 = Instant.parse("2026-01-05T00:00:00Z");
  private static final DeviceView DEVICE = new DeviceView(DeviceSpec.builder("d1")
      .mac("000000000001").hardwareType("panda").environment("staging").build(), "ready", null,
      "", Map.of(), "", Map.of(), Optional.empty());

  private static WaitingRequest w(String id, String requester, int secondsAfterT0) {
    return new WaitingRequest(id, RequestSpec.any().image("android").requester(requester).build(),
        T0.plusSeconds(secondsAfterT0));
  }

  private static QueueView view(Instant now, List<Holding> holdings, Map<String, Instant> served) {
    return new QueueView() {
      @Override
      public Instant now() {
        return now;
      }

      @Override
      public List<WaitingRequest> waiting() {
        return List.of();
      }

      @Override
      public List<Holding> holdings() {
        return holdings;
      }

      @Override
      public Optional<Instant> lastServed(String requester) {
        return Optional.ofNullable(served.get(requester));
      }
    };
  }

  private static List<String> ids(List<WaitingRequest> order) {
    return order.stream().map(WaitingRequest::id).toList();
  }

  @Test
  void fairShareTakesRequestersInTurnKeepingEachOnesOwnOrder() {
    List<WaitingRequest> waiting = List.of(w("a1", "a", 1), w("a2", "a", 2), w("a3", "a", 3),
        w("b1", "b", 4), w("c1", "c", 5), w("b2", "b", 6));

    List<WaitingRequest> order = QueuePolicies.fairShare().order(waiting, DEVICE,
        view(T0, List.of(), Map.of()));

    assertThat(ids(order)).containsExactly("a1", "b1", "c1", "a2", "b2", "a3");
  }

  @Test
  void fairShareStartsWithWhoHoldsFewestThenWhoWasServedLongestAgo() {
    List<WaitingRequest> waiting = List.of(w("a1", "a", 1), w("b1", "b", 2), w("c1", "c", 3));
    List<Holding> holdings = List.of(new Holding("x", "", "r9", "a", T0));
    Map<String, Instant> served = Map.of("a", T0, "b", T0.plusSeconds(10));

    List<WaitingRequest> order = QueuePolicies.fairShare().order(waiting, DEVICE,
        view(T0.plusSeconds(20), holdings, served));

    assertThat(ids(order)).containsExactly("c1", "b1", "a1");
  }

  @Test
  void theDefaultKeepsTheQueueOrderAndAdmitsEverything() {
    List<WaitingRequest> waiting = List.of(w("b1", "b", 2), w("a1", "a", 1));
    QueuePolicy policy = QueuePolicies.priorityThenAge();

    assertThat(policy.order(waiting, DEVICE, view(T0, List.of(), Map.of()))).isEqualTo(waiting);
    assertThat(policy.admits(waiting.get(0), DEVICE, view(T0, List.of(), Map.of()))).isTrue();
  }

  @Test
  void aQuotaCountsTheClaimedDevicesOfTheDevicesEnvironment() {
    QueuePolicy quota = QueuePolicies.quotaPerEnvironment(Map.of("staging", 2));
    Holding one = new Holding("s1", "staging", "r1", "a", T0);
    Holding elsewhere = new Holding("p1", "ci", "r2", "a", T0);
    Holding two = new Holding("s2", "staging", "r3", "b", T0);

    assertThat(quota.admits(w("x", "c", 0), DEVICE, view(T0, List.of(one, elsewhere), Map.of())))
        .isTrue();
    assertThat(quota.admits(w("x", "c", 0), DEVICE, view(T0, List.of(one, two), Map.of())))
        .isFalse();
  }

  @Test
  void quotasAndReservationsValidateEagerly() {
    assertThatThrownBy(() -> QueuePolicies.quotaPerEnvironment(Map.of("staging", -1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("quota of environment 'staging' must not be negative, got -1");
    assertThatThrownBy(() -> new Reservation("d1", "alice", T0, T0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("reservation of d1 must end after it starts, got " + T0 + " .. " + T0);
    assertThatThrownBy(() -> new Reservation(" ", "alice", T0, T0.plusSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aReservationCoversItsWindowFromItsStartUntilJustBeforeItsEnd() {
    Reservation r = new Reservation("d1", "alice", T0, T0.plus(Duration.ofHours(1)));
    QueuePolicy policy = QueuePolicies.reservations(List.of(r));

    assertThat(r.covers(T0.minusNanos(1))).isFalse();
    assertThat(r.covers(T0)).isTrue();
    assertThat(r.covers(T0.plus(Duration.ofHours(1)))).isFalse();
    assertThat(policy.admits(w("b", "bob", 0), DEVICE, view(T0, List.of(), Map.of()))).isFalse();
    assertThat(policy.admits(w("a", "alice", 0), DEVICE, view(T0, List.of(), Map.of()))).isTrue();
    assertThat(ids(policy.order(List.of(w("b", "bob", 0), w("a", "alice", 1)), DEVICE,
        view(T0, List.of(), Map.of())))).containsExactly("a");
  }

  @Test
  void reservationsSayWhenTheirAnswersNextChangeAndCompositionTakesTheEarliest() {
    QueuePolicy reserved = QueuePolicies.reservations(List.of(
        new Reservation("d1", "alice", T0.plusSeconds(10), T0.plusSeconds(60)),
        new Reservation("d2", "bob", T0.plusSeconds(30), T0.plusSeconds(40))));
    QueuePolicy both = QueuePolicies.fairShare().and(reserved);

    assertThat(reserved.nextChange(T0)).contains(T0.plusSeconds(10));
    assertThat(reserved.nextChange(T0.plusSeconds(10))).contains(T0.plusSeconds(30));
    assertThat(both.nextChange(T0.plusSeconds(35))).contains(T0.plusSeconds(40));
    assertThat(both.nextChange(T0.plusSeconds(60))).isEmpty();
    assertThat(QueuePolicies.fairShare().nextChange(T0)).isEmpty();
  }

  @Test
  void composedPoliciesAdmitOnlyWhatBothAdmitAndTheLaterOrderDominates() {
    QueuePolicy reserved = QueuePolicies.reservations(List.of(
        new Reservation("d1", "alice", T0, T0.plusSeconds(60))));
    QueuePolicy both = reserved.and(QueuePolicies.fairShare());
    List<WaitingRequest> waiting = List.of(w("a1", "alice", 1), w("a2", "alice", 2),
        w("b1", "bob", 3));

    assertThat(ids(both.order(waiting, DEVICE, view(T0, List.of(), Map.of()))))
        .containsExactly("a1", "a2");
    assertThat(ids(both.order(waiting, DEVICE, view(T0.plusSeconds(60), List.of(), Map.of()))))
        .containsExactly("a1", "b1", "a2");
    assertThat(both.admits(w("b1", "bob", 3), DEVICE, view(T0, List.of(), Map.of()))).isFalse();
  }
}
