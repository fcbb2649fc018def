package org.mozpool.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class StagesTest {

  /** A stage whose operation has reached the hardware: it runs to its end, cancel is refused. */
  private static final class OnTheHardware<T> extends CompletableFuture<T> {
    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      return false;
    }
  }

  @Test
  void cancellingAComposedOperationCancelsItsFirstStepAndNeverStartsTheNext() {
    CompletableFuture<Void> pxe = new CompletableFuture<>();
    AtomicInteger cycles = new AtomicInteger();
    CompletableFuture<Void> op = Stages.thenCompose(pxe, v -> {
      cycles.incrementAndGet();
      return CompletableFuture.completedFuture(null);
    });

    assertThat(op.cancel(false)).isTrue();

    assertThat(pxe).isCancelled();
    assertThat(op).isCancelled();
    assertThat(cycles).hasValue(0);
  }

  @Test
  void cancellingAComposedOperationCancelsTheSecondStepWhileItRuns() {
    CompletableFuture<Void> cycle = new CompletableFuture<>();
    CompletableFuture<Void> op = Stages.thenCompose(CompletableFuture.completedFuture(null),
        v -> cycle);

    assertThat(op.cancel(false)).isTrue();

    assertThat(cycle).isCancelled();
    assertThat(op).isCancelled();
  }

  @Test
  void aStepAlreadyOnTheHardwareRefusesAndTheResultCompletesWithIt() {
    OnTheHardware<String> cycle = new OnTheHardware<>();
    CompletableFuture<String> op = Stages.thenCompose(CompletableFuture.completedFuture(null),
        v -> cycle);

    assertThat(op.cancel(false)).isFalse();
    cycle.complete("done");

    assertThat(op).isCompletedWithValue("done");
  }

  @Test
  void whenCompleteRunsItsActionAndPassesCancellationThrough() {
    CompletableFuture<Void> cycle = new CompletableFuture<>();
    List<Throwable> seen = new ArrayList<>();
    CompletableFuture<Void> op = Stages.whenComplete(cycle, (v, e) -> seen.add(e));

    assertThat(op.cancel(false)).isTrue();

    assertThat(cycle).isCancelled();
    assertThat(op).isCancelled();
    assertThat(seen).hasSize(1);
  }

  @Test
  void nestedCompositionsPassCancellationAllTheWayDown() {
    CompletableFuture<Void> cycle = new CompletableFuture<>();
    CompletableFuture<Void> op = Stages.thenCompose(CompletableFuture.completedFuture(null),
        v -> Stages.whenComplete(cycle, (w, e) -> { }));

    assertThat(op.cancel(false)).isTrue();

    assertThat(cycle).isCancelled();
  }

  @Test
  void outcomesPassThroughUnchanged() {
    assertThat(Stages.thenCompose(CompletableFuture.completedFuture(1),
        v -> CompletableFuture.completedFuture(v + 1))).isCompletedWithValue(2);
    assertThat(Stages.thenCompose(CompletableFuture.failedFuture(new IllegalStateException("no pxe")),
        v -> CompletableFuture.completedFuture(v))).isCompletedExceptionally();
    assertThat(Stages.whenComplete(CompletableFuture.completedFuture("x"), (v, e) -> { }))
        .isCompletedWithValue("x");
  }
}
