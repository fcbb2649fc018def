package org.mozpool.lifeguard;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The {@link LifeguardPolicy} of each hardware type in a lab: a default, and overrides for the
 * hardware types that need their own timeouts, retry limits, quarantine or release settings (a
 * board that takes five minutes to PXE-boot beside pandas that take one). The standard Lifeguard
 * looks up a device's policy by its hardware type for every decision about it; a hardware type
 * without an override gets the default.
 *
 * <pre>{@code
 * LifeguardPolicies policies = LifeguardPolicies.of(LifeguardPolicy.defaults())
 *     .withHardwareType("tegra", LifeguardPolicy.defaults()
 *         .withTimeout(DeviceStates.PXE_BOOTING, Duration.ofMinutes(5)));
 * StandardLifeguard.factory(policies);
 * }</pre>
 *
 * <p>A device's hardware type is read when a step of its state machine runs, so a device
 * re-registered with another hardware type follows that type's policy from its next step on; a
 * timeout already armed keeps the deadline it was armed with.
 *
 * <p>Immutable and thread safe.
 */
public final class LifeguardPolicies {
  private final LifeguardPolicy defaultPolicy;
  private final Map<String, LifeguardPolicy> byHardwareType;

  private LifeguardPolicies(LifeguardPolicy defaultPolicy,
      Map<String, LifeguardPolicy> byHardwareType) {
    this.defaultPolicy = Objects.requireNonNull(defaultPolicy, "defaultPolicy");
    this.byHardwareType = Map.copyOf(byHardwareType);
  }

  /** {@code defaultPolicy} for every hardware type. */
  public static LifeguardPolicies of(LifeguardPolicy defaultPolicy) {
    return new LifeguardPolicies(defaultPolicy, Map.of());
  }

  /**
   * {@code defaultPolicy}, and {@code byHardwareType}'s policy for each hardware type it names.
   *
   * @throws IllegalArgumentException if a hardware type is blank
   * @throws NullPointerException if an argument, a key or a value is null
   */
  public static LifeguardPolicies of(LifeguardPolicy defaultPolicy,
      Map<String, LifeguardPolicy> byHardwareType) {
    LifeguardPolicies p = of(defaultPolicy);
    for (Map.Entry<String, LifeguardPolicy> e : new TreeMap<>(
        Objects.requireNonNull(byHardwareType, "byHardwareType")).entrySet()) {
      p = p.withHardwareType(e.getKey(), e.getValue());
    }
    return p;
  }

  /**
   * A copy in which devices of {@code hardwareType} follow {@code policy} (replacing an earlier
   * override of that type).
   *
   * @throws IllegalArgumentException if {@code hardwareType} is blank
   * @throws NullPointerException if an argument is null
   */
  public LifeguardPolicies withHardwareType(String hardwareType, LifeguardPolicy policy) {
    Objects.requireNonNull(hardwareType, "hardwareType");
    Objects.requireNonNull(policy, () -> "policy of hardware type " + hardwareType);
    if (hardwareType.isBlank()) {
      throw new IllegalArgumentException("hardware type of a Lifeguard policy must not be blank");
    }
    Map<String, LifeguardPolicy> m = new TreeMap<>(byHardwareType);
    m.put(hardwareType, policy);
    return new LifeguardPolicies(defaultPolicy, m);
  }

  /** The policy of hardware types without an override of their own. */
  public LifeguardPolicy defaultPolicy() {
    return defaultPolicy;
  }

  /** The overrides by hardware type (sorted by name). */
  public Map<String, LifeguardPolicy> byHardwareType() {
    return new TreeMap<>(byHardwareType);
  }

  /** The policy of devices of {@code hardwareType}: its override, else the default. */
  public LifeguardPolicy forHardwareType(String hardwareType) {
    return hardwareType == null ? defaultPolicy
        : byHardwareType.getOrDefault(hardwareType, defaultPolicy);
  }

  /**
   * The longest {@linkplain LifeguardPolicy#workflowBudget workflow budget} of {@code
   * pleaseEvent} over the default and every override: a bound that holds for any device.
   *
   * @throws IllegalArgumentException for an event without a workflow budget
   */
  public Duration longestWorkflowBudget(String pleaseEvent) {
    Duration longest = defaultPolicy.workflowBudget(pleaseEvent);
    for (LifeguardPolicy p : byHardwareType.values()) {
      Duration b = p.workflowBudget(pleaseEvent);
      if (b.compareTo(longest) > 0) {
        longest = b;
      }
    }
    return longest;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LifeguardPolicies p && defaultPolicy.equals(p.defaultPolicy)
        && byHardwareType.equals(p.byHardwareType);
  }

  @Override
  public int hashCode() {
    return Objects.hash(defaultPolicy, byHardwareType);
  }

  @Override
  public String toString() {
    return "LifeguardPolicies{default=" + defaultPolicy
        + (byHardwareType.isEmpty() ? "" : ", byHardwareType=" + new TreeMap<>(byHardwareType))
        + "}";
  }
}
