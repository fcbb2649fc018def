package org.mozpool;

import java.util.regex.Pattern;

/** Validation of the short names used throughout the inventory. */
final class Names {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");

  private Names() {}

  static String requireName(String name, String what) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          what + " must be 1-128 letters, digits, '.', '_', ':' or '-' starting with a letter or"
              + " digit, got " + (name == null ? "null" : "'" + name + "'"));
    }
    return name;
  }
}
