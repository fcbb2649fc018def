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
 * @param tags tags the device must carry with these values (no null keys or values)
 * @param image image to install
 * @param bootConfig boot config for the image (must contain the image's required keys; no null
 *     keys or values)
 * @param leaseDuration how long the lease lasts from creation or the last renewal, between
 *     {@link #MIN_LEASE} and {@link #MAX_LEASE}
 * @param waitBudget how long the requester will wait for a device, between {@link #MIN_WAIT} and
 *     {@link #MAX_WAIT}
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
  /** The shortest lease (and renewal): one second. */
  public static final Duration MIN_LEASE = Duration.ofSeconds(1);
  /**
   * The longest lease (and renewal): 3650 days, about ten years. Far beyond any test run or
   * reservation, and it keeps every expiry a few years from now, which every store holds
   * exactly (the SQL stores keep microseconds since the epoch in a BIGINT).
   */
  public static final Duration MAX_LEASE = Duration.ofDays(3650);
  /** The shortest wait budget: one second. */
  public static final Duration MIN_WAIT = Duration.ofSeconds(1);
  /**
   * The longest wait budget: 365 days. A request that has found no device in a year will not
   * find one; and every give-up instant stays one that every store holds exactly.
   */
  public static final Duration MAX_WAIT = Duration.ofDays(365);

  /**
   * Validates and normalises: null strings and maps become empty.
   *
   * @throws NullPointerException if {@code device}, a duration, a tag or boot config key or value
   *     is null, naming which
   * @throws IllegalArgumentException if a value is out of range, saying what was expected
   */
  public RequestSpec {
    Objects.requireNonNull(device, "device must not be null (use RequestSpec.ANY for any)");
    if (!ANY.equals(device)) {
      Names.requireName(device, "device name");
    }
    environment = Objects.requireNonNullElse(environment, "");
    hardwareType = Objects.requireNonNullElse(hardwareType, "");
    hardwareModel = Objects.requireNonNullElse(hardwareModel, "");
    tags = Entries.copyOf(tags, "tag", "request", "");
    checkImage(image);
    bootConfig = Entries.copyOf(bootConfig, "boot config", "request", "");
    checkLeaseDuration(leaseDuration);
    Durations.requireBetween(waitBudget, "wait budget", MIN_WAIT, MAX_WAIT);
    requester = Objects.requireNonNullElse(requester, "");
  }

  /**
   * Checks a lease duration as {@link Builder#build()} and {@link Lease#renew(Duration)} do.
   *
   * @return {@code duration}
   * @throws NullPointerException if it is null
   * @throws IllegalArgumentException if it is not between {@link #MIN_LEASE} and
   *     {@link #MAX_LEASE}
   */
  public static Duration checkLeaseDuration(Duration duration) {
    return Durations.requireBetween(duration, "lease duration", MIN_LEASE, MAX_LEASE);
  }

  private static String checkImage(String image) {
    if (image == null || image.isBlank()) {
      throw new IllegalArgumentException("an image is required, got "
          + (image == null ? "null" : "'" + image + "'"));
    }
    return image;
  }

  /** Whether any matching device will do. */
  public boolean isAny() {
    return ANY.equals(device);
  }

  /** Starts a request for any matching device. */
  public static Builder any() {
    return new Builder(ANY);
  }

  /**
   * Starts a request for the device named {@code name}.
   *
   * @throws IllegalArgumentException if {@code name} is not a device name
   */
  public static Builder device(String name) {
    Names.requireName(name, "device name");
    return new Builder(name);
  }

  /**
   * A builder holding every value of this spec, to change some of them: {@code
   * spec.toBuilder().priority(5).build()} differs from {@code spec} in its priority only. The
   * device cannot change; start from {@link #any()} or {@link #device(String)} for another.
   */
  public Builder toBuilder() {
    Builder b = new Builder(device);
    b.environment = environment;
    b.hardwareType = hardwareType;
    b.hardwareModel = hardwareModel;
    b.tags.putAll(tags);
    b.image = image;
    b.bootConfig.putAll(bootConfig);
    b.leaseDuration = leaseDuration;
    b.waitBudget = waitBudget;
    b.priority = priority;
    b.requester = requester;
    return b;
  }

  /**
   * Fluent construction of a {@link RequestSpec}. Each setter checks its value at once and throws,
   * naming the field and the value, when it is out of range; {@link #build()} checks that an
   * image was given. String filters given {@code null} return to their default, empty. Not thread
   * safe.
   */
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

    /**
     * Requires a device in {@code environment} (default empty: any environment; {@code null}
     * returns to it).
     */
    public Builder environment(String environment) {
      this.environment = Objects.requireNonNullElse(environment, "");
      return this;
    }

    /**
     * Requires a device of hardware type {@code hardwareType} (default empty: any type;
     * {@code null} returns to it).
     */
    public Builder hardwareType(String hardwareType) {
      this.hardwareType = Objects.requireNonNullElse(hardwareType, "");
      return this;
    }

    /**
     * Requires a device of hardware model {@code hardwareModel} (default empty: any model;
     * {@code null} returns to it).
     */
    public Builder hardwareModel(String hardwareModel) {
      this.hardwareModel = Objects.requireNonNullElse(hardwareModel, "");
      return this;
    }

    /**
     * Requires the tag {@code key} with {@code value}, replacing an earlier value of {@code key}
     * (default: no tags required).
     *
     * @throws NullPointerException if either is null
     */
    public Builder tag(String key, String value) {
      tags.put(Entries.requireKey(key, "tag", "request", ""),
          Entries.requireValue(key, value, "tag", "request", ""));
      return this;
    }

    /**
     * Sets the image to install (required, no default); {@link Pool#request(RequestSpec)}
     * throws {@link NoSuchImageException} when no image of that name is registered.
     *
     * @throws IllegalArgumentException if {@code image} is null or blank
     */
    public Builder image(String image) {
      this.image = checkImage(image);
      return this;
    }

    /**
     * Adds one boot config entry, replacing an earlier value of {@code key} (default: none).
     *
     * @throws NullPointerException if either is null
     */
    public Builder bootConfig(String key, String value) {
      bootConfig.put(Entries.requireKey(key, "boot config", "request", ""),
          Entries.requireValue(key, value, "boot config", "request", ""));
      return this;
    }

    /**
     * Adds every entry of {@code config}, replacing earlier values of its keys.
     *
     * @throws NullPointerException if {@code config}, a key or a value is null; entries before
     *     the null one may have been added
     */
    public Builder bootConfig(Map<String, String> config) {
      Objects.requireNonNull(config, "boot config must not be null");
      config.forEach(this::bootConfig);
      return this;
    }

    /**
     * Sets how long the lease lasts from creation or the last renewal (default
     * {@link #DEFAULT_LEASE}, 30 minutes).
     *
     * @param leaseDuration between {@link #MIN_LEASE} (1 s) and {@link #MAX_LEASE} (3650 days)
     * @throws NullPointerException if it is null
     * @throws IllegalArgumentException if it is out of range, naming both bounds
     */
    public Builder leaseDuration(Duration leaseDuration) {
      this.leaseDuration = checkLeaseDuration(leaseDuration);
      return this;
    }

    /**
     * Sets the lease duration.
     *
     * @deprecated use {@link #leaseDuration(Duration)}, named after the field it sets; this
     *     forwards to it and throws as it does
     */
    @Deprecated
    public Builder lease(Duration duration) {
      return leaseDuration(duration);
    }

    /**
     * Sets how long the requester will wait for a device before the request fails (default
     * {@link #DEFAULT_WAIT}, 10 minutes).
     *
     * @param waitBudget between {@link #MIN_WAIT} (1 s) and {@link #MAX_WAIT} (365 days)
     * @throws NullPointerException if it is null
     * @throws IllegalArgumentException if it is out of range, naming both bounds
     */
    public Builder waitBudget(Duration waitBudget) {
      this.waitBudget = Durations.requireBetween(waitBudget, "wait budget", MIN_WAIT, MAX_WAIT);
      return this;
    }

    /**
     * Sets the wait budget.
     *
     * @deprecated use {@link #waitBudget(Duration)}, named after the field it sets; this
     *     forwards to it and throws as it does
     */
    @Deprecated
    public Builder waitUpTo(Duration budget) {
      return waitBudget(budget);
    }

    /**
     * Sets the priority among waiting requests: higher is served first (default 0; any
     * {@code int}, negative ones below the default).
     */
    public Builder priority(int priority) {
      this.priority = priority;
      return this;
    }

    /** Sets who asked: free text, logged (default empty; {@code null} returns to it). */
    public Builder requester(String requester) {
      this.requester = Objects.requireNonNullElse(requester, "");
      return this;
    }

    /**
     * Makes the spec.
     *
     * @throws IllegalArgumentException if no image was given
     */
    public RequestSpec build() {
      return new RequestSpec(device, environment, hardwareType, hardwareModel, tags, image,
          bootConfig, leaseDuration, waitBudget, priority, requester);
    }
  }
}
