package org.mozpool;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What a client asks the pool for: which device ({@code any} or a named one, filtered by
 * environment, hardware and tags), with which image and boot config, for how long, and how long
 * it is willing to wait. Immutable; build with {@link #any()} or {@link #device(String)}.
 *
 * @param device a device name, or {@link #ANY}
 * @param environment required environment, or empty for any
 * @param hardwareType required hardware type, or empty for any
 * @param hardwareModel required hardware model, or empty for any
 * @param tags tags the device must carry with these values
 * @param image image to install
 * @param bootConfig boot config for the image (must contain the image's required keys)
 * @param leaseDuration how long the lease lasts from creation or the last renewal
 * @param waitBudget how long the requester will wait for a device
 * @param priority higher is served first among waiting requests
 * @param requester who asked (free text, logged)
 */
public record RequestSpec(
    String device, String environment, String hardwareType, String hardwareModel,
    Map<String, String> tags, String image, Map<String, String> bootConfig,
    Duration leaseDuration, Duration waitBudget, int priority, String requester) {

  /** The device name meaning "any matching device". */
  public static final String ANY = "any";
  /** Default wait budget: 10 minutes. */
  public static final Duration DEFAULT_WAIT = Duration.ofMinutes(10);
  /** Default lease: 30 minutes. */
  public static final Duration DEFAULT_LEASE = Duration.ofMinutes(30);

  public RequestSpec {
    Objects.requireNonNull(device, "device");
    environment = Objects.requireNonNullElse(environment, "");
    hardwareType = Objects.requireNonNullElse(hardwareType, "");
    hardwareModel = Objects.requireNonNullElse(hardwareModel, "");
    tags = Map.copyOf(tags == null ? Map.of() : tags);
    if (image == null || image.isBlank()) {
      throw new IllegalArgumentException("an image is required");
    }
    bootConfig = Map.copyOf(bootConfig == null ? Map.of() : bootConfig);
    requirePositive(leaseDuration, "lease duration");
    requirePositive(waitBudget, "wait budget");
    requester = Objects.requireNonNullElse(requester, "");
  }

  static void requirePositive(Duration d, String what) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, got " + d);
    }
  }

  /** Whether any matching device will do. */
  public boolean isAny() {
    return ANY.equals(device);
  }

  /** Starts a request for any matching device. */
  public static Builder any() {
    return new Builder(ANY);
  }

  /** Starts a request for the device named {@code name}. */
  public static Builder device(String name) {
    Names.requireName(name, "device name");
    return new Builder(name);
  }

  /** Fluent construction of a {@link RequestSpec}; validates in {@link #build()}. */
  public static final class Builder {
    private final String device;
    private String environment = "";
    private String hardwareType = "";
    private String hardwareModel = "";
    private final Map<String, String> tags = new TreeMap<>();
    private String image;
    private final Map<String, String> bootConfig = new TreeMap<>();
    private Duration leaseDuration = DEFAULT_LEASE;
    private Duration waitBudget = DEFAULT_WAIT;
    private int priority;
    private String requester = "";

    private Builder(String device) {
      this.device = device;
    }

    public Builder environment(String environment) {
      this.environment = environment;
      return this;
    }

    public Builder hardwareType(String type) {
      this.hardwareType = type;
      return this;
    }

    public Builder hardwareModel(String model) {
      this.hardwareModel = model;
      return this;
    }

    public Builder tag(String key, String value) {
      tags.put(key, value);
      return this;
    }

    public Builder image(String image) {
      this.image = image;
      return this;
    }

    public Builder bootConfig(String key, String value) {
      bootConfig.put(key, value);
      return this;
    }

    public Builder bootConfig(Map<String, String> config) {
      bootConfig.putAll(config);
      return this;
    }

    public Builder lease(Duration duration) {
      this.leaseDuration = duration;
      return this;
    }

    public Builder waitUpTo(Duration budget) {
      this.waitBudget = budget;
      return this;
    }

    public Builder priority(int priority) {
      this.priority = priority;
      return this;
    }

    public Builder requester(String requester) {
      this.requester = requester;
      return this;
    }

    public RequestSpec build() {
      return new RequestSpec(device, environment, hardwareType, hardwareModel, tags, image,
          bootConfig, leaseDuration, waitBudget, priority, requester);
    }
  }
}
