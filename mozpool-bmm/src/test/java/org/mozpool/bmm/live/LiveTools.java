package org.mozpool.bmm.live;

import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * The system tools the live-image tests drive. A missing tool skips the test with a message on a
 * developer's machine, and fails it under {@code CI=true} (STYLE: tests that need a server or a
 * tool skip visibly, but not in CI).
 */
final class LiveTools {
  private LiveTools() {}

  /** Whether the build runs in CI, where every tool must be present. */
  static boolean ci() {
    return "true".equalsIgnoreCase(System.getenv("CI"));
  }

  /** {@code name} found on the PATH or in the usual directories. */
  static Optional<Path> find(String name) {
    String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator
        + "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      File f = new File(dir, name);
      if (f.isFile() && f.canExecute()) {
        return Optional.of(f.toPath());
      }
    }
    return Optional.empty();
  }

  /**
   * The tool {@code name}; otherwise the test is skipped, naming the Debian package that has it
   * — or fails, under {@code CI=true}.
   */
  static Path require(String name, String debianPackage) {
    Optional<Path> tool = find(name);
    if (tool.isPresent()) {
      return tool.get();
    }
    String message = name + " is not installed (apt-get install -y " + debianPackage + ")";
    if (ci()) {
      fail(message + ", and CI=true requires it");
    }
    Assumptions.abort(message + "; skipping");
    throw new AssertionError("unreachable");
  }

  /** The tools the scripts need on a Debian machine for the dash runs. */
  static final List<String> DASH_RUN_TOOLS = List.of("curl", "awk", "sed", "dd", "sha256sum",
      "timeout", "od", "head");
}
