package org.mozpool.bmm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mozpool.DeviceSpec;
import org.mozpool.PxeConfig;
import org.mozpool.spi.BootControl;
import org.mozpool.spi.DeviceTarget;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Network boot through pxelinux config files in a TFTP root (DESIGN §7.2).
 *
 * <p>For a device with MAC {@code aabbccddeeff} the config is {@code
 * <root>/pxelinux.cfg/01-aa-bb-cc-dd-ee-ff}: present, the board network-boots into the live image;
 * absent, it boots from its storage. Files are written to a temporary file in the same directory
 * and renamed into place, so a booting board never reads half a config. {@code %KEY%} placeholders
 * in the config are replaced by the supplied values (Lifeguard supplies {@code DEVICE}, {@code
 * TOKEN}, {@code MAC}) and by {@code %IPADDRESS%}, the server address given at construction;
 * placeholders without a value are left as they are. Substituted values are not themselves
 * scanned for placeholders.
 *
 * <p>Thread safe. File I/O is quick, so the stages are completed before the methods return; a
 * failed write completes the stage exceptionally and leaves any previous config in place.
 */
public final class PxeBootControl implements BootControl {

  /** The key whose value is the server address given at construction. */
  public static final String IPADDRESS = "IPADDRESS";

  private static final Logger LOG = LoggerFactory.getLogger(PxeBootControl.class);
  private static final Pattern PLACEHOLDER = Pattern.compile("%([A-Za-z0-9_]+)%");

  private final Path root;
  private final String serverAddress;

  /**
   * @param tftpRoot the TFTP server's root directory (created if missing)
   * @param serverAddress the address the boards reach this server at, for {@code %IPADDRESS%}
   */
  public PxeBootControl(Path tftpRoot, String serverAddress) {
    this.root = Objects.requireNonNull(tftpRoot, "tftpRoot").toAbsolutePath().normalize();
    this.serverAddress = Objects.requireNonNull(serverAddress, "serverAddress");
    if (serverAddress.isBlank()) {
      throw new IllegalArgumentException("server address must not be blank");
    }
  }

  /** The TFTP root. */
  public Path root() {
    return root;
  }

  /** The config file of the device with {@code mac} (any common MAC notation). */
  public Path configFile(String mac) {
    String m = DeviceSpec.normalizeMac(mac);
    StringBuilder name = new StringBuilder("01");
    for (int i = 0; i < 12; i += 2) {
      name.append('-').append(m, i, i + 2);
    }
    return root.resolve("pxelinux.cfg").resolve(name.toString());
  }

  @Override
  public CompletionStage<Void> setPxeConfig(DeviceTarget device, PxeConfig config,
      Map<String, String> values) {
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(config, "config");
    try {
      Path file = writeConfig(device.mac(), config.contents(), values);
      LOG.info("device {}: PXE config {} written to {}", device.device(), config.name(), file);
      return CompletableFuture.completedFuture(null);
    } catch (RuntimeException e) {
      LOG.warn("device {}: cannot write PXE config {}: {}", device.device(), config.name(),
          e.getMessage());
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public CompletionStage<Void> clearPxeConfig(DeviceTarget device) {
    Objects.requireNonNull(device, "device");
    try {
      if (clearConfig(device.mac())) {
        LOG.info("device {}: PXE config cleared", device.device());
      }
      return CompletableFuture.completedFuture(null);
    } catch (RuntimeException e) {
      LOG.warn("device {}: cannot clear PXE config: {}", device.device(), e.getMessage());
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Writes {@code contents}, placeholders substituted, as the config of {@code mac}, atomically.
   *
   * @return the file written
   * @throws UncheckedIOException when the file cannot be written
   * @throws IllegalArgumentException when {@code mac} is not a MAC address
   */
  public Path writeConfig(String mac, String contents, Map<String, String> values) {
    Path file = configFile(mac);
    Map<String, String> all = new HashMap<>();
    if (values != null) {
      values.forEach((k, v) -> all.put(k.toUpperCase(Locale.ROOT), v));
    }
    all.put(IPADDRESS, serverAddress);
    all.putIfAbsent("MAC", DeviceSpec.normalizeMac(mac));
    String text = substitute(Objects.requireNonNull(contents, "contents"), all);
    Path dir = file.getParent();
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
      tmp = null;
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write PXE config " + file + ": " + e.getMessage(), e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException e) {
          LOG.debug("cannot delete {}", tmp, e);
        }
      }
    }
  }

  /**
   * Removes the config of {@code mac}; idempotent.
   *
   * @return whether there was one
   */
  public boolean clearConfig(String mac) {
    Path file = configFile(mac);
    try {
      return Files.deleteIfExists(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete PXE config " + file + ": " + e.getMessage(), e);
    }
  }

  /** Replaces {@code %KEY%} with {@code values.get(KEY)}; unknown placeholders stay. */
  static String substitute(String contents, Map<String, String> values) {
    Matcher m = PLACEHOLDER.matcher(contents);
    StringBuilder out = new StringBuilder(contents.length() + 64);
    while (m.find()) {
      String value = values.get(m.group(1).toUpperCase(Locale.ROOT));
      m.appendReplacement(out, Matcher.quoteReplacement(value == null ? m.group() : value));
    }
    m.appendTail(out);
    return out.toString();
  }
}
