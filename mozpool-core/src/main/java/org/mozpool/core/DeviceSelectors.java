package org.mozpool.core;

import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.mozpool.DeviceView;
import org.mozpool.RequestSpec;
import org.mozpool.spi.DeviceSelector;

/** Stock {@link DeviceSelector}s. */
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
}
