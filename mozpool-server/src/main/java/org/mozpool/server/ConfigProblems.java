package org.mozpool.server;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The problems found in one config file, each at a line and a field path ({@code devices[3].mac}),
 * and the line of every path read, so that a check on the bound records can still say where.
 * Not thread safe.
 */
final class ConfigProblems {
  private record Problem(int line, int order, String path, String message) {
  }

  private final String source;
  private final List<Problem> problems = new ArrayList<>();
  private final Map<String, Integer> lines = new HashMap<>();
  /** Paths whose values could not be read (wrong kind, unknown or repeated key). */
  private final java.util.Set<String> unreadable = new java.util.HashSet<>();

  ConfigProblems(String source) {
    this.source = source;
  }

  /** Records that {@code path}'s key (or, in a list, its value) is at {@code line}. */
  void at(String path, int line) {
    lines.putIfAbsent(path, line);
  }

  /** The line of {@code path}, or of its nearest parent that the file has; 0 if none. */
  int line(String path) {
    String p = path;
    while (true) {
      Integer line = lines.get(p);
      if (line != null) {
        return line;
      }
      if (p.isEmpty()) {
        return 0;
      }
      p = parent(p);
    }
  }

  private static String parent(String path) {
    int cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
    return cut < 0 ? "" : path.substring(0, cut);
  }

  /**
   * A value at {@code path} that could not be read, reported at {@code line} (its key's, for an
   * unknown or repeated key); checks of what it would have said are then not reported.
   */
  void unreadable(int line, String path, String message) {
    unreadable.add(path);
    problems.add(new Problem(line, problems.size(), path, message));
  }

  /** A value at {@code path}, at its line, that could not be read. */
  void unreadable(String path, String message) {
    unreadable(line(path), path, message);
  }

  /**
   * A problem with {@code path}, at its line. Skipped when {@code path} or a parent of it could
   * not be read: such a value is reported once, not again by every check that misses it.
   */
  void add(String path, String message) {
    for (String p = path; ; p = parent(p)) {
      if (unreadable.contains(p)) {
        return;
      }
      if (p.isEmpty()) {
        break;
      }
    }
    problems.add(new Problem(line(path), problems.size(), path, message));
  }

  boolean isEmpty() {
    return problems.isEmpty();
  }

  /** Every problem as {@code file:line: path: message}, in file order. */
  List<String> lines() {
    return problems.stream()
        .sorted(Comparator.comparingInt(Problem::line).thenComparingInt(Problem::order))
        .map(p -> source + (p.line() > 0 ? ":" + p.line() : "") + ": "
            + (p.path().isEmpty() ? "" : p.path() + ": ") + p.message())
        .toList();
  }

  /** Throws the problems found, if any. */
  void throwIfAny() {
    if (!problems.isEmpty()) {
      throw new ConfigException(lines());
    }
  }
}
