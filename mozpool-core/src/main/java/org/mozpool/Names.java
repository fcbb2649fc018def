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

  /** The longest host name RFC 1123 allows (written without the trailing dot). */
  static final int MAX_HOST_NAME = 253;
  private static final int MAX_LABEL = 63;

  /**
   * A host name as RFC 1123 (section 2.1) allows it: at most 253 characters, dot-separated labels
   * of 1-63 ASCII letters, digits or '-', none starting or ending with '-'. IPv4 addresses in
   * dotted form qualify.
   */
  static boolean isHostName(String host) {
    if (host == null || host.isEmpty() || host.length() > MAX_HOST_NAME) {
      return false;
    }
    int labelStart = 0;
    for (int i = 0; i <= host.length(); i++) {
      if (i == host.length() || host.charAt(i) == '.') {
        int length = i - labelStart;
        if (length == 0 || length > MAX_LABEL || host.charAt(labelStart) == '-'
            || host.charAt(i - 1) == '-') {
          return false;
        }
        labelStart = i + 1;
      } else if (!isLetterOrDigit(host.charAt(i)) && host.charAt(i) != '-') {
        return false;
      }
    }
    return true;
  }

  /** {@code 'value'}, shortened to its first 64 characters and its length when longer. */
  static String quote(String value) {
    if (value == null) {
      return "null";
    }
    return value.length() <= 64 ? "'" + value + "'"
        : "'" + value.substring(0, 64) + "…' (" + value.length() + " characters)";
  }

  static boolean isLetterOrDigit(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }
}
