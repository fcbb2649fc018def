package org.mozpool.lifeguard;

/**
 * What Lifeguard does with a device when the lease that held it ends (DESIGN §5.6). Chosen per
 * deployment through {@link LifeguardPolicy#withReleasePolicy(ReleasePolicy)} or
 * {@link LifeguardPolicy#withReleaseReimage(String, java.util.Map)}.
 *
 * <p>The policy applies only when the device is still {@code ready} and unclaimed when the
 * release reaches it; otherwise it is skipped with a line in the device's log. A released device
 * that has become a problem child (see {@link LifeguardPolicy#quarantineFailures()}) is self-tested
 * instead, whatever the policy.
 */
public enum ReleasePolicy {
  /** Hand the device out again as it is (the default, like the original Mozpool). */
  LEAVE_AS_IS,
  /** Power-cycle the device ({@code please_power_cycle}) so the next client finds it freshly booted. */
  POWER_CYCLE,
  /**
   * Re-image the device with the policy's baseline image and boot config ({@code please_image}),
   * wiping whatever the last client left on it.
   */
  REIMAGE_BASELINE
}
