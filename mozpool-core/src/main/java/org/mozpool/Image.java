package org.mozpool;

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

  public Image {
    Names.requireName(name, "image name");
    requiredBootConfigKeys = Set.copyOf(requiredBootConfigKeys == null ? Set.of() : requiredBootConfigKeys);
  }

  /** Starts describing an image named {@code name}. */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** Fluent construction of an {@link Image}; not thread safe. */
  public static final class Builder {
    private final String name;
    private final Set<String> keys = new TreeSet<>();
    private boolean reusable;
    private boolean hidden;
    private boolean hasAgent;

    private Builder(String name) {
      this.name = name;
    }

    public Builder requiredBootConfigKeys(String... keys) {
      this.keys.addAll(Set.of(keys));
      return this;
    }

    public Builder reusable(boolean reusable) {
      this.reusable = reusable;
      return this;
    }

    public Builder hidden(boolean hidden) {
      this.hidden = hidden;
      return this;
    }

    public Builder hasAgent(boolean hasAgent) {
      this.hasAgent = hasAgent;
      return this;
    }

    public Image build() {
      return new Image(name, keys, reusable, hidden, hasAgent);
    }
  }
}
