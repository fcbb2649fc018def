package org.mozpool;

import java.util.Objects;

/**
 * A kind of board ({@code panda}, {@code tegra}); images are mapped to PXE configs per hardware
 * type.
 *
 * @param name short unique name
 * @param description free text for operators
 */
public record HardwareType(String name, String description) {
  public HardwareType {
    Names.requireName(name, "hardware type name");
    description = Objects.requireNonNullElse(description, "");
  }

  /** A hardware type with no description. */
  public static HardwareType of(String name) {
    return new HardwareType(name, "");
  }
}
