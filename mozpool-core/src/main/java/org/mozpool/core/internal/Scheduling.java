package org.mozpool.core.internal;

import com.google.common.base.Suppliers;
import java.time.Duration;
import java.time.Instant;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.mozpool.DeviceView;
import org.mozpool.Image;
import org.mozpool.RequestSpec;
import org.mozpool.spi.Candidate;
import org.mozpool.spi.DeviceChooser;
import org.mozpool.spi.DeviceFailure;
import org.mozpool.spi.DeviceQuery;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.Holding;
import org.mozpool.spi.QueuePolicy;
import org.mozpool.spi.QueueView;
import org.mozpool.spi.RequestRecord;
import org.mozpool.spi.Selection;
import org.mozpool.spi.SelectionContext;
import org.mozpool.spi.StoreTransaction;
import org.mozpool.spi.WaitingRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool's scheduling hooks in one place: the {@link QueuePolicy} (which free devices a request
 * may have; in which order waiting requests are offered a freed device) and the
 * {@link DeviceChooser} (which admitted candidate a request claims, or none now). Also remembers,
 * in memory, when each device was last claimed and each requester last served by this instance.
 *
 * <p>A misbehaving policy or chooser never loses a request: its fault is logged and counts as
 * "not admitted" / "none now", so the request keeps waiting and its wait budget decides.
 */
final class Scheduling {
  private static final Logger LOG = LoggerFactory.getLogger(Scheduling.class);

  /**
   * What a request may claim: {@code device}, or nothing, with why ({@code declined} empty when
   * simply no device was free).
   */
  record Pick(DeviceRecord device, String declined) {}

  private final DeviceChooser chooser;
  private final QueuePolicy policy;
  private final Supplier<List<WaitingRequest>> queue;
  private final Map<String, Instant> lastClaimed = new ConcurrentHashMap<>();
  private final Map<String, Instant> lastServed = new ConcurrentHashMap<>();

  Scheduling(DeviceChooser chooser, QueuePolicy policy, Supplier<List<WaitingRequest>> queue) {
    this.chooser = chooser;
    this.policy = policy;
    this.queue = queue;
  }

  static WaitingRequest waiting(RequestRecord r) {
    return new WaitingRequest(r.id(), r.spec(), r.createdAt());
  }

  /**
   * Among {@code candidates} (free, matching, installable), the device the queue policy admits
   * and the chooser picks for {@code r}; runs inside the transaction that will claim it.
   */
  Pick pick(StoreTransaction tx, RequestRecord r, List<DeviceRecord> candidates, Instant now) {
    if (candidates.isEmpty()) {
      return new Pick(null, "");
    }
    WaitingRequest request = waiting(r);
    QueueView view = view(now, () -> holdings(tx));
    List<DeviceRecord> admitted = new ArrayList<>(candidates.size());
    List<DeviceView> views = new ArrayList<>(candidates.size());
    String fault = "";
    for (DeviceRecord d : candidates) {
      DeviceView v = StandardPool.view(d, Optional.empty());
      try {
        if (policy.admits(request, v, view)) {
          admitted.add(d);
          views.add(v);
        }
      } catch (RuntimeException e) {
        LOG.warn("queue policy {} failed for request {} and device {}; not admitted", policy,
            r.id(), d.name(), e);
        fault = "; the queue policy failed: " + describe(e);
      }
    }
    if (admitted.isEmpty()) {
      return new Pick(null, "the queue policy admits none of the " + candidates.size()
          + " free candidates now" + fault);
    }
    RequestSpec spec = r.spec();
    boolean reusable = tx.image(spec.image()).map(Image::reusable).orElse(false);
    Duration window = failureWindow();
    List<Candidate> offered = new ArrayList<>(admitted.size());
    for (int i = 0; i < admitted.size(); i++) {
      DeviceRecord d = admitted.get(i);
      List<DeviceFailure> failures = window.isZero() ? List.of()
          : tx.failures(d.name(), now.minus(window));
      offered.add(new Candidate(views.get(i), reusable && RequestMachine.carries(d, spec),
          failures, Optional.ofNullable(lastClaimed.get(d.name()))));
    }
    // Read only if the chooser looks: the default never does.
    List<WaitingRequest> others = new LazyList<>(() -> queue.get().stream()
        .filter(w -> !w.id().equals(r.id())).toList());
    Selection selection;
    try {
      selection = chooser.choose(new SelectionContext(now, request, offered, others));
    } catch (RuntimeException e) {
      LOG.warn("device chooser {} failed for request {}; it keeps waiting", chooser, r.id(), e);
      return new Pick(null, "the device chooser failed: " + describe(e));
    }
    if (selection == null) {
      LOG.warn("device chooser {} answered null for request {}; it keeps waiting", chooser, r.id());
      return new Pick(null, "the device chooser answered nothing");
    }
    if (selection.device().isEmpty()) {
      return new Pick(null, "the device chooser chose none now: " + selection.reason());
    }
    String name = selection.device().get();
    for (DeviceRecord d : admitted) {
      if (d.name().equals(name)) {
        return new Pick(d, "");
      }
    }
    LOG.warn("device chooser {} chose {} for request {}, which is not one of its candidates {};"
        + " it keeps waiting", chooser, name, r.id(),
        admitted.stream().map(DeviceRecord::name).toList());
    return new Pick(null, "the device chooser chose " + name + ", which is not a candidate");
  }

