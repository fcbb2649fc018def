package org.mozpool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mozpool.core.DeviceSelectors;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.core.VirtualTimekeeper;
import org.mozpool.spi.PoolStore;
import org.mozpool.spi.StoreTransaction;
import org.mozpool.spi.TransientStoreException;

/** The request state machine, through the public API, on virtual time with a scripted Lifeguard. */
class PoolTest {
  private final VirtualTimekeeper time = new VirtualTimekeeper();
  private final InMemoryPoolStore store = new InMemoryPoolStore();
  private final ScriptedLifeguard lifeguard = new ScriptedLifeguard();
  private Pool pool;
  private final AtomicInteger ids = new AtomicInteger();

  @BeforeEach
  void lab() {
    pool = newPool();
    Inventory inv = pool.inventory();
    inv.registerHardwareType(HardwareType.of("panda"));
    inv.registerHardwareType(HardwareType.of("tegra"));
    inv.registerPxeConfig(PxeConfig.of("panda-b2g", "kernel b2g"));
    inv.registerPxeConfig(PxeConfig.of("panda-android", "kernel android"));
    inv.registerImage(Image.builder("b2g").requiredBootConfigKeys("b2gbase").reusable(true).build());
    inv.registerImage(Image.builder("android").build());
    inv.registerImage(Image.builder("self-test").hidden(true).build());
    inv.mapPxeConfig("b2g", "panda", "panda-b2g");
    inv.mapPxeConfig("android", "panda", "panda-android");
    for (int i = 1; i <= 3; i++) {
      inv.registerDevice(DeviceSpec.builder("panda-" + i).mac("00000000000" + i)
          .hardwareType("panda").hardwareModel("ES Rev B2").tag("rack", "1").build());
    }
    inv.registerDevice(DeviceSpec.builder("tegra-1").mac("0000000000a1").hardwareType("tegra")
        .hardwareModel("250")
        .environment("staging").build());
    time.runDueTasks();
  }

  private Pool newPool() {
    return Mozpool.builder().lifeguard(lifeguard).timekeeper(time).store(store)
        .selector(DeviceSelectors.firstByName()).requestIds(() -> "r" + ids.incrementAndGet())
        .build();
  }

  @AfterEach
  void close() {
    pool.close();
  }

  private static RequestSpec.Builder b2g() {
    return RequestSpec.any().image("b2g").bootConfig("b2gbase", "http://builds/1");
  }

