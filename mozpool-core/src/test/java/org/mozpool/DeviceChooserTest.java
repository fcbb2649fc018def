package org.mozpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mozpool.SchedulingLab.android;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mozpool.core.DeviceSelectors;
import org.mozpool.spi.Candidate;
import org.mozpool.spi.DeviceChooser;
import org.mozpool.spi.Selection;
import org.mozpool.spi.SelectionContext;
import org.mozpool.spi.WaitingRequest;

/**
 * A {@link DeviceChooser} sees the whole context, is asked even with one candidate, may decline,
 * and cannot lose a request by misbehaving; the stock choosers of DESIGN §6.
 */
class DeviceChooserTest {
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

  /** Records every context, then picks the first candidate by name. */
  private static final class Recording implements DeviceChooser {
    final List<SelectionContext> seen = new CopyOnWriteArrayList<>();

    @Override
    public Selection choose(SelectionContext context) {
      seen.add(context);
      return Selection.of(context.candidates().stream().map(Candidate::name).sorted()
          .findFirst().orElseThrow());
    }

    @Override
    public Duration failureWindow() {
      return Duration.ofHours(6);
    }
  }

  @Test
  void theChooserSeesTheRequestAndEachCandidatesImageRecentFailuresAndLastClaim() {
    Recording chooser = new Recording();
    lab(b -> b.chooser(chooser));
    // panda-1 ends up carrying b2g (reusable), claimed at a known time.
    Instant firstClaim = lab.time.now();
    try (Lease first = lab.ready(RequestSpec.device("panda-1").image("b2g")
        .bootConfig("b2gbase", "http://builds/1").build())) {
      assertThat(first.device()).contains("panda-1");
    }
    lab.time.runDueTasks();
    lab.recordFailure("panda-2", Duration.ofHours(1));
    lab.recordFailure("panda-2", Duration.ofHours(7)); // outside the chooser's 6 h window
    lab.time.advance(Duration.ofMinutes(1));
    chooser.seen.clear();

    Lease mine = lab.file(RequestSpec.any().environment("ci").image("b2g")
        .bootConfig("b2gbase", "http://builds/1").requester("alice").priority(7).build());

    SelectionContext ctx = chooser.seen.get(0);
    assertThat(ctx.now()).isEqualTo(lab.time.now());
    assertThat(ctx.request().id()).isEqualTo(mine.id());
    assertThat(ctx.request().requester()).isEqualTo("alice");
    assertThat(ctx.request().priority()).isEqualTo(7);
    assertThat(ctx.request().spec().image()).isEqualTo("b2g");
    assertThat(ctx.queue()).isEmpty();
    assertThat(ctx.candidates()).extracting(Candidate::name)
        .containsExactly("panda-1", "panda-2", "panda-3");
    assertThat(ctx.candidates()).extracting(Candidate::carriesImage)
        .containsExactly(true, false, false);
    assertThat(ctx.candidates()).extracting(c -> c.device().image())
        .containsExactly("b2g", "", "");
    assertThat(ctx.candidates()).extracting(c -> c.recentFailures().size())
        .containsExactly(0, 1, 0);
    assertThat(ctx.candidates()).extracting(Candidate::lastClaimed)
        .containsExactly(java.util.Optional.of(firstClaim), java.util.Optional.empty(),
            java.util.Optional.empty());
    // The reuse preference is information, not applied before the chooser: this one picks by
    // name, which happens to be panda-1.
    assertThat(mine.device()).contains("panda-1");
  }

  @Test
  void theReusePreferenceIsOnlyAHintAChooserMayImageAnotherDeviceInstead() {
    lab(b -> b.chooser(ctx -> Selection.of(ctx.candidates().stream()
        .filter(c -> !c.carriesImage()).findFirst().orElseThrow())));
    try (Lease first = lab.ready(RequestSpec.device("solo-1").image("b2g")
        .bootConfig("b2gbase", "http://builds/1").build())) {
      assertThat(first.device()).contains("solo-1");
    }
    lab.time.runDueTasks();
    lab.lifeguard.calls.clear();

    Lease lease = lab.ready(RequestSpec.any().image("b2g").bootConfig("b2gbase", "http://builds/1")
        .build());

    assertThat(lease.device()).isPresent().isNotEqualTo(java.util.Optional.of("solo-1"));
    assertThat(lab.lifeguard.calls).containsExactly(lease.device().get() + ": please_image b2g");
  }

  @Test
  void theQueueInTheContextListsTheOtherWaitingRequestsInPriorityThenAgeOrder() {
    Recording chooser = new Recording();
    lab(b -> b.chooser(chooser));
    Lease holder = lab.ready(android("solo", "carol").build());
    Lease first = lab.file(android("solo", "bob").build());
    lab.time.advance(Duration.ofSeconds(1));
    Lease second = lab.file(android("solo", "alice").build());
    lab.time.advance(Duration.ofSeconds(1));
    Lease urgent = lab.file(android("solo", "dave").priority(5).build());
    chooser.seen.clear();

    lab.giveBack(holder);

    SelectionContext ctx = chooser.seen.get(0);
    assertThat(ctx.request().id()).isEqualTo(urgent.id());
    assertThat(ctx.queue()).extracting(WaitingRequest::id).containsExactly(first.id(), second.id());
    assertThat(ctx.queue().get(0).age(ctx.now())).isEqualTo(Duration.ofSeconds(2));
    assertThat(urgent.device()).contains("solo-1");
  }

