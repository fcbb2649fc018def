package org.mozpool.bmm;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.mozpool.PxeConfig;

/**
 * Sample pxelinux configs that boot a PandaBoard into the Mozpool live image, one per task:
 * {@code panda-live-install} (install an image), {@code panda-self-test} and {@code
 * panda-maintenance}. Their kernel command line carries what the live image's {@code init}
 * needs — {@code mozpool.server=http://%IPADDRESS%/}, {@code mozpool.device=%DEVICE%}, {@code
 * mozpool.token=%TOKEN%}, {@code mozpool.mac=%MAC%} and {@code mozpool.task=} — and {@link
 * PxeBootControl} fills in the placeholders when it writes a device's config. Register them
 * (adapted to the lab's kernel paths) as {@link PxeConfig}s; {@code mozpool-bmm/LIVE-IMAGE.md}
 * describes them. Stateless and thread safe.
 */
public final class PxeTemplates {

  /** The template that installs an image ({@code mozpool.task=install-image}). */
  public static final String PANDA_INSTALL = "panda-live-install";
  /** The template that self-tests a board. */
  public static final String PANDA_SELF_TEST = "panda-self-test";
  /** The template that boots a board for humans to log in over SSH. */
  public static final String PANDA_MAINTENANCE = "panda-maintenance";

  private static final List<String> NAMES =
      List.of(PANDA_INSTALL, PANDA_SELF_TEST, PANDA_MAINTENANCE);

  private PxeTemplates() {}

  /** The names of the shipped templates. */
  public static List<String> names() {
    return NAMES;
  }

  /** The text of the template named {@code name}, placeholders unfilled; empty if unknown. */
  public static Optional<String> text(String name) {
    Objects.requireNonNull(name, "name");
    if (!NAMES.contains(name)) {
      return Optional.empty();
    }
    return Optional.of(new String(LiveScripts.resource("pxe/" + name + ".cfg"),
        StandardCharsets.UTF_8));
  }

  /**
   * The template named {@code name} as an active {@link PxeConfig} of the same name.
   *
   * @throws IllegalArgumentException when there is no such template
   */
  public static PxeConfig pxeConfig(String name) {
    String text = text(name).orElseThrow(() -> new IllegalArgumentException(
        "no PXE template named '" + name + "'; expected one of " + NAMES));
    return new PxeConfig(name, "Mozpool live image: " + name, text, true);
  }
}
