package org.mozpool.testkit.sim;

import java.util.Map;
import java.util.Objects;

/**
 * What the live image learns when it fetches its boot config: the image to install, its boot
 * config, and whether the installed image runs an agent.
 */
public record InstallOrder(String image, Map<String, String> bootConfig, boolean hasAgent) {
  public InstallOrder {
    Objects.requireNonNull(image, "image");
    bootConfig = Map.copyOf(bootConfig == null ? Map.of() : bootConfig);
  }
}
