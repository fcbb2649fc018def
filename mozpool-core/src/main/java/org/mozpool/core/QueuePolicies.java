package org.mozpool.core;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.mozpool.DeviceView;
import org.mozpool.spi.Holding;
import org.mozpool.spi.QueuePolicy;
import org.mozpool.spi.QueueView;
import org.mozpool.spi.WaitingRequest;

/**
 * Stock {@link QueuePolicy}s. Combine them with {@link QueuePolicy#and}, e.g.
 * {@code QueuePolicies.fairShare().and(QueuePolicies.quotaPerEnvironment(Map.of("staging", 2)))}.
 */
public final class QueuePolicies {
  private QueuePolicies() {}

  /**
   * The default: every device is admitted, and a freed device is offered by priority (highest
   * first), then age (oldest first).
   */
  public static QueuePolicy priorityThenAge() {
    return new QueuePolicy() {
      @Override
      public String toString() {
        return "priorityThenAge()";
      }
    };
  }

  /**
   * Fair share between requesters: a freed device is offered round robin between the requesters
   * waiting for it. Requesters are taken in turn — first those holding the fewest devices now,
   * among them the one this instance served longest ago (never served first), then the one whose
   * best request comes first by priority and age — and each requester's own requests keep their
   * priority-then-age order. So a requester who floods the queue gets one device in turn, not all.
   * Admits everything. Reads the {@linkplain QueueView#holdings() holdings}.
   */
  public static QueuePolicy fairShare() {
    return new QueuePolicy() {
      @Override
      public List<WaitingRequest> order(List<WaitingRequest> waiting, DeviceView device,
          QueueView queue) {
        Map<String, Integer> held = new HashMap<>();
        for (Holding h : queue.holdings()) {
          held.merge(h.requester(), 1, Integer::sum);
        }
        Map<String, List<WaitingRequest>> byRequester = new HashMap<>();
        List<String> requesters = new ArrayList<>();
        for (WaitingRequest w : waiting) {
          byRequester.computeIfAbsent(w.requester(), r -> {
            requesters.add(r);
            return new ArrayList<>();
          }).add(w);
        }
        // requesters is in the order of each one's first (best) request; the sort is stable.
        requesters.sort(Comparator
            .comparingInt((String r) -> held.getOrDefault(r, 0))
            .thenComparing(r -> queue.lastServed(r).orElse(Instant.MIN)));
        List<WaitingRequest> out = new ArrayList<>(waiting.size());
        for (int round = 0; out.size() < waiting.size(); round++) {
          for (String r : requesters) {
            List<WaitingRequest> own = byRequester.get(r);
            if (round < own.size()) {
              out.add(own.get(round));
            }
          }
        }
        return out;
      }

      @Override
      public String toString() {
        return "fairShare()";
      }
    };
  }

  /**
   * At most a given number of devices of an environment held at once: a device of environment
   * {@code e} is not given to anyone while {@code quotas.get(e)} devices of {@code e} are claimed;
   * waiting requests are served again when one is returned. Environments without an entry are
   * unlimited. Reads the {@linkplain QueueView#holdings() holdings}.
   *
   * @throws IllegalArgumentException if a quota is negative
   */
  public static QueuePolicy quotaPerEnvironment(Map<String, Integer> quotas) {
    Map<String, Integer> copy = Map.copyOf(quotas);
    copy.forEach((env, n) -> {
      if (n < 0) {
        throw new IllegalArgumentException("quota of environment '" + env
            + "' must not be negative, got " + n);
      }
    });
    return new QueuePolicy() {
      @Override
      public boolean admits(WaitingRequest request, DeviceView device, QueueView queue) {
        String env = device.spec().environment();
        Integer quota = copy.get(env);
        if (quota == null) {
          return true;
        }
        long held = queue.holdings().stream().filter(h -> h.environment().equals(env)).count();
        return held < quota;
      }

      @Override
      public String toString() {
        return "quotaPerEnvironment(" + copy + ")";
      }
    };
  }

  /**
   * A named device reserved for a requester from {@code from} (inclusive) until {@code until}
   * (exclusive). Outside the window the device is like any other.
   *
   * @param device the reserved device's name
   * @param requester who may have it during the window
   * @param from start of the window
   * @param until end of the window, after {@code from}
   */
  public record Reservation(String device, String requester, Instant from, Instant until) {

    /**
     * Validates.
     *
     * @throws IllegalArgumentException if the device name is blank or the window is empty
     */
    public Reservation {
      Objects.requireNonNull(device, "device");
      if (device.isBlank()) {
        throw new IllegalArgumentException("a reservation needs a device name");
      }
      Objects.requireNonNull(requester, "requester");
      Objects.requireNonNull(from, "from");
      Objects.requireNonNull(until, "until");
      if (!until.isAfter(from)) {
        throw new IllegalArgumentException("reservation of " + device + " must end after it"
            + " starts, got " + from + " .. " + until);
      }
    }

    /** Whether the window holds {@code at}. */
    public boolean covers(Instant at) {
      return !at.isBefore(from) && at.isBefore(until);
    }
  }

  /**
   * Reservations of named devices: during its window, a reserved device is given only to requests
   * of its requester, and when freed it is offered only to them. When the window ends, the
   * waiting requests look again at once and the device is anyone's.
   */
  public static QueuePolicy reservations(List<Reservation> reservations) {
    List<Reservation> copy = List.copyOf(reservations);
    return new QueuePolicy() {
      @Override
      public List<WaitingRequest> order(List<WaitingRequest> waiting, DeviceView device,
          QueueView queue) {
        return waiting.stream().filter(w -> admits(w, device, queue)).toList();
      }

      @Override
      public boolean admits(WaitingRequest request, DeviceView device, QueueView queue) {
        for (Reservation r : copy) {
          if (r.device().equals(device.name()) && r.covers(queue.now())
              && !r.requester().equals(request.requester())) {
            return false;
          }
        }
        return true;
      }

      @Override
      public Optional<Instant> nextChange(Instant now) {
        Instant next = null;
        for (Reservation r : copy) {
          for (Instant t : new Instant[] {r.from(), r.until()}) {
            if (t.isAfter(now) && (next == null || t.isBefore(next))) {
              next = t;
            }
          }
        }
        return Optional.ofNullable(next);
      }

      @Override
      public String toString() {
        return "reservations(" + copy + ")";
      }
    };
  }
}
