package org.mozpool;

/**
 * Validation of the short names used throughout the inventory.
 *
 * <p>A plain character loop rather than a regular expression: every device row a SQL store reads
 * is validated again, so this runs on each step's hot path.
 */
final class Names {
  private static final int MAX_LENGTH = 128;

  private Names() {}

  static String requireName(String name, String what) {
    if (!isName(name)) {
      throw new IllegalArgumentException(
          what + " must be 1-128 letters, digits, '.', '_', ':' or '-' starting with a letter or"
              + " digit, got " + (name == null ? "null" : "'" + name + "'"));
    }
    return name;
  }

  /** 1-128 ASCII letters, digits, '.', '_', ':' or '-', the first a letter or digit. */
  static boolean isName(String name) {
    if (name == null || name.isEmpty() || name.length() > MAX_LENGTH
        || !isLetterOrDigit(name.charAt(0))) {
      return false;
    }
    for (int i = 1; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!isLetterOrDigit(c) && c != '.' && c != '_' && c != ':' && c != '-') {
        return false;
      }
    }
    return true;
  }

  private static boolean isLetterOrDigit(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }
}
