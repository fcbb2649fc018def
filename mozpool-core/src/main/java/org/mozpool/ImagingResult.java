package org.mozpool;

/**
 * What Lifeguard reports to the request that claimed a device when its imaging or power-cycle
 * workflow ends. The wire names ({@link #wireName()}) are those of the original system.
 */
public enum ImagingResult {
  /** The device is ready with the requested image. */
  COMPLETE("complete"),
  /** The device failed; another device may succeed. */
  FAILED_BAD_DEVICE("failed-bad-device"),
  /** The image could not be fetched or failed its checksum; the device is not to blame. */
  FAILED_BAD_IMAGE("failed-bad-image");

  private final String wireName;

  ImagingResult(String wireName) {
    this.wireName = wireName;
  }

  /** The persisted and logged name, e.g. {@code failed-bad-device}. */
  public String wireName() {
    return wireName;
  }

  /** Parses a {@link #wireName()}. */
  public static ImagingResult fromWireName(String name) {
    for (ImagingResult r : values()) {
      if (r.wireName.equals(name)) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown imaging result '" + name + "'");
  }
}