  @Test
  void theFailuresOfACandidateAreThoseWithinTheChoosersWindow() {
    Recording chooser = new Recording();
    lab(b -> b.chooser(chooser));
    lab.recordFailure("solo-1", Duration.ofHours(1));
    lab.recordFailure("solo-1", Duration.ofHours(2));
    lab.recordFailure("solo-1", Duration.ofHours(7));

    lab.ready(android("solo", "alice").build());

    assertThat(chooser.seen.get(0).candidates().get(0).recentFailures()).hasSize(2);
  }

  @Test
  void theChooserIsAskedEvenWithASingleCandidateForAnyAndForANamedRequest() {
    Recording chooser = new Recording();
    lab(b -> b.chooser(chooser));

    lab.ready(android("solo", "alice").build());
    lab.ready(RequestSpec.device("panda-2").image("android").build());

    assertThat(chooser.seen).hasSize(2).allSatisfy(c -> assertThat(c.candidates()).hasSize(1));
    assertThat(chooser.seen.get(1).candidates().get(0).name()).isEqualTo("panda-2");
  }

  @Test
  void noneNowLeavesTheRequestWaitingAndItIsServedWhenTheChooserAcceptsLater() {
    AtomicBoolean accept = new AtomicBoolean();
    AtomicInteger asked = new AtomicInteger();
    lab(b -> b.chooser(ctx -> {
      asked.incrementAndGet();
      return accept.get() ? Selection.of(ctx.candidates().get(0))
          : Selection.noneNow("the night shift takes no new work");
    }));

    Lease lease = lab.file(android("solo", "alice").build());
    lab.time.advance(Duration.ofMinutes(5)); // five queue re-checks

    assertThat(lease.state()).isEqualTo(RequestStates.FINDING_DEVICE);
    assertThat(asked.get()).isGreaterThanOrEqualTo(5);
    assertThat(lab.pool.requestLog(lease.id())).extracting(LogEntry::message)
        .containsOnlyOnce("free candidates not taken: the device chooser chose none now:"
            + " the night shift takes no new work");

    accept.set(true);
    Instant accepted = lab.time.now();
    lease.awaitReady(Duration.ofHours(1));

    assertThat(lease.device()).contains("solo-1");
    assertThat(lab.pool.requestLog(lease.id())).filteredOn(e -> e.message().startsWith("claimed"))
        .singleElement().satisfies(e -> assertThat(e.timestamp())
            .isBetween(accepted, accepted.plus(Duration.ofSeconds(60))));
  }

  @Test
  void aRequestThatIsAlwaysDeclinedFailsAfterItsWaitBudgetSayingWhy() {
    lab(b -> b.chooser(ctx -> Selection.noneNow("solo-1 is for demos")));

    Lease lease = lab.pool.request(android("solo", "alice").waitBudget(Duration.ofMinutes(10))
        .build());

    assertThatThrownBy(() -> lease.awaitReady(Duration.ofHours(1)))
        .isInstanceOf(RequestFailedException.class);
    assertThat(lease.state()).isEqualTo(RequestStates.FAILED_DEVICE_NOT_FOUND);
    assertThat(lease.view().failureReason()).contains("no matching device became free within"
        + " PT10M (free candidates not taken: the device chooser chose none now: solo-1 is for"
        + " demos)");
    assertThat(lab.pool.inventory().device("solo-1").claimedBy()).isEmpty();
  }

  @Test
  void aChooserThatThrowsLosesNoRequestItKeepsWaitingAndIsServedOnceTheChooserRecovers() {
    AtomicBoolean broken = new AtomicBoolean(true);
    lab(b -> b.chooser(ctx -> {
      if (broken.get()) {
        throw new IllegalStateException("scheduler database offline");
      }
      return Selection.of(ctx.candidates().get(0));
    }));

    Lease lease = lab.file(android("solo", "alice").build());
    lab.time.advance(Duration.ofMinutes(3));

    assertThat(lease.state()).isEqualTo(RequestStates.FINDING_DEVICE);
    assertThat(lab.pool.requestLog(lease.id())).extracting(LogEntry::message)
        .containsOnlyOnce("free candidates not taken: the device chooser failed:"
            + " IllegalStateException: scheduler database offline");
    assertThat(lab.pool.inventory().device("solo-1").claimedBy()).isEmpty();

    broken.set(false);
    assertThat(lease.awaitReady(Duration.ofHours(1)).name()).isEqualTo("solo-1");
  }

  @Test
  void aChooserThatThrowsForeverEndsTheRequestAfterItsBudgetWithTheFaultAsReason() {
    lab(b -> b.chooser(ctx -> {
      throw new IllegalStateException("boom");
    }));

    Lease lease = lab.pool.request(android("solo", "alice").waitBudget(Duration.ofMinutes(2))
        .build());

    assertThatThrownBy(() -> lease.awaitReady(Duration.ofHours(1)))
        .isInstanceOf(RequestFailedException.class);
    assertThat(lease.view().failureReason()).get().asString()
        .contains("the device chooser failed: IllegalStateException: boom");
  }