  @Test
  void awaitingReadinessForAnAbsurdlyLongTimeWaitsNormallyAndANegativeOneIsRefused() {
    Lease lease = pool.request(b2g().build());

    assertThat(lease.awaitReady(Duration.ofSeconds(Long.MAX_VALUE)).name()).isEqualTo("panda-1");
    assertThatThrownBy(() -> lease.awaitReady(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("timeout must not be negative, got PT-1S");
  }

  @Test
  void leaseWhenReadyCompletesWithTheDeviceWithoutBlocking() {
    Lease lease = pool.request(b2g().build());
    AtomicReference<DeviceView> handed = new AtomicReference<>();

    CompletionStage<DeviceView> ready = lease.whenReady();
    ready.thenAccept(handed::set);

    assertThat(ready.toCompletableFuture()).isNotDone();
    time.advance(Duration.ofMinutes(10)); // the scripted imaging takes five
    assertThat(handed.get()).extracting(DeviceView::name, DeviceView::image)
        .containsExactly("panda-1", "b2g");
    assertThat(lease.whenReady().toCompletableFuture().join().name()).isEqualTo("panda-1");
  }

  @Test
  void leaseWhenReadyFailsWithTheRequestsFailure() {
    lifeguard.outcomes.put("panda-2", ImagingResult.FAILED_BAD_DEVICE);
    Lease lease = pool.request(RequestSpec.device("panda-2").image("android").build());

    CompletableFuture<DeviceView> ready = lease.whenReady().toCompletableFuture();

    assertThatThrownBy(ready::join).cause().isInstanceOfSatisfying(RequestFailedException.class,
        e -> assertThat(e.state()).isEqualTo(RequestStates.FAILED_BAD_DEVICE));
  }

  @Test
  void leaseWhenReadyOfARequestClosedBeforeItWasReadyFails() {
    Lease lease = pool.request(b2g().build());
    CompletableFuture<DeviceView> ready = lease.whenReady().toCompletableFuture();

    lease.returnDevice();

    assertThatThrownBy(ready::join).cause().isInstanceOf(RequestFailedException.class)
        .hasMessageContaining("closed before it was ready");
  }

  @Test
  void anyRequestIsImagedAndBecomesReady() {
    Lease lease = pool.request(b2g().build());
    DeviceView device = lease.awaitReady(Duration.ofMinutes(30));

    assertThat(device.name()).isEqualTo("panda-1");
    assertThat(device.image()).isEqualTo("b2g");
    assertThat(lease.state()).isEqualTo(RequestStates.READY);
    assertThat(lifeguard.calls).containsExactly("panda-1: please_image b2g");
    assertThat(pool.requestLog(lease.id())).extracting(LogEntry::message)
        .contains("claimed device panda-1", "device panda-1 is ready");
  }

  @Test
  void deviceAlreadyCarryingTheReusableImageIsPowerCycledNotReimaged() {
    try (Lease first = pool.request(b2g().build())) {
      first.awaitReady(Duration.ofMinutes(30));
    }
    lifeguard.calls.clear();

    Lease second = pool.request(RequestSpec.any().image("b2g").bootConfig("b2gbase", "http://builds/1")
        .hardwareType("panda").build());
    assertThat(second.awaitReady(Duration.ofMinutes(30)).name()).isEqualTo("panda-1");
    assertThat(lifeguard.calls).containsExactly("panda-1: please_power_cycle");
  }

  @Test
  void anyRequestWhoseDeviceFailsIsServedByAnotherDevice() {
    lifeguard.outcomes.put("panda-1", ImagingResult.FAILED_BAD_DEVICE);

    Lease lease = pool.request(b2g().build());

    assertThat(lease.awaitReady(Duration.ofMinutes(30)).name()).isEqualTo("panda-2");
    assertThat(lease.view().devicesTried()).containsExactly("panda-1", "panda-2");
  }

  @Test
  void namedDeviceThatFailsEndsInFailedBadDevice() {
    lifeguard.outcomes.put("panda-2", ImagingResult.FAILED_BAD_DEVICE);

    Lease lease = pool.request(RequestSpec.device("panda-2").image("android").build());

    assertThatThrownBy(() -> lease.awaitReady(Duration.ofMinutes(30)))
        .isInstanceOfSatisfying(RequestFailedException.class,
            e -> assertThat(e.state()).isEqualTo(RequestStates.FAILED_BAD_DEVICE));
    assertThat(pool.inventory().device("panda-2").claimedBy()).isEmpty();
  }

  @Test
  void namedDeviceInAFailedStateIsRefusedAtOnce() {
    lifeguard.breakDevice("panda-3");

    Lease lease = pool.request(RequestSpec.device("panda-3").image("android").build());

    assertThatThrownBy(() -> lease.awaitReady(Duration.ofSeconds(1)))
        .isInstanceOfSatisfying(RequestFailedException.class, e -> {
          assertThat(e.state()).isEqualTo(RequestStates.FAILED_BAD_DEVICE);
          assertThat(e.reason()).contains("failed_self_test");
        });
  }

  @Test
  void namedDeviceAlreadyClaimedFailsBusyImmediately() {
    Lease holder = pool.request(RequestSpec.device("panda-1").image("android").build());
    holder.awaitReady(Duration.ofMinutes(30));
    Instant asked = time.now();

    Lease late = pool.request(RequestSpec.device("panda-1").image("android").build());

    assertThatThrownBy(() -> late.awaitReady(Duration.ofMinutes(30)))
        .isInstanceOfSatisfying(RequestFailedException.class, e -> {
          assertThat(e.state()).isEqualTo(RequestStates.FAILED_DEVICE_BUSY);
          assertThat(e.reason()).contains("held by request " + holder.id());
        });
    assertThat(time.now()).isEqualTo(asked);
  }

  @Test
  void imageReportedBadOnTwoDevicesFailsBadImage() {
    lifeguard.outcomes.put("panda-1", ImagingResult.FAILED_BAD_IMAGE);
    lifeguard.outcomes.put("panda-2", ImagingResult.FAILED_BAD_IMAGE);

    Lease lease = pool.request(b2g().build());

    assertThatThrownBy(() -> lease.awaitReady(Duration.ofMinutes(30)))
        .isInstanceOfSatisfying(RequestFailedException.class,
            e -> assertThat(e.state()).isEqualTo(RequestStates.FAILED_BAD_IMAGE));
    assertThat(lease.view().devicesTried()).containsExactly("panda-1", "panda-2");
    assertThat(pool.inventory().device("panda-1").state()).isEqualTo(DeviceStates.READY);
  }

  @Test
  void nothingMatchingWithinTheWaitBudgetFailsDeviceNotFound() {
    Lease lease = pool.request(b2g().tag("rack", "9").waitBudget(Duration.ofMinutes(10)).build());
    Instant asked = time.now();

    assertThatThrownBy(() -> lease.awaitReady(Duration.ofHours(1)))
        .isInstanceOfSatisfying(RequestFailedException.class,
            e -> assertThat(e.state()).isEqualTo(RequestStates.FAILED_DEVICE_NOT_FOUND));
    assertThat(time.now()).isEqualTo(asked.plus(Duration.ofMinutes(10)));
  }

  @Test
  void hardwareWithoutAPxeConfigForTheImageIsNeverChosen() {
    Lease lease = pool.request(RequestSpec.any().image("android").environment("staging")
        .waitBudget(Duration.ofMinutes(2)).build());

    assertThatThrownBy(() -> lease.awaitReady(Duration.ofHours(1)))
        .isInstanceOfSatisfying(RequestFailedException.class,
            e -> assertThat(e.state()).isEqualTo(RequestStates.FAILED_DEVICE_NOT_FOUND));
    assertThat(lifeguard.calls).isEmpty();
  }

  @Test
  void waitingRequestsAreServedByPriorityThenAgeTheMomentADeviceFrees() {
    List<Lease> holders = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      holders.add(pool.request(b2g().build()));
    }
    holders.forEach(l -> l.awaitReady(Duration.ofMinutes(30)));

    Lease oldLow = pool.request(b2g().priority(0).build());
    time.advance(Duration.ofSeconds(1));
    Lease high = pool.request(b2g().priority(5).build());
    time.advance(Duration.ofSeconds(1));
    Lease newLow = pool.request(b2g().priority(0).build());
    time.advance(Duration.ofSeconds(5));

    holders.get(0).returnDevice();
    Instant freed = time.now();
    time.runDueTasks();
    assertThat(high.device()).contains("panda-1");
    assertThat(pool.requestLog(high.id())).filteredOn(e -> e.message().startsWith("claimed"))
        .singleElement().satisfies(e -> assertThat(e.timestamp()).isEqualTo(freed));
    assertThat(oldLow.state()).isEqualTo(RequestStates.FINDING_DEVICE);

    holders.get(1).returnDevice();
    time.runDueTasks();
    assertThat(oldLow.device()).contains("panda-2");
    assertThat(newLow.state()).isEqualTo(RequestStates.FINDING_DEVICE);
  }

  @Test
  void anExpiredLeaseIsClosedAndItsDeviceFreed() {
    Lease lease = pool.request(RequestSpec.device("panda-1").image("android")
        .leaseDuration(Duration.ofMinutes(30)).build());
    lease.awaitReady(Duration.ofMinutes(30));

    time.advance(Duration.ofMinutes(26));

    assertThat(lease.state()).isEqualTo(RequestStates.CLOSED);
    assertThat(pool.inventory().device("panda-1").claimedBy()).isEmpty();
    assertThat(lifeguard.calls).contains("panda-1: released");
    assertThat(pool.requestLog(lease.id())).extracting(LogEntry::message)
        .contains("lease expired in state ready");
  }

  @Test
  void renewingALeaseKeepsItAlive() {
    Lease lease = pool.request(b2g().leaseDuration(Duration.ofMinutes(30)).build());
    lease.awaitReady(Duration.ofMinutes(30));

    time.advance(Duration.ofMinutes(20));
    lease.renew(Duration.ofMinutes(30));
    time.advance(Duration.ofMinutes(29));

    assertThat(lease.state()).isEqualTo(RequestStates.READY);
    time.advance(Duration.ofMinutes(2));
    assertThat(lease.state()).isEqualTo(RequestStates.CLOSED);
  }

  @Test
  void aWrongTokenIsRefusedAndReturningTwiceIsAnError() {
    Lease lease = pool.request(b2g().build());

    assertThatThrownBy(() -> pool.lease(lease.id(), "not-the-token"))
        .isInstanceOf(LeaseException.class).hasMessageContaining("wrong lease token");
    assertThatThrownBy(() -> pool.lease("no-such-request", lease.token()))
        .isInstanceOf(NoSuchRequestException.class);

    Lease again = pool.lease(lease.id(), lease.token());
    again.returnDevice();
    assertThatThrownBy(again::returnDevice)
        .isInstanceOf(LeaseException.class).hasMessageContaining("already closed");
    assertThatThrownBy(() -> again.renew(Duration.ofMinutes(5)))
        .isInstanceOf(LeaseException.class);
    lease.close(); // idempotent
  }

  @Test
  void aFilingThatCommittedButWhoseAnswerWasLostIsNotFiledTwice() {
    AtomicInteger lostAnswers = new AtomicInteger();
    PoolStore losingAnswers = new PoolStore() {
      @Override
      public <T> T inTransaction(Function<StoreTransaction, T> work) {
        T result = store.inTransaction(work);
        if (lostAnswers.getAndDecrement() > 0) {
          // Committed, but the connection dropped before the answer came back.
          throw new TransientStoreException("connection lost while committing",
              new SQLException("08006"));
        }
        return result;
      }

      @Override
      public void close() {}
    };
    pool.close();
    pool = Mozpool.builder().lifeguard(lifeguard).timekeeper(time).store(losingAnswers)
        .requestIds(() -> "r" + ids.incrementAndGet()).build();
    time.runDueTasks();
    lostAnswers.set(1);

    Lease lease = pool.request(b2g().build());

    assertThat(lostAnswers.get()).as("the answer was lost once").isNegative();
    assertThat(pool.requests()).extracting(RequestView::id).containsExactly(lease.id());
    assertThat(pool.requestLog(lease.id())).filteredOn(e -> e.message().startsWith("requested"))
        .hasSize(1);
    // The lost try ran the first step too, and claimed: its after-commit work (asking Lifeguard)
    // was lost with the answer, and the request's own timeout asks again.
    assertThat(lease.device()).isPresent();
    assertThat(lease.awaitReady(Duration.ofMinutes(30)).name()).isEqualTo(lease.device().get());
  }

  @Test
  void aRequestForAFreeDeviceHoldsItWhenRequestReturnsInOneTransaction() {
    AtomicInteger transactions = new AtomicInteger();
    pool.close();
    pool = Mozpool.builder().lifeguard(lifeguard).timekeeper(time)
        .store(countingTransactions(store, transactions))
        .selector(DeviceSelectors.firstByName()).requestIds(() -> "r" + ids.incrementAndGet())
        .build();
    time.runDueTasks();
    List<String> heard = new ArrayList<>();
    pool.addListener(new PoolListener() {
      @Override
      public void requestStateChanged(String id, String from, String to) {
        heard.add(from + "->" + to);
      }
    });
    transactions.set(0);

    Lease lease = pool.request(b2g().build());

    // As the original's request handler ran find_device before it answered: no time has passed,
    // no other task ran, and filing and claiming were one transaction (one commit).
    assertThat(transactions.get()).isEqualTo(1);
    assertThat(lease.view().state()).isEqualTo(RequestStates.CONTACTING_LIFEGUARD);
    assertThat(lease.device()).contains("panda-1");
    assertThat(heard).containsExactly("new->finding_device", "finding_device->contacting_lifeguard");
    assertThat(pool.requestLog(lease.id())).extracting(LogEntry::message)
        .anyMatch(m -> m.startsWith("requested any device"))
        .anyMatch(m -> m.equals("claimed device panda-1"));
    assertThat(lease.awaitReady(Duration.ofMinutes(30)).name()).isEqualTo("panda-1");
  }

  @Test
  void aRequestWithNothingFreeReturnsQueuedAndIsServedWhenADeviceFrees() {
    Lease holder = pool.request(RequestSpec.device("panda-1").image("android").build());
    Lease other = pool.request(RequestSpec.device("panda-2").image("android").build());
    Lease third = pool.request(RequestSpec.device("panda-3").image("android").build());
    Instant asked = time.now();

    Lease waiting = pool.request(b2g().hardwareType("panda").build());

    assertThat(waiting.view().state()).isEqualTo(RequestStates.FINDING_DEVICE);
    assertThat(waiting.device()).isEmpty();
    assertThat(time.now()).isEqualTo(asked);
    other.awaitReady(Duration.ofMinutes(30));
    third.awaitReady(Duration.ofMinutes(30));
    holder.awaitReady(Duration.ofMinutes(30));
    other.returnDevice();
    assertThat(waiting.awaitReady(Duration.ofMinutes(30)).name()).isEqualTo("panda-2");
  }

  @Test
  void aNamedDeviceAlreadyClaimedIsRefusedBeforeRequestReturns() {
    Lease holder = pool.request(RequestSpec.device("panda-1").image("android").build());

    Lease late = pool.request(RequestSpec.device("panda-1").image("android").build());

    assertThat(late.view().state()).isEqualTo(RequestStates.FAILED_DEVICE_BUSY);
    assertThat(late.view().failureReason()).hasValueSatisfying(
        r -> assertThat(r).contains("held by request " + holder.id()));
    assertThat(holder.device()).contains("panda-1");
  }

  @Test
  void aFirstStepTheStoreRefusesLeavesTheRequestFiledForTheEngineToRunAgain() {
    AtomicInteger refusals = new AtomicInteger(1);
    PoolStore refusingOneClaim = (PoolStore) java.lang.reflect.Proxy.newProxyInstance(
        getClass().getClassLoader(), new Class<?>[] {PoolStore.class}, (proxy, method, args) -> {
          if (method.getName().equals("inTransaction")) {
            @SuppressWarnings("unchecked")
            Function<StoreTransaction, Object> work = (Function<StoreTransaction, Object>) args[0];
            return store.inTransaction(tx -> work.apply(intercepting(tx, "claim", () -> {
              if (refusals.getAndDecrement() > 0) {
                throw new StoreException("claims table is read-only");
              }
            })));
          }
          return invoke(method, store, args);
        });
    pool.close();
    pool = Mozpool.builder().lifeguard(lifeguard).timekeeper(time).store(refusingOneClaim)
        .selector(DeviceSelectors.firstByName()).requestIds(() -> "r" + ids.incrementAndGet())
        .build();
    time.runDueTasks();

    Lease lease = pool.request(b2g().build());

    assertThat(refusals.get()).as("the first claim was refused, and none tried since").isZero();
    assertThat(lease.view().state()).isEqualTo(RequestStates.NEW);
    assertThat(pool.requests()).extracting(RequestView::id).containsExactly(lease.id());
    assertThat(pool.requestLog(lease.id())).filteredOn(e -> e.message().startsWith("requested"))
        .hasSize(1);
    assertThat(lease.awaitReady(Duration.ofMinutes(30)).name()).isEqualTo("panda-1");
  }

  private static PoolStore countingTransactions(PoolStore store, AtomicInteger transactions) {
    return (PoolStore) java.lang.reflect.Proxy.newProxyInstance(PoolTest.class.getClassLoader(),
        new Class<?>[] {PoolStore.class}, (proxy, method, args) -> {
          if (method.getName().equals("inTransaction")) {
            transactions.incrementAndGet();
          }
          return invoke(method, store, args);
        });
  }

  private static StoreTransaction intercepting(StoreTransaction tx, String name, Runnable before) {
    return (StoreTransaction) java.lang.reflect.Proxy.newProxyInstance(
        PoolTest.class.getClassLoader(), new Class<?>[] {StoreTransaction.class},
        (proxy, method, args) -> {
          if (method.getName().equals(name)) {
            before.run();
          }
          return invoke(method, tx, args);
        });
  }

  private static Object invoke(java.lang.reflect.Method method, Object target, Object[] args)
      throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (java.lang.reflect.InvocationTargetException e) {
      throw e.getCause();
    }
  }

