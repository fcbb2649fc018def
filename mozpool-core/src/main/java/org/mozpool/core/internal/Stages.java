package org.mozpool.core.internal;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Compositions of hardware operations' stages that pass cancellation on to the operation running.
 * {@link CompletableFuture#thenCompose} and {@link CompletableFuture#whenComplete} do not: cancelling
 * their result leaves the driver's stage, and with it a queued power cycle, alive. The engine
 * cancels an operation nobody waits for any more, so a composed operation must be built with these.
 *
 * <p>Cancelling a result returned here cancels the stage running at that moment and reports what
 * it did: {@code true} once the result is cancelled, {@code false} when the running stage refused
 * (its operation already reached the hardware and runs to its end). Thread safe. Unsupported:
 * public only for Mozpool's own modules.
 */
public final class Stages {

  private Stages() {}

  /** The cause a stage failed with, under any {@code CompletionException}/{@code ExecutionException}. */
  public static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while ((t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /**
   * {@code first}, then the stage {@code next} makes of its value. Once the result is cancelled,
   * {@code next} is never called.
   */
  public static <T, U> CompletableFuture<U> thenCompose(CompletionStage<T> first,
      Function<? super T, ? extends CompletionStage<U>> next) {
    Chain<U> result = new Chain<>(first);
    first.whenComplete((v, e) -> {
      if (e != null) {
        result.completeExceptionally(e);
        return;
      }
      if (result.cancelRequested()) {
        result.completeExceptionally(new CancellationException("cancelled before its next step"));
        return;
      }
      CompletionStage<U> second;
      try {
        second = next.apply(v);
      } catch (RuntimeException x) {
        result.completeExceptionally(x);
        return;
      }
      result.running(second);
      second.whenComplete((w, x) -> {
        if (x == null) {
          result.complete(w);
        } else {
          result.completeExceptionally(x);
        }
      });
    });
    return result;
  }

  /** {@code stage}, with {@code action} run when it completes (before the result does). */
  public static <T> CompletableFuture<T> whenComplete(CompletionStage<T> stage,
      BiConsumer<? super T, ? super Throwable> action) {
    Chain<T> result = new Chain<>(stage);
    stage.whenComplete((v, e) -> {
      try {
        action.accept(v, e);
      } catch (RuntimeException x) {
        if (e == null) {
          result.completeExceptionally(x);
          return;
        }
      }
      if (e == null) {
        result.complete(v);
      } else {
        result.completeExceptionally(e);
      }
    });
    return result;
  }

  /** Cancels {@code stage} if it can be; {@code false} if it refused or cannot be cancelled. */
  static boolean cancel(CompletionStage<?> stage) {
    try {
      CompletableFuture<?> f = stage.toCompletableFuture();
      f.cancel(false);
      return f.isCancelled();
    } catch (UnsupportedOperationException e) {
      return false;
    }
  }

  /** A result whose cancellation goes to the stage running, and completes through it. */
  private static final class Chain<T> extends CompletableFuture<T> {
    private CompletionStage<?> running;
    private boolean cancelRequested;

    Chain(CompletionStage<?> first) {
      this.running = first;
    }

    synchronized boolean cancelRequested() {
      return cancelRequested;
    }

    void running(CompletionStage<?> stage) {
      synchronized (this) {
        running = stage;
        if (!cancelRequested) {
          return;
        }
      }
      Stages.cancel(stage);
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      CompletionStage<?> r;
      synchronized (this) {
        cancelRequested = true;
        r = running;
      }
      // A stage that honours it completes exceptionally, and that completes this result.
      Stages.cancel(r);
      return isCancelled();
    }

    @Override
    public boolean completeExceptionally(Throwable ex) {
      // Keep a cancellation a cancellation, so that isCancelled() reports it.
      Throwable t = ex instanceof CompletionException && ex.getCause() instanceof CancellationException
          ? ex.getCause() : ex;
      return super.completeExceptionally(t);
    }
  }
}