  @Test
  void aChoiceOutsideTheCandidatesIsNotClaimedTheRequestKeepsWaiting() {
    lab(b -> b.chooser(ctx -> Selection.of("panda-1"))); // busy, and not in environment solo
    Lease holder = lab.ready(RequestSpec.device("panda-1").image("android").build());

    Lease lease = lab.file(android("solo", "alice").build());
    lab.time.advance(Duration.ofMinutes(2));

    assertThat(lease.state()).isEqualTo(RequestStates.FINDING_DEVICE);
    assertThat(lab.pool.inventory().device("panda-1").claimedBy()).contains(holder.id());
    assertThat(lab.pool.inventory().device("solo-1").claimedBy()).isEmpty();
    assertThat(lab.pool.requestLog(lease.id())).extracting(LogEntry::message)
        .containsOnlyOnce("free candidates not taken: the device chooser chose panda-1, which is"
            + " not a candidate");
  }

  @Test
  void aPlainSelectorThatThrowsIsTreatedLikeAFailingChooser() {
    lab(b -> b.selector((candidates, spec) -> {
      throw new IllegalArgumentException("no");
    }));

    // One candidate: as before, the selector is not asked and the request is served.
    assertThat(lab.ready(android("solo", "alice").build()).device()).contains("solo-1");
    // Several: the selector is asked, fails, and the request waits rather than being lost.
    Lease lease = lab.file(android("staging", "bob").build());
    assertThat(lease.state()).isEqualTo(RequestStates.FINDING_DEVICE);
    assertThat(lab.pool.requestLog(lease.id())).extracting(LogEntry::message)
        .contains("free candidates not taken: the device chooser failed:"
            + " IllegalArgumentException: no");
  }

  @Test
  void fewestRecentFailuresPrefersTheDeviceWithFewerFailuresInItsWindow() {
    lab(b -> b.chooser(DeviceSelectors.fewestRecentFailures(Duration.ofHours(24))));
    lab.recordFailure("panda-1", Duration.ofHours(1));
    lab.recordFailure("panda-1", Duration.ofHours(2));
    lab.recordFailure("panda-2", Duration.ofHours(3));
    for (int i = 0; i < 5; i++) {
      lab.recordFailure("panda-3", Duration.ofDays(2)); // long ago: outside the window
    }

    assertThat(lab.ready(android("ci", "alice").build()).device()).contains("panda-3");
    assertThat(lab.ready(android("ci", "alice").build()).device()).contains("panda-2");
    assertThat(lab.ready(android("ci", "alice").build()).device()).contains("panda-1");
  }

  @Test
  void fewestRecentFailuresStillPrefersADeviceThatAlreadyCarriesTheImage() {
    lab(b -> b.chooser(DeviceSelectors.fewestRecentFailures(Duration.ofHours(24))));
    RequestSpec b2g = RequestSpec.any().environment("ci").image("b2g")
        .bootConfig("b2gbase", "http://builds/1").build();
    try (Lease first = lab.ready(RequestSpec.device("panda-2").image("b2g")
        .bootConfig("b2gbase", "http://builds/1").build())) {
      assertThat(first.device()).contains("panda-2");
    }
    lab.time.runDueTasks();
    lab.recordFailure("panda-2", Duration.ofHours(1));
    lab.lifeguard.calls.clear();

    assertThat(lab.ready(b2g).device()).contains("panda-2");
    assertThat(lab.lifeguard.calls).containsExactly("panda-2: please_power_cycle");
  }

  @Test
  void fewestRecentFailuresNeedsAPositiveWindow() {
    assertThatThrownBy(() -> DeviceSelectors.fewestRecentFailures(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("failure window must be positive, got PT0S");
  }

  @Test
  void leastRecentlyUsedTakesTheDeviceClaimedLongestAgoNeverClaimedFirst() {
    lab(b -> b.chooser(DeviceSelectors.leastRecentlyUsed()));

    Lease a = lab.ready(android("ci", "alice").build());
    lab.giveBack(a);
    Lease b = lab.ready(android("ci", "alice").build());
    lab.giveBack(b);
    Lease c = lab.ready(android("ci", "alice").build());
    lab.giveBack(c);
    Lease d = lab.ready(android("ci", "alice").build());

    assertThat(List.of(a, b, c, d)).extracting(l -> l.view().devicesTried().get(0))
        .containsExactly("panda-1", "panda-2", "panda-3", "panda-1");
  }

  @Test
  void theBuilderRefusesBothASelectorAndAChooser() {
    assertThatThrownBy(() -> Mozpool.builder().lifeguard(new ScriptedLifeguard())
        .selector(DeviceSelectors.firstByName())
        .chooser(DeviceSelectors.leastRecentlyUsed()).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("cannot build the pool, 1 problem:\n  1) both .selector(...) and"
            + " .chooser(...): a chooser replaces the selector, give one of them");
  }
}
