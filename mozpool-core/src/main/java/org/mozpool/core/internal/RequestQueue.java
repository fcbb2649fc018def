package org.mozpool.core.internal;

import com.google.common.util.concurrent.MoreExecutors;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.Executor;
import org.mozpool.DeviceStates;
import org.mozpool.RequestSpec;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.RequestRecord;
import org.mozpool.spi.WaitingRequest;

/**
 * Requests waiting in {@code finding_device}, ordered by priority (highest first) then age. When a
 * device may have become free, the waiting requests that could use it are offered it one at a
 * time, in the order the {@link org.mozpool.spi.QueuePolicy} makes of that (by default, as is),
 * until one claims it: a queued request is served the moment a matching device frees, with no
 * polling.
 */
final class RequestQueue {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RequestQueue.class);
  private record Waiting(String id, int priority, Instant createdAt, RequestSpec spec,
      WaitingRequest request) {}

  private static final Comparator<Waiting> ORDER = Comparator
      .comparingInt((Waiting w) -> -w.priority())
      .thenComparing(Waiting::createdAt)
      .thenComparing(Waiting::id);

  private final StandardPool pool;
  private final ConcurrentSkipListSet<Waiting> waiting = new ConcurrentSkipListSet<>(ORDER);
  private final Map<String, Waiting> byId = new ConcurrentHashMap<>();
  private final Executor matchmaker;

  RequestQueue(StandardPool pool) {
    this.pool = pool;
    this.matchmaker = MoreExecutors.newSequentialExecutor(pool.timekeeper().workers());
  }

  void add(RequestRecord r) {
    Waiting w = new Waiting(r.id(), r.spec().priority(), r.createdAt(), r.spec(),
        Scheduling.waiting(r));
    if (byId.putIfAbsent(r.id(), w) == null) {
      waiting.add(w);
    }
  }

  void remove(String id) {
    Waiting w = byId.remove(id);
    if (w != null) {
      waiting.remove(w);
    }
  }

  void removeLater(Step step) {
    String id = step.id();
    step.afterCommit(() -> remove(id));
  }

  /** Forgets every waiting request (this instance no longer drives them). */
  void clear() {
    byId.clear();
    waiting.clear();
  }

  /**
   * Offers every free device to the waiting requests: with other instances on the store, a device
   * freed there is not heard of here otherwise.
   */
  void offerFreeDevices() {
    if (waiting.isEmpty()) {
      return;
    }
    List<String> free;
    try {
      free = pool.transact(tx -> tx.findDevices(new org.mozpool.spi.DeviceQuery(
          DeviceStates.READY, true, "", "", "")).stream().map(DeviceRecord::name).toList());
    } catch (RuntimeException e) {
      LOG.warn("could not read the free devices: {}", e.getMessage());
      return;
    }
    free.forEach(this::deviceMayBeFree);
  }

  int size() {
    return byId.size();
  }

  /** The waiting requests, in priority-then-age order. */
  List<WaitingRequest> snapshot() {
    List<WaitingRequest> out = new ArrayList<>(byId.size());
    for (Waiting w : waiting) {
      out.add(w.request());
    }
    return out;
  }

  /** Offers {@code device} to the waiting requests that could use it, in queue order. */
  void deviceMayBeFree(String device) {
    if (waiting.isEmpty()) {
      return;
    }
    matchmaker.execute(() -> {
      Optional<DeviceRecord> d;
      try {
        d = freeDevice(device);
      } catch (RuntimeException e) {
        // The waiting requests' own re-check (queueRecheck) will find the device instead.
        LOG.warn("could not offer device {} to the queue: {}", device, e.getMessage());
        return;
      }
      if (d.isEmpty()) {
        return;
      }
      List<WaitingRequest> could = new ArrayList<>();
      for (Waiting w : waiting) {
        if (couldUse(w.spec(), d.get())) {
          could.add(w.request());
        }
      }
      // The queue policy orders (and may thin) the offers; holdings are read only if it asks.
      List<WaitingRequest> order = pool.scheduling().offerOrder(could, d.get(),
          pool.timekeeper().now(), () -> pool.transact(Scheduling::holdings));
      offer(device, order, 0);
    });
  }

  private Optional<DeviceRecord> freeDevice(String device) {
    return pool.transact(tx -> tx.device(device)
        .filter(d -> DeviceStates.READY.equals(d.machine().state()))
        .filter(d -> tx.claimOfDevice(device).isEmpty()));
  }

  private void offer(String device, List<WaitingRequest> order, int index) {
    if (index >= order.size()) {
      return;
    }
    WaitingRequest w = order.get(index);
    if (!byId.containsKey(w.id())) {
      offer(device, order, index + 1);
      return;
    }
    CompletableFuture<Void> step = pool.requestEngine().send(w.id(), RequestMachine.RETRY, Map.of());
    step.whenComplete((v, e) -> matchmaker.execute(() -> {
      try {
        if (freeDevice(device).isPresent()) {
          offer(device, order, index + 1);
        }
      } catch (RuntimeException x) {
        LOG.warn("could not offer device {} to the queue: {}", device, x.getMessage());
      }
    }));
  }

  private static boolean couldUse(RequestSpec spec, DeviceRecord d) {
    return (spec.isAny() || spec.device().equals(d.name()))
        && (spec.environment().isEmpty() || spec.environment().equals(d.spec().environment()))
        && (spec.hardwareType().isEmpty() || spec.hardwareType().equals(d.spec().hardwareType()))
        && (spec.hardwareModel().isEmpty() || spec.hardwareModel().equals(d.spec().hardwareModel()))
        && d.spec().tags().entrySet().containsAll(spec.tags().entrySet());
  }
}