  /** When the queue policy's answers next change by time alone; empty if never or it fails. */
  Optional<Instant> nextChange(Instant now) {
    try {
      Optional<Instant> next = policy.nextChange(now);
      return next == null ? Optional.empty() : next.filter(t -> t.isAfter(now));
    } catch (RuntimeException e) {
      LOG.warn("queue policy {} could not say when it next changes", policy, e);
      return Optional.empty();
    }
  }

  /** Records that {@code device} was claimed for a request of {@code spec} at {@code at}. */
  void claimed(String device, RequestSpec spec, Instant at) {
    lastClaimed.put(device, at);
    lastServed.put(spec.requester(), at);
  }

  /**
   * The order in which {@code waiting} (in default order, all able to use {@code device}) are
   * offered it; the default order if the policy fails.
   */
  List<WaitingRequest> offerOrder(List<WaitingRequest> waiting, DeviceRecord device, Instant now,
      Supplier<List<Holding>> holdings) {
    try {
      List<WaitingRequest> given = Collections.unmodifiableList(waiting);
      List<WaitingRequest> order = policy.order(given,
          StandardPool.view(device, Optional.empty()), view(now, holdings));
      if (order == null) {
        throw new IllegalStateException("order was null");
      }
      if (order == given) {
        return waiting; // kept as is (the default)
      }
      Set<String> known = new HashSet<>();
      waiting.forEach(w -> known.add(w.id()));
      return order.stream().filter(w -> w != null && known.remove(w.id())).toList();
    } catch (RuntimeException e) {
      LOG.warn("queue policy {} could not order the queue for device {}; using priority then age",
          policy, device.name(), e);
      return waiting;
    }
  }

  private Duration failureWindow() {
    try {
      Duration w = chooser.failureWindow();
      return w == null || w.isNegative() ? Duration.ZERO : w;
    } catch (RuntimeException e) {
      LOG.warn("device chooser {} could not say its failure window; none read", chooser, e);
      return Duration.ZERO;
    }
  }

  private QueueView view(Instant now, Supplier<List<Holding>> holdings) {
    Supplier<List<Holding>> once = Suppliers.memoize(holdings::get);
    Supplier<List<WaitingRequest>> waiting = Suppliers.memoize(queue::get);
    return new QueueView() {
      @Override
      public Instant now() {
        return now;
      }

      @Override
      public List<WaitingRequest> waiting() {
        return waiting.get();
      }

      @Override
      public List<Holding> holdings() {
        return once.get();
      }

      @Override
      public Optional<Instant> lastServed(String requester) {
        return Optional.ofNullable(lastServed.get(requester));
      }
    };
  }

  /**
   * An unmodifiable list computed on first use: contexts carry the queue, but most choosers never
   * read it, and copying it for every claim attempt made offering a device O(queue²).
   */
  private static final class LazyList<E> extends AbstractList<E> {
    private final Supplier<List<E>> list;

    LazyList(Supplier<List<E>> source) {
      this.list = Suppliers.memoize(source::get);
    }

    @Override
    public E get(int index) {
      return list.get().get(index);
    }

    @Override
    public int size() {
      return list.get().size();
    }
  }

  /** Every claimed device, by name. */
  static List<Holding> holdings(StoreTransaction tx) {
    Set<String> free = new HashSet<>();
    for (DeviceRecord d : tx.findDevices(new DeviceQuery("", true, "", "", ""))) {
      free.add(d.name());
    }
    List<Holding> out = new ArrayList<>();
    for (DeviceRecord d : tx.devices()) {
      if (free.contains(d.name())) {
        continue;
      }
      tx.claimOfDevice(d.name()).ifPresent(c -> out.add(new Holding(d.name(),
          d.spec().environment(), c.requestId(),
          tx.request(c.requestId()).map(q -> q.spec().requester()).orElse(""), c.claimedAt())));
    }
    return List.copyOf(out);
  }

  private static String describe(RuntimeException e) {
    return e.getMessage() == null ? e.getClass().getSimpleName()
        : e.getClass().getSimpleName() + ": " + e.getMessage();
  }
}
