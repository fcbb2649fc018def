package org.mozpool.core;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import org.mozpool.DeviceView;
import org.mozpool.RequestSpec;
import org.mozpool.spi.Candidate;
import org.mozpool.spi.DeviceChooser;
import org.mozpool.spi.DeviceSelector;
import org.mozpool.spi.Selection;
import org.mozpool.spi.SelectionContext;

/**
 * Stock {@link DeviceSelector}s and {@link DeviceChooser}s. The pool's default is
 * {@code preferringReuse(random())}: the policy of DESIGN §6.
 */
public final class DeviceSelectors {
  private DeviceSelectors() {}

  /** Picks at random, which spreads wear across the lab (the default). */
  public static DeviceSelector random() {
    return random(new Random());
  }

  /** Picks at random from a seeded source: the same seed and calls give the same picks. */
  public static DeviceSelector random(long seed) {
    return random(new Random(seed));
  }

  private static DeviceSelector random(Random random) {
    return (candidates, request) -> {
      synchronized (random) {
        return candidates.get(random.nextInt(candidates.size()));
      }
    };
  }

  /** Picks the first by name: predictable, for tests and demonstrations. */
  public static DeviceSelector firstByName() {
    return (List<DeviceView> candidates, RequestSpec request) ->
        candidates.stream().min(Comparator.comparing(DeviceView::name)).orElseThrow();
  }

  /**
   * The pool's behaviour for a plain {@link DeviceSelector} (DESIGN §6): among the candidates,
   * those that already {@linkplain Candidate#carriesImage() carry the requested image} are kept if
   * there are any; a single one left is taken without asking {@code selector}; otherwise
   * {@code selector} picks among them. Reads no failure history.
   *
   * @throws NullPointerException if {@code selector} is null
   */
  public static DeviceChooser preferringReuse(DeviceSelector selector) {
    Objects.requireNonNull(selector, "selector");
    return new DeviceChooser() {
      @Override
      public Selection choose(SelectionContext context) {
        List<Candidate> pick = carryingFirst(context.candidates());
        if (pick.size() == 1) {
          return Selection.of(pick.get(0));
        }
        List<DeviceView> views = new ArrayList<>(pick.size());
        for (Candidate c : pick) {
          views.add(c.device());
        }
        DeviceView chosen = selector.select(views, context.request().spec());
        if (chosen == null) {
          throw new IllegalStateException("device selector " + selector + " returned null");
        }
        return Selection.of(chosen.name());
      }

      @Override
      public Duration failureWindow() {
        return Duration.ZERO;
      }

      @Override
      public String toString() {
        return "preferringReuse(" + selector + ")";
      }
    };
  }

  /**
   * The "fewest recent failures" selector of DESIGN §6: devices that already carry the requested
   * image first (as the default), then the one with the fewest failures within {@code window}
   * before now; ties go to the device this instance claimed least recently (never claimed first),
   * then to the first by name. Deterministic.
   *
   * @throws IllegalArgumentException if {@code window} is not positive
   */
  public static DeviceChooser fewestRecentFailures(Duration window) {
    Objects.requireNonNull(window, "window");
    if (window.isZero() || window.isNegative()) {
      throw new IllegalArgumentException("failure window must be positive, got " + window);
    }
    Comparator<Candidate> order = Comparator
        .comparingInt((Candidate c) -> c.recentFailures().size())
        .thenComparing(c -> c.lastClaimed().orElse(Instant.MIN))
        .thenComparing(Candidate::name);
    return new DeviceChooser() {
      @Override
      public Selection choose(SelectionContext context) {
        Instant since = context.now().minus(window);
        return Selection.of(carryingFirst(context.candidates()).stream()
            .min(Comparator.comparingLong((Candidate c) -> c.recentFailures().stream()
                    .filter(f -> !f.at().isBefore(since)).count())
                .thenComparing(order))
            .orElseThrow());
      }

      @Override
      public Duration failureWindow() {
        return window;
      }

      @Override
      public String toString() {
        return "fewestRecentFailures(" + window + ")";
      }
    };
  }

  /**
   * Least recently used (DESIGN §6): devices that already carry the requested image first, then
   * the one this pool instance claimed least recently (never claimed first), then by name. Reads no
   * failure history.
   */
  public static DeviceChooser leastRecentlyUsed() {
    return new DeviceChooser() {
      @Override
      public Selection choose(SelectionContext context) {
        return Selection.of(carryingFirst(context.candidates()).stream()
            .min(Comparator.comparing((Candidate c) -> c.lastClaimed().orElse(Instant.MIN))
                .thenComparing(Candidate::name))
            .orElseThrow());
      }

      @Override
      public Duration failureWindow() {
        return Duration.ZERO;
      }

      @Override
      public String toString() {
        return "leastRecentlyUsed()";
      }
    };
  }

  private static List<Candidate> carryingFirst(List<Candidate> candidates) {
    List<Candidate> carrying = candidates.stream().filter(Candidate::carriesImage).toList();
    return carrying.isEmpty() ? candidates : carrying;
  }
}