  @Test
  void aRequestIdAlreadyTakenIsAConflictAndLeavesTheFirstRequestAlone() {
    pool.close();
    pool = Mozpool.builder().lifeguard(lifeguard).timekeeper(time).store(store)
        .requestIds(() -> "same").build();
    Lease first = pool.request(b2g().build());

    assertThatThrownBy(() -> pool.request(b2g().build()))
        .isInstanceOf(ConflictException.class).hasMessageContaining("same");
    assertThat(pool.requests()).extracting(RequestView::id).containsExactly(first.id());
    assertThat(pool.requestLog(first.id())).filteredOn(e -> e.message().startsWith("requested"))
        .hasSize(1);
  }

  @Test
  void badRequestsAreRefusedAndNothingIsCreated() {
    assertThatThrownBy(() -> pool.request(RequestSpec.any().image("windows").build()))
        .isInstanceOf(NoSuchImageException.class).hasMessageContaining("windows");
    assertThatThrownBy(() -> pool.request(RequestSpec.device("panda-99").image("android").build()))
        .isInstanceOf(NoSuchDeviceException.class).hasMessageContaining("panda-99");
    assertThatThrownBy(() -> pool.request(RequestSpec.any().image("b2g").build()))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("b2gbase");
    assertThatThrownBy(() -> pool.request(RequestSpec.any().image("self-test").build()))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("hidden");
    assertThatThrownBy(() -> pool.request(b2g().hardwareType("zaurus").build()))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("zaurus");
    assertThatThrownBy(() -> pool.request(b2g().environment("mars").build()))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("mars");
    assertThatThrownBy(() -> b2g().leaseDuration(Duration.ZERO).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("lease duration must be between PT1S and PT87600H (3650 days), got PT0S");
    assertThatThrownBy(() -> pool.inventory().registerDevice(DeviceSpec.builder("x1")
        .mac("001122334455").hardwareType("zaurus").build()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("zaurus");
    assertThatThrownBy(() -> DeviceSpec.builder("x2").mac("00:11:22").hardwareType("panda").build())
        .hasMessageContaining("12 hex digits");

    assertThat(pool.requests()).isEmpty();
    assertThat(pool.inventory().devices()).hasSize(4);
  }

  @Test
  void aNewPoolOverTheSameStoreResumesWaitingRequests() {
    List<Lease> holders = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      holders.add(pool.request(b2g().build()));
    }
    holders.forEach(l -> l.awaitReady(Duration.ofMinutes(30)));
    Lease waiting = pool.request(b2g().build());
    time.runDueTasks();
    pool.close();
    time.close();

    pool = newPool();
    time.runDueTasks();
    pool.lease(holders.get(2).id(), holders.get(2).token()).returnDevice();

    assertThat(pool.lease(waiting.id(), waiting.token()).awaitReady(Duration.ofMinutes(30)).name())
        .isEqualTo("panda-3");
  }

  @Test
  void listenersHearRequestAndDeviceTransitions() {
    List<String> heard = new ArrayList<>();
    pool.addListener(new PoolListener() {
      @Override
      public void requestStateChanged(String id, String from, String to) {
        heard.add(id + " " + from + "->" + to);
      }
    });
    Lease lease = pool.request(b2g().build());
    lease.awaitReady(Duration.ofMinutes(30));

    assertThat(heard).containsSubsequence(lease.id() + " new->finding_device",
        lease.id() + " finding_device->contacting_lifeguard",
        lease.id() + " contacting_lifeguard->pending", lease.id() + " pending->ready");
  }

  @Test
  void inventoryReRegistrationUpdatesWithoutResettingState() {
    Lease lease = pool.request(RequestSpec.device("panda-1").image("android").build());
    lease.awaitReady(Duration.ofMinutes(30));

    pool.inventory().registerDevice(DeviceSpec.builder("panda-1").mac("000000000001")
        .hardwareType("panda").hardwareModel("ES Rev B2").comments("moved to shelf 2").build());
    pool.inventory().setEnvironment("panda-2", "staging");

    DeviceView d = pool.inventory().device("panda-1");
    assertThat(d.spec().comments()).isEqualTo("moved to shelf 2");
    assertThat(d.image()).isEqualTo("android");
    assertThat(d.claimedBy()).contains(lease.id());
    assertThat(pool.inventory().device("panda-2").spec().environment()).isEqualTo("staging");
    assertThat(pool.inventory().deviceStateCounts()).containsEntry(DeviceStates.READY, 4);
    assertThat(Map.copyOf(pool.inventory().deviceStateCounts())).hasSize(1);
  }

  @Test
  void anInstanceResumesOnlyTheRequestsItCreated() {
    List<Lease> holders = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      holders.add(pool.request(b2g().build()));
    }
    holders.forEach(l -> l.awaitReady(Duration.ofMinutes(30)));
    Lease waiting = pool.request(b2g().leaseDuration(Duration.ofMinutes(20)).build());
    time.runDueTasks();
    pool.close();

    pool = Mozpool.builder().lifeguard(lifeguard).timekeeper(time).store(store)
        .serverId("another-instance").build();
    time.advance(Duration.ofHours(1));
    assertThat(pool.findRequest(waiting.id()).orElseThrow().state())
        .as("another instance leaves it alone").isEqualTo(RequestStates.FINDING_DEVICE);
    pool.close();

    pool = newPool();
    time.runDueTasks();
    assertThat(pool.findRequest(waiting.id()).orElseThrow().state())
        .as("its own instance expires it at once").isEqualTo(RequestStates.CLOSED);
  }

  // ---- setbacks: refusals, slow workflows, substitutes (issue 11) ----

  /** An operator's self-test lands between the pool's readiness check and its please_image. */
  private void operatorSelfTestsBeforeThePool(String device, Duration selfTest) {
    lifeguard.beforePlease.put(device, () -> lifeguard.selfTest(device, selfTest));
  }

  private List<String> log(Lease lease) {
    return pool.requestLog(lease.id()).stream().map(LogEntry::message).toList();
  }

  @Test
  void refusedPleaseImageReleasesTheClaimAndFindsAnotherDevice() {
    operatorSelfTestsBeforeThePool("panda-1", Duration.ofMinutes(40));
    Instant asked = time.now();

    Lease lease = pool.request(b2g().build());

    assertThat(lease.awaitReady(Duration.ofMinutes(30)).name()).isEqualTo("panda-2");
    assertThat(time.now()).as("no 20 minutes lost in pending")
        .isEqualTo(asked.plus(lifeguard.workTime));
    assertThat(lease.view().devicesTried()).containsExactly("panda-1", "panda-2");
    assertThat(pool.inventory().device("panda-1").claimedBy()).isEmpty();
    assertThat(log(lease)).anySatisfy(m -> assertThat(m)
        .contains("Lifeguard refused please_image").contains("self_test_running"));
  }

  @Test
  void namedRequestWhosePleaseImageIsRefusedWaitsForItsDeviceInsteadOfFailing() {
    operatorSelfTestsBeforeThePool("panda-1", Duration.ofMinutes(8));
    Instant asked = time.now();

    Lease lease = pool.request(RequestSpec.device("panda-1").image("android")
        .leaseDuration(Duration.ofHours(2)).build());

    assertThat(lease.awaitReady(Duration.ofHours(1)).name()).isEqualTo("panda-1");
    assertThat(time.now()).isEqualTo(asked.plus(Duration.ofMinutes(8)).plus(lifeguard.workTime));
    assertThat(lifeguard.calls).containsExactly("panda-1: please_image android",
        "panda-1: self-test by an operator", "panda-1: please_image android");
  }

  @Test
  void pleaseImageWhoseAnswerIsLostStillWaitsForTheWorkflowItStarted() {
    lifeguard.loseAnswers.add("panda-1");

    Lease lease = pool.request(b2g().build());

    assertThat(lease.awaitReady(Duration.ofMinutes(30)).name()).isEqualTo("panda-1");
    assertThat(lifeguard.calls).containsExactly("panda-1: please_image b2g");
    assertThat(log(lease)).anySatisfy(m -> assertThat(m).contains("installing b2g for this request"));
  }

  @Test
  void namedRequestWaitsInPendingUntilLifeguardReportsEvenAfterTwentyMinutes() {
    lifeguard.workTime = Duration.ofMinutes(45);

    Lease lease = pool.request(RequestSpec.device("panda-1").image("android")
        .leaseDuration(Duration.ofHours(2)).build());

    assertThat(lease.awaitReady(Duration.ofHours(1)).name()).isEqualTo("panda-1");
  }

  @Test
  void anyRequestWaitsInPendingForLifeguardsOwnBudgetOfTheWorkflow() {
    lifeguard.workTime = Duration.ofMinutes(45);
    lifeguard.budget = Duration.ofMinutes(50);

    Lease lease = pool.request(b2g().leaseDuration(Duration.ofHours(2)).build());

    assertThat(lease.awaitReady(Duration.ofHours(1)).name()).isEqualTo("panda-1");
    assertThat(lease.view().devicesTried()).containsExactly("panda-1");
  }

  @Test
  void anyRequestWaitsForTheBudgetLifeguardGivesForThatDevice() {
    lifeguard.workTime = Duration.ofMinutes(45);
    lifeguard.budget = Duration.ofMinutes(30); // a bound for no device in particular
    lifeguard.budgetsByDevice.put("panda-1", Duration.ofMinutes(50));

    Lease lease = pool.request(b2g().leaseDuration(Duration.ofHours(2)).build());

    assertThat(lease.awaitReady(Duration.ofHours(1)).name()).isEqualTo("panda-1");
    assertThat(lease.view().devicesTried()).containsExactly("panda-1");
  }

  @Test
  void aDevicesShorterBudgetGivesItUpSoonerThanTheGeneralOne() {
    lifeguard.workTimes.put("panda-1", Duration.ofHours(3));
    lifeguard.budget = Duration.ofHours(2);
    lifeguard.budgetsByDevice.put("panda-1", Duration.ofMinutes(30));
    Instant asked = time.now();

    Lease lease = pool.request(b2g().leaseDuration(Duration.ofHours(2)).build());

    assertThat(lease.awaitReady(Duration.ofHours(1)).name()).isEqualTo("panda-2");
    assertThat(time.now()).isEqualTo(asked.plus(Duration.ofMinutes(30)).plus(lifeguard.workTime));
  }

  @Test
  void anyRequestGivesUpADeviceWhoseWorkflowOutlastsLifeguardsBudget() {
    lifeguard.workTimes.put("panda-1", Duration.ofHours(3));
    lifeguard.budget = Duration.ofMinutes(30);
    Instant asked = time.now();

    Lease lease = pool.request(b2g().leaseDuration(Duration.ofHours(2)).build());

    assertThat(lease.awaitReady(Duration.ofHours(1)).name()).isEqualTo("panda-2");
    assertThat(time.now()).isEqualTo(asked.plus(Duration.ofMinutes(30)).plus(lifeguard.workTime));
  }

  @Test
  void pendingGivesUpADeviceThatLifeguardStoppedWorkingOnForThisRequest() {
    lifeguard.workTime = Duration.ofMinutes(30);
    Lease lease = pool.request(RequestSpec.device("panda-1").image("android")
        .leaseDuration(Duration.ofHours(2)).build());
    time.advance(Duration.ofMinutes(1));
    assertThat(lease.state()).isEqualTo(RequestStates.PENDING);
    Instant forced = time.now();

    pool.lifeguard().changeState("panda-1", DeviceStates.PXE_POWER_CYCLING,
        DeviceStates.TROUBLESHOOTING);

    assertThatThrownBy(() -> lease.awaitReady(Duration.ofHours(1)))
        .isInstanceOfSatisfying(RequestFailedException.class, e -> {
          assertThat(e.state()).isEqualTo(RequestStates.FAILED_BAD_DEVICE);
          assertThat(e.reason()).contains("panda-1").contains("troubleshooting");
        });
    assertThat(time.now()).isBefore(forced.plus(policyPoll().multipliedBy(2)));
  }

  private static Duration policyPoll() {
    return PoolPolicy.defaults().pendingPoll();
  }

  /** Three pandas: panda-2 and panda-3 held by others, panda-1 failing after 12 minutes. */
  private List<Lease> othersHoldPanda2And3AndPanda1FailsLate() {
    List<Lease> holders = new ArrayList<>();
    for (String d : List.of("panda-2", "panda-3")) {
      holders.add(pool.request(RequestSpec.device(d).image("android")
          .leaseDuration(Duration.ofHours(3))
          .build()));
    }
    holders.forEach(l -> l.awaitReady(Duration.ofMinutes(30)));
    lifeguard.outcomes.put("panda-1", ImagingResult.FAILED_BAD_DEVICE);
    lifeguard.workTimes.put("panda-1", Duration.ofMinutes(12));
    return holders;
  }

  @Test
  void substituteSearchGetsAWaitBudgetOfItsOwn() {
    List<Lease> holders = othersHoldPanda2And3AndPanda1FailsLate();
    Lease lease = pool.request(b2g().waitBudget(Duration.ofMinutes(10))
        .leaseDuration(Duration.ofHours(2))
        .build());
    Instant asked = time.now();

    time.advance(Duration.ofMinutes(17));
    assertThat(lease.state()).isEqualTo(RequestStates.FINDING_DEVICE);
    holders.get(0).returnDevice();

    assertThat(lease.awaitReady(Duration.ofMinutes(30)).name()).isEqualTo("panda-2");
    assertThat(time.now()).isEqualTo(asked.plus(Duration.ofMinutes(17)).plus(lifeguard.workTime));
  }

  @Test
  void substituteSearchThatFindsNothingSaysWhatReallyHappened() {
    othersHoldPanda2And3AndPanda1FailsLate();
    Lease lease = pool.request(b2g().waitBudget(Duration.ofMinutes(10))
        .leaseDuration(Duration.ofHours(2))
        .build());
    Instant asked = time.now();

    assertThatThrownBy(() -> lease.awaitReady(Duration.ofHours(1)))
        .isInstanceOfSatisfying(RequestFailedException.class, e -> {
          assertThat(e.state()).isEqualTo(RequestStates.FAILED_DEVICE_NOT_FOUND);
          assertThat(e.reason()).isEqualTo("device panda-1 failed (failed-bad-device);"
              + " no substitute became free within PT10M");
        });
    assertThat(time.now()).isEqualTo(asked.plus(Duration.ofMinutes(22)));
  }

  // ---- returning a device with an outcome ----

  @Test
  void badDeviceReturnIsLoggedWithWhoSaidSoAndSelfTestedWhileStillClaimed() {
    Lease lease = pool.request(b2g().requester("ci-harness-7").build());
    lease.awaitReady(Duration.ofMinutes(30));

    lease.returnDevice(ReturnOutcome.badDevice("adb lost the board twice"));
    time.runDueTasks();

    assertThat(lease.state()).isEqualTo(RequestStates.CLOSED);
    assertThat(lifeguard.calls).as("a Lifeguard without returnedBad gets a self-test, before the"
        + " claim is released").containsSubsequence("panda-1: please_self_test (still claimed)")
        .doesNotContain("panda-1: released");
    assertThat(pool.inventory().device("panda-1").claimedBy()).isEmpty();
    assertThat(log(lease)).contains("returned by 'ci-harness-7' in state ready, reporting device"
        + " panda-1 as bad: adb lost the board twice", "released device panda-1");
  }

  @Test
  void goodReturnReleasesTheDeviceAsBefore() {
    Lease lease = pool.request(b2g().build());
    lease.awaitReady(Duration.ofMinutes(30));

    lease.returnDevice(ReturnOutcome.good());
    time.runDueTasks();

    assertThat(lifeguard.calls).contains("panda-1: released")
        .noneMatch(c -> c.contains("please_self_test"));
    assertThat(pool.inventory().device("panda-1").claimedBy()).isEmpty();
  }

  @Test
  void returnOutcomesAndPleaseSendersValidateEagerly() {
    assertThatThrownBy(() -> ReturnOutcome.badDevice(" "))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs a reason");
    assertThatThrownBy(() -> new ReturnOutcome(ReturnOutcome.Kind.GOOD, "fine"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("takes no reason");
    assertThat(ReturnOutcome.badDevice(" flaky ").reason()).isEqualTo("flaky");
    assertThatThrownBy(() -> PleaseSender.operator(""))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("audit trail");
    assertThatThrownBy(() -> PleaseSender.operator("alice").endingLease(null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs a reason");
    assertThatThrownBy(() -> PleaseSender.claimHolder("r1").endingLease("why"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("return the lease");
    assertThat(PleaseSender.claimHolder("r1").holds("r1")).isTrue();
    assertThat(PleaseSender.operator("alice").endingLease("x").endsLease()).isTrue();
  }
}
