package org.mozpool.server.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.core.SystemTimekeeper;
import org.mozpool.server.internal.HealthChecks;
import org.mozpool.server.internal.HealthChecks.Check;
import org.mozpool.spi.Cancellable;
import org.mozpool.spi.PoolStore;
import org.mozpool.spi.StoreTransaction;
import org.mozpool.spi.Timekeeper;

/** The checks behind {@code /healthz}, each against what it must notice, within its deadline. */
@Timeout(30)
class HealthChecksTest {
  private static final Duration DB_DEADLINE = Duration.ofMillis(200);
  private static final Duration LAG_LIMIT = Duration.ofMillis(300);

  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final SystemTimekeeper time = new SystemTimekeeper();
  private final CountDownLatch release = new CountDownLatch(1);

  @AfterEach
  void close() {
    release.countDown();
    time.close();
  }

  private Check check(HealthChecks health, String name) {
    return health.check(8080).checks().stream().filter(c -> c.name().equals(name)).findFirst()
        .orElseThrow();
  }

  /** A database that takes every transaction and never answers until the test ends. */
  private PoolStore hungStore() {
    return new PoolStore() {
      @Override
      public <T> T inTransaction(Function<StoreTransaction, T> work) {
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        throw new IllegalStateException("released");
      }

      @Override
      public void close() {}
    };
  }

  @Test
  void aHealthyServerPassesEveryCheck() {
    try (HealthChecks health = new HealthChecks(new InMemoryPoolStore(), time, () -> true, meters,
        DB_DEADLINE, LAG_LIMIT)) {
      HealthChecks.Report report = health.check(8080);

      assertThat(report.healthy()).isTrue();
      assertThat(report.checks()).extracting(Check::name)
          .containsExactly("database", "engine", "tftp", "http");
    }
  }

  @Test
  void aHungDatabaseFailsAtItsDeadlineAndLaterChecksDoNotPileUpProbes() {
    try (HealthChecks health = new HealthChecks(hungStore(), time, () -> true, meters,
        DB_DEADLINE, LAG_LIMIT)) {
      long start = System.nanoTime();
      Check first = check(health, "database");
      Duration took = Duration.ofNanos(System.nanoTime() - start);

      assertThat(first.ok()).isFalse();
      assertThat(first.detail()).contains("no answer within PT0.2S");
      assertThat(took).isLessThan(Duration.ofSeconds(5));
      Check second = check(health, "database");
      assertThat(second.ok()).isFalse();
      assertThat(second.detail()).contains("earlier probe has not come back");
    }
  }

  @Test
  void aTimekeeperThatDoesNotRunWhatIsDueFailsTheEngineCheck() {
    Timekeeper stuck = new Timekeeper() {
      @Override
      public Clock clock() {
        return Clock.systemUTC();
      }

      @Override
      public Cancellable schedule(Instant when, Runnable task) {
        return () -> { }; // accepted, never run: a wedged scheduler
      }

      @Override
      public Executor workers() {
        return Runnable::run;
      }

      @Override
      public Executor io() {
        return Runnable::run;
      }

      @Override
      public <T> T await(CompletionStage<T> stage, Duration timeout) {
        throw new UnsupportedOperationException();
      }

      @Override
      public void close() {}
    };
    try (HealthChecks health = new HealthChecks(new InMemoryPoolStore(), stuck, () -> true,
        meters, DB_DEADLINE, LAG_LIMIT)) {
      HealthChecks.Report report = health.check(8080);

      assertThat(report.healthy()).isFalse();
      Check engine = report.checks().get(1);
      assertThat(engine.ok()).isFalse();
      assertThat(engine.detail()).contains("did not run within PT0.3S");
      assertThat(report.checks().get(0).ok()).as("the database is fine").isTrue();
    }
  }

  @Test
  void aMachineTimerThatFiredLaterThanTheLimitFailsTheEngineCheck() {
    Timer lag = Timer.builder("mozpool.engine.lag").tag("machine", "device").register(meters);
    try (HealthChecks health = new HealthChecks(new InMemoryPoolStore(), time, () -> true, meters,
        DB_DEADLINE, LAG_LIMIT)) {
      lag.record(Duration.ofMillis(100));
      assertThat(check(health, "engine").ok()).isTrue();

      lag.record(Duration.ofSeconds(2));
      Check engine = check(health, "engine");

      assertThat(engine.ok()).isFalse();
      assertThat(engine.detail()).contains("fired 2000 ms late");
    }
  }

  @Test
  void aStoppedTftpServerFailsItsCheckOnly() {
    try (HealthChecks health = new HealthChecks(new InMemoryPoolStore(), time, () -> false,
        meters, DB_DEADLINE, LAG_LIMIT)) {
      HealthChecks.Report report = health.check(8080);

      assertThat(report.healthy()).isFalse();
      assertThat(report.checks()).filteredOn(c -> !c.ok()).extracting(Check::name)
          .containsExactly("tftp");
    }
  }

  @Test
  void withSeveralInstancesALapsedHeartbeatFailsTheInstanceCheck() {
    java.util.concurrent.atomic.AtomicBoolean acting = new java.util.concurrent.atomic.AtomicBoolean(true);
    try (HealthChecks health = new HealthChecks(new InMemoryPoolStore(), time, () -> true,
        meters, DB_DEADLINE, LAG_LIMIT).instance(acting::get)) {
      assertThat(health.check(8080).healthy()).isTrue();
      assertThat(health.check(8080).checks()).extracting(Check::name).contains("instance");

      acting.set(false);
      HealthChecks.Report report = health.check(8080);

      assertThat(report.healthy()).isFalse();
      assertThat(report.checks()).filteredOn(c -> !c.ok()).extracting(Check::detail)
          .containsExactly("heartbeat lapsed: this instance sends no hardware command, and its"
              + " work may be adopted by another instance");
    }
  }

  @Test
  void aloneOnItsDatabaseAnInstanceHasNoInstanceCheck() {
    try (HealthChecks health = new HealthChecks(new InMemoryPoolStore(), time, () -> true,
        meters, DB_DEADLINE, LAG_LIMIT)) {
      assertThat(health.check(8080).checks()).extracting(Check::name)
          .containsExactly("database", "engine", "tftp", "http");
    }
  }
}
