package org.mozpool.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mozpool.WaitTimedOutException;

/** Blocking on the stages of a virtual timekeeper runs the simulation, and never hangs. */
@Timeout(30) // a safety net: a regression must fail, not hang the build
class VirtualTimekeeperWaitingTest {
  private final VirtualTimekeeper time = new VirtualTimekeeper();

  @Test
  void joinRunsTheSimulationUntilTheStageCompletes() {
    CompletableFuture<String> stage = time.newStage();
    time.schedule(time.now().plus(Duration.ofHours(3)), () -> stage.complete("done"));

    assertThat(stage.join()).isEqualTo("done");
    assertThat(time.now()).isEqualTo(VirtualTimekeeper.DEFAULT_START.plus(Duration.ofHours(3)));
  }

  @Test
  void stagesDerivedFromAVirtualStageAreWaitedForTheSameWay() {
    CompletableFuture<Integer> stage = time.newStage();
    time.schedule(time.now().plus(Duration.ofMinutes(1)), () -> stage.complete(20));

    assertThat(stage.thenApplyAsync(n -> n + 1).thenApply(n -> n * 2).join()).isEqualTo(42);
  }

  @Test
  void joinOfAStageNothingCanCompleteFailsAtOnceInsteadOfHanging() {
    CompletableFuture<String> never = time.newStage();

    assertThatThrownBy(never::join).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("can never complete on virtual time");
    assertThat(time.now()).isEqualTo(VirtualTimekeeper.DEFAULT_START);
  }

  @Test
  void joinOfAStageThatNeverCompletesWhileOtherWorkGoesOnGivesUpAfterTheJoinLimit() {
    tickEveryHour();
    CompletableFuture<String> never = time.newStage();

    assertThatThrownBy(never::join).isInstanceOf(WaitTimedOutException.class)
        .hasMessageContaining("within " + VirtualTimekeeper.JOIN_LIMIT);
    assertThat(time.now())
        .isEqualTo(VirtualTimekeeper.DEFAULT_START.plus(VirtualTimekeeper.JOIN_LIMIT));
  }

  @Test
  void getWithATimeoutWaitsThatMuchVirtualTime() {
    CompletableFuture<String> never = time.newStage();

    assertThatThrownBy(() -> never.get(90, TimeUnit.MINUTES)).isInstanceOf(TimeoutException.class);
    assertThat(time.now()).isEqualTo(VirtualTimekeeper.DEFAULT_START.plus(Duration.ofMinutes(90)));
  }

  @Test
  void blockingOnAnIncompleteStageFromInsideATaskFailsInsteadOfWaitingForItself() {
    CompletableFuture<String> later = time.newStage();
    time.schedule(time.now().plus(Duration.ofMinutes(5)), () -> later.complete("later"));
    AtomicReference<Throwable> failure = new AtomicReference<>();
    time.workers().execute(() -> {
      try {
        later.join();
      } catch (RuntimeException e) {
        failure.set(e);
      }
    });

    time.advance(Duration.ofMinutes(10));

    assertThat(failure.get()).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("from inside a task");
    assertThat(later).isCompletedWithValue("later");
  }

  @Test
  void aThreadThatFindsTheSimulationRunningElsewhereWaitsForIt() throws Exception {
    CompletableFuture<String> stage = time.newStage();
    CompletableFuture<Void> running = new CompletableFuture<>();
    CompletableFuture<String> joined = new CompletableFuture<>();
    time.workers().execute(() -> {
      running.complete(null);
      // Hold the simulation until the other thread is waiting, then complete its stage.
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      stage.complete("from the driving thread");
    });
    Thread driver = new Thread(time::runDueTasks);
    driver.start();
    running.get(5, TimeUnit.SECONDS);

    Thread waiter = new Thread(() -> joined.complete(stage.join()));
    waiter.start();

    assertThat(joined.get(5, TimeUnit.SECONDS)).isEqualTo("from the driving thread");
    driver.join();
  }

  private void tickEveryHour() {
    time.schedule(time.now().plus(Duration.ofHours(1)), this::tickEveryHour);
  }
}
