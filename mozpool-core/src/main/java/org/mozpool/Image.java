package org.mozpool;

import java.util.Arrays;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * An operating-system image that Lifeguard can install on a device.
 *
 * @param name unique name ({@code b2g}, {@code android}, {@code self-test})
 * @param requiredBootConfigKeys keys a request's boot config must contain (e.g. {@code b2gbase},
 *     the URL of the build to install)
 * @param reusable a device already carrying this image with an equal boot config may be handed
 *     out after a mere power cycle
 * @param hidden a utility image ({@code self-test}, {@code maintenance}) that clients cannot
 *     request
 * @param hasAgent the image runs an on-device agent that can be verified
 */
public record Image(
    String name, Set<String> requiredBootConfigKeys, boolean reusable, boolean hidden,
    boolean hasAgent) {

  /** The utility image booted to test a device. */
  public static final String SELF_TEST = "self-test";
  /** The utility image booted for humans to log in. */
  public static final String MAINTENANCE = "maintenance";

  /**
   * Validates and copies.
   *
   * @throws IllegalArgumentException if {@code name} is not 1-128 letters, digits, '.', '_', ':'
   *     or '-' starting with a letter or digit
   * @throws NullPointerException if a required key is null
   */
  public Image {
    Names.requireName(name, "image name");
    requiredBootConfigKeys = Set.copyOf(requiredBootConfigKeys == null ? Set.of() : requiredBootConfigKeys);
  }

  /**
   * Starts describing an image named {@code name}.
   *
   * @throws IllegalArgumentException if {@code name} is not 1-128 letters, digits, '.', '_', ':'
   *     or '-' starting with a letter or digit
   */
  public static Builder builder(String name) {
    return new Builder(Names.requireName(name, "image name"));
  }

  /**
   * A builder holding every value of this image, to change some of them: {@code
   * image.toBuilder().reusable(false).build()} differs from {@code image} in that flag only. The
   * name cannot change: it is the image's identity.
   */
  public Builder toBuilder() {
    Builder b = new Builder(name);
    b.keys.addAll(requiredBootConfigKeys);
    b.reusable = reusable;
    b.hidden = hidden;
    b.hasAgent = hasAgent;
    return b;
  }

  /**
   * Fluent construction of an {@link Image}. Every flag defaults to {@code false} and no boot
   * config key is required unless added. Not thread safe.
   */
  public static final class Builder {
    private final String name;
    private final Set<String> keys = new TreeSet<>();
    private boolean reusable;
    private boolean hidden;
    private boolean hasAgent;

    private Builder(String name) {
      this.name = name;
    }

    /**
     * Adds keys that a request's boot config must contain (default: none); a key given twice, in
     * one call or several, is required once.
     *
     * @throws NullPointerException if {@code keys} or one of them is null, naming the image; no
     *     key of this call is then added
     */
    public Builder requiredBootConfigKeys(String... keys) {
      Objects.requireNonNull(keys, () -> "required boot config keys of image " + name
          + " must not be null");
      for (String key : keys) {
        if (key == null) {
          throw new NullPointerException("required boot config key of image " + name
              + " must not be null, got " + Arrays.toString(keys));
        }
      }
      this.keys.addAll(Arrays.asList(keys));
      return this;
    }

    /**
     * Sets whether a device already carrying this image with an equal boot config may be handed
     * out after a mere power cycle (default {@code false}).
     */
    public Builder reusable(boolean reusable) {
      this.reusable = reusable;
      return this;
    }

    /**
     * Sets whether this is a utility image ({@code self-test}, {@code maintenance}) that clients
     * cannot request (default {@code false}).
     */
    public Builder hidden(boolean hidden) {
      this.hidden = hidden;
      return this;
    }

    /**
     * Sets whether the image runs an on-device agent that can be verified (default
     * {@code false}).
     */
    public Builder hasAgent(boolean hasAgent) {
      this.hasAgent = hasAgent;
      return this;
    }

    /** Makes the image. */
    public Image build() {
      return new Image(name, keys, reusable, hidden, hasAgent);
    }
  }
}
