package org.mozpool.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;
import org.mozpool.spi.DeviceTarget;
import org.mozpool.spi.PowerControl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Power controls made of others: a pool has one {@link PowerControl}, a lab may have several kinds
 * of power hardware (ProXR relay boards, network PDUs, a smart plug on the bench).
 * {@link #byScheme(Map)} routes each call by the scheme of the device's
 * {@linkplain DeviceTarget#powerAddress() power address}:
 *
 * <pre>{@code
 * PowerControl power = PowerControls.byScheme(Map.of(
 *     "proxr", new ProxrPowerControl(timekeeper),
 *     "pdu", new MyPduPowerControl()));
 * Mozpool.builder().powerControl(power)...
 * }</pre>
 */
public final class PowerControls {
  private static final Pattern SCHEME = Pattern.compile("[a-z][a-z0-9+.-]*");

  private PowerControls() {}

  /**
   * A power control that hands every call to the control registered for the scheme of the
   * device's power address ({@code proxr} for {@code proxr://host:2101/bank/1/relay/1}; schemes
   * compare case-insensitively, as in URIs). The stage returned is the routed control's own stage,
   * so a cancellation by Lifeguard reaches it, as {@link PowerControl}'s contract requires.
   *
   * <p>A device whose power address is empty, has no scheme, or has a scheme not in {@code
   * controls} gets a stage failed with an {@link IllegalArgumentException} naming the device, the
   * address and the known schemes: the call does not throw, and only that device's operation fails
   * (Lifeguard retries it as a board fault and, past its limit, fails the device). A routed control
   * that throws instead of returning a stage also yields a failed stage.
   *
   * <p>The router is {@link AutoCloseable}: closing it closes each distinct routed control that is
   * {@code AutoCloseable} once, in the order of their schemes, so that a pool's lifecycle (which
   * closes its power control) closes them all. A control that fails to close is logged and the
   * others are still closed; the first failure is thrown at the end.
   *
   * @param controls the control for each scheme; the same control may serve several schemes
   * @throws IllegalArgumentException if {@code controls} is empty or a scheme is not a URI scheme
   *     (a letter, then letters, digits, {@code +}, {@code -} or {@code .}) or appears twice in
   *     different cases
   * @throws NullPointerException if {@code controls} or one of its keys or values is null
   */
  public static PowerControl byScheme(Map<String, ? extends PowerControl> controls) {
    Objects.requireNonNull(controls, "controls");
    if (controls.isEmpty()) {
      throw new IllegalArgumentException("byScheme needs at least one scheme's power control");
    }
    Map<String, PowerControl> routes = new TreeMap<>();
    controls.forEach((scheme, control) -> {
      Objects.requireNonNull(scheme, "scheme");
      Objects.requireNonNull(control, () -> "power control of scheme " + scheme);
      String key = scheme.toLowerCase(Locale.ROOT);
      if (!SCHEME.matcher(key).matches()) {
        throw new IllegalArgumentException("'" + scheme + "' is not a URI scheme; expected a"
            + " letter followed by letters, digits, '+', '-' or '.' (e.g. proxr)");
      }
      if (routes.put(key, control) != null) {
        throw new IllegalArgumentException("scheme '" + key + "' is given twice");
      }
    });
    return new SchemeRouter(Map.copyOf(routes));
  }

  /** Routes by power-address scheme; see {@link PowerControls#byScheme}. */
  private static final class SchemeRouter implements PowerControl, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SchemeRouter.class);

    private final Map<String, PowerControl> routes;

    SchemeRouter(Map<String, PowerControl> routes) {
      this.routes = routes;
    }

    @Override
    public CompletionStage<Void> powerCycle(DeviceTarget device, Duration deadline) {
      return route(device, deadline, PowerControl::powerCycle);
    }

    @Override
    public CompletionStage<Void> powerOn(DeviceTarget device, Duration deadline) {
      return route(device, deadline, PowerControl::powerOn);
    }

    @Override
    public CompletionStage<Void> powerOff(DeviceTarget device, Duration deadline) {
      return route(device, deadline, PowerControl::powerOff);
    }

    @Override
    public CompletionStage<Boolean> isPowered(DeviceTarget device, Duration deadline) {
      return route(device, deadline, PowerControl::isPowered);
    }

    /** The routed control's own stage, or a failed one when there is none or it threw. */
    private <T> CompletionStage<T> route(DeviceTarget device, Duration deadline,
        Operation<T> operation) {
      Objects.requireNonNull(device, "device");
      String address = device.powerAddress() == null ? "" : device.powerAddress();
      int colon = address.indexOf(':');
      String scheme = colon <= 0 ? "" : address.substring(0, colon).toLowerCase(Locale.ROOT);
      PowerControl control = routes.get(scheme);
      if (control == null) {
        return CompletableFuture.failedFuture(new IllegalArgumentException("device "
            + device.device() + ": no power control for "
            + (address.isEmpty() ? "an empty power address" : scheme.isEmpty()
                ? "power address '" + address + "' (it has no scheme)"
                : "scheme '" + scheme + "' of power address '" + address + "'")
            + "; known schemes: " + routes.keySet().stream().sorted().toList()));
      }
      try {
        CompletionStage<T> stage = operation.apply(control, device, deadline);
        return stage != null ? stage : CompletableFuture.failedFuture(new IllegalStateException(
            "power control of scheme '" + scheme + "' returned no stage for device "
                + device.device()));
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    }

    @Override
    public void close() {
      Set<PowerControl> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
      List<Map.Entry<String, PowerControl>> ordered = new ArrayList<>(new TreeMap<>(routes)
          .entrySet());
      RuntimeException first = null;
      for (Map.Entry<String, PowerControl> e : ordered) {
        if (!seen.add(e.getValue()) || !(e.getValue() instanceof AutoCloseable c)) {
          continue;
        }
        try {
          c.close();
        } catch (Exception x) {
          LOG.warn("closing the power control of scheme {} failed", e.getKey(), x);
          if (first == null) {
            first = x instanceof RuntimeException r ? r
                : new IllegalStateException("closing the power control of scheme " + e.getKey()
                    + " failed", x);
          }
        }
      }
      if (first != null) {
        throw first;
      }
    }

    @Override
    public String toString() {
      return "PowerControls.byScheme" + new TreeMap<>(routes);
    }
  }

  /** One of {@link PowerControl}'s operations. */
  @FunctionalInterface
  private interface Operation<T> {
    CompletionStage<T> apply(PowerControl control, DeviceTarget device, Duration deadline);
  }
}
