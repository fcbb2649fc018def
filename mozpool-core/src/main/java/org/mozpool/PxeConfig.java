package org.mozpool;

import java.util.Objects;

/**
 * A pxelinux configuration that network-boots a board into a live image. Its contents may hold
 * placeholders that the boot control substitutes when it writes the file: {@code %IPADDRESS%}
 * (the server's address), {@code %DEVICE%} (the device name), {@code %TOKEN%} (the device's
 * callback token), {@code %MAC%}.
 *
 * @param name unique name
 * @param description free text
 * @param contents the pxelinux config text
 * @param active inactive configs are kept for history but never used
 */
public record PxeConfig(String name, String description, String contents, boolean active) {
  public PxeConfig {
    Names.requireName(name, "PXE config name");
    description = Objects.requireNonNullElse(description, "");
    Objects.requireNonNull(contents, "contents");
  }

  /** An active PXE config. */
  public static PxeConfig of(String name, String contents) {
    return new PxeConfig(name, "", contents, true);
  }
}
