package org.mozpool.bmm.live;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Random;

/** Image artifacts and manifests (format 1, see LIVE-IMAGE.md) for the tests. */
final class Builds {
  private Builds() {}

  static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The manifest of a raw image written whole at the start of the card. */
  static String rawManifest(String file, byte[] image) {
    return "# mozpool image manifest\nformat 1\nlayout raw\nimage " + file + " " + image.length
        + " " + sha256(image) + "\n";
  }

  /**
   * An MBR whose partition {@code i + 1} starts at byte {@code starts[i]} (a multiple of 512)
   * and is {@code sizes[i]} bytes long (rounded up to sectors), type 0x83.
   */
  static byte[] mbr(long[] starts, long[] sizes) {
    byte[] mbr = new byte[512];
    for (int i = 0; i < starts.length; i++) {
      int entry = 446 + 16 * i;
      mbr[entry + 4] = (byte) 0x83;
      putLe(mbr, entry + 8, starts[i] / 512);
      putLe(mbr, entry + 12, (sizes[i] + 511) / 512);
    }
    mbr[510] = 0x55;
    mbr[511] = (byte) 0xAA;
    return mbr;
  }

  private static void putLe(byte[] b, int at, long value) {
    for (int k = 0; k < 4; k++) {
      b[at + k] = (byte) (value >>> (8 * k));
    }
  }
}
