package org.mozpool.examples;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.mozpool.DeviceView;
import org.mozpool.RequestSpec;
import org.mozpool.spi.DeviceSelector;

/**
 * A custom {@link DeviceSelector}: spreads work across chassis by taking a device from the chassis
 * with the most free candidates (ties: the lowest chassis tag), and within it the first by name.
 * A lab uses it so that one chassis's power supply or switch going down takes out as few running
 * jobs as possible.
 *
 * <pre>{@code
 * Mozpool.builder().selector(new SpreadingSelector("chassis"))...
 * }</pre>
 *
 * <p>Devices without the tag count as one chassis named {@code ""}. Thread safe and quick, as the
 * SPI requires: it looks only at the candidates it is given.
 */
public final class SpreadingSelector implements DeviceSelector {
  private final String tag;

  /** A selector that groups devices by the value of their tag {@code tag}. */
  public SpreadingSelector(String tag) {
    this.tag = tag;
  }

  @Override
  public DeviceView select(List<DeviceView> candidates, RequestSpec request) {
    Function<DeviceView, String> chassis = d -> d.spec().tags().getOrDefault(tag, "");
    Map<String, Long> free = candidates.stream()
        .collect(Collectors.groupingBy(chassis, Collectors.counting()));
    String emptiest = free.entrySet().stream()
        .max(Map.Entry.<String, Long>comparingByValue()
            .thenComparing(Map.Entry.comparingByKey(Comparator.reverseOrder())))
        .orElseThrow().getKey();
    return candidates.stream().filter(d -> chassis.apply(d).equals(emptiest))
        .min(Comparator.comparing(DeviceView::name)).orElseThrow();
  }
}
