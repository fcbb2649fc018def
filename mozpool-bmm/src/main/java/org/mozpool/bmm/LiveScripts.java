package org.mozpool.bmm;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The second-stage scripts of the live image, as the server hands them to a device at {@code
 * /live/{script}} (DESIGN §13): {@code init}, the task scripts {@code install-image}, {@code
 * self-test} and {@code maintenance}, and {@code mozpool-lib}, the functions they share. They are
 * POSIX sh scripts shipped with this module (resources under {@code org/mozpool/bmm/live/}), so
 * that they are versioned with the pool that speaks to them; {@code mozpool-bmm/LIVE-IMAGE.md}
 * documents them.
 *
 * <p>Only the names in {@link #names()} are served; {@link #initramfsInit()} is a sample {@code
 * /init} to build into a live image, not for devices to fetch. Stateless and thread safe.
 */
public final class LiveScripts {

  /** The script a live image runs first. */
  public static final String INIT = "init";
  /** The shared functions every script sources. */
  public static final String LIBRARY = "mozpool-lib";

  private static final List<String> NAMES =
      List.of(INIT, "install-image", "self-test", "maintenance", LIBRARY);
  private static final String DIRECTORY = "live/";

  private LiveScripts() {}

  /** The names of the scripts a device may fetch, {@link #INIT} first. */
  public static List<String> names() {
    return NAMES;
  }

  /**
   * The bytes of the script named {@code name}, or empty when there is no such script (names
   * are matched exactly: no paths, no case folding).
   *
   * @throws UncheckedIOException when the module's resource cannot be read
   */
  public static Optional<byte[]> script(String name) {
    Objects.requireNonNull(name, "name");
    if (!NAMES.contains(name)) {
      return Optional.empty();
    }
    return Optional.of(resource(DIRECTORY + name));
  }

  /** A sample {@code /init} for a BusyBox initramfs that fetches and runs {@link #INIT}. */
  public static byte[] initramfsInit() {
    return resource(DIRECTORY + "initramfs-init");
  }

  /** Reads a resource of this package; every one named here ships with the module. */
  static byte[] resource(String path) {
    try (InputStream in = LiveScripts.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("resource org/mozpool/bmm/" + path
            + " is missing from the mozpool-bmm jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read resource org/mozpool/bmm/" + path, e);
    }
  }
}
