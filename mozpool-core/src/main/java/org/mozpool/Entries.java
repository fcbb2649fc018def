package org.mozpool;

import java.util.Map;

/**
 * Null checks of the string maps in specs (tags, boot config), naming what holds the null: a
 * sorted map would otherwise fail in its comparator, and {@link Map#copyOf} without a word.
 */
final class Entries {
  private Entries() {}

  /**
   * An immutable copy of {@code map} (empty if null).
   *
   * @param what {@code tag}, {@code boot config}
   * @param owner {@code device}, {@code request}
   * @param ownerName the device's name; empty for none
   * @throws NullPointerException if a key or value is null
   */
  static Map<String, String> copyOf(Map<String, String> map, String what, String owner,
      String ownerName) {
    if (map == null) {
      return Map.of();
    }
    for (Map.Entry<String, String> e : map.entrySet()) {
      requireValue(requireKey(e.getKey(), what, owner, ownerName), e.getValue(), what, owner,
          ownerName);
    }
    return Map.copyOf(map);
  }

  static String requireKey(String key, String what, String owner, String ownerName) {
    if (key == null) {
      throw new NullPointerException(what + " key of " + of(owner, ownerName)
          + " must not be null");
    }
    return key;
  }

  static String requireValue(String key, String value, String what, String owner,
      String ownerName) {
    if (value == null) {
      throw new NullPointerException(what + " '" + key + "' of " + of(owner, ownerName)
          + " must have a value, got null");
    }
    return value;
  }

  // Messages are built only on failure: specs are built for every row a SQL store reads.
  private static String of(String owner, String ownerName) {
    return ownerName == null || ownerName.isEmpty() ? owner : owner + " " + ownerName;
  }
}
