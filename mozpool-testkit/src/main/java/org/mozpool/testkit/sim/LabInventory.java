package org.mozpool.testkit.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.mozpool.DeviceSpec;
import org.mozpool.HardwareType;
import org.mozpool.Image;
import org.mozpool.Inventory;
import org.mozpool.PxeConfig;

/**
 * The standard simulated lab's inventory: hardware type {@code panda}; images {@code b2g}
 * (reusable, needs {@code b2gbase}), {@code android}, and the hidden {@code self-test} and
 * {@code maintenance}; a PXE config for each, whose {@code mozpool.mode=} tells the simulated live
 * image what to do; and pandas in chassis on ProXR relay boards, one board per chassis, addressed
 * {@code proxr://relay-N.lab:2101/bank/B/relay/R}.
 */
public final class LabInventory {
  /** The hardware type of every simulated board. */
  public static final String PANDA = "panda";
  /** The relay-board port of the power addresses. */
  public static final int RELAY_PORT = 2101;

  private LabInventory() {}

  /**
   * A pxelinux config for the simulated live image in {@code mode} ({@code install},
   * {@code self-test}, {@code maintenance}), installing {@code image} (empty for the utility
   * modes). The kernel command line carries what the live image needs: the server address, the
   * device name, its callback token, the mode and the image.
   */
  public static String pxeConfigText(String mode, String image) {
    return "default live\nlabel live\n  kernel panda/uImage\n  initrd panda/uInitrd\n"
        + "  append ip=dhcp mozpool.server=http://%IPADDRESS%/ mozpool.device=%DEVICE%"
        + " mozpool.token=%TOKEN% mozpool.mode=" + mode
        + (image.isEmpty() ? "" : " mozpool.image=" + image) + "\n";
  }

  /** The value of {@code mozpool.<key>=} on a config's kernel command line, if present. */
  public static java.util.Optional<String> kernelArg(String pxeConfig, String key) {
    String marker = "mozpool." + key + "=";
    int i = pxeConfig.indexOf(marker);
    if (i < 0) {
      return java.util.Optional.empty();
    }
    int end = i + marker.length();
    while (end < pxeConfig.length() && !Character.isWhitespace(pxeConfig.charAt(end))) {
      end++;
    }
    return java.util.Optional.of(pxeConfig.substring(i + marker.length(), end));
  }

  /** Registers the hardware type, images, PXE configs and their mappings. Idempotent. */
  public static void registerImages(Inventory inventory) {
    registerImages(inventory, java.util.Set.of(PANDA), List.of());
  }

  /**
   * Like {@link #registerImages(Inventory)}, and also: every hardware type of {@code
   * hardwareTypes} gets the same PXE configs as {@code panda}, and every image of {@code
   * extraImages} is registered (with an agent, not reusable) with an install config {@code
   * panda-<image>} mapped for every one of those types, which the simulated live image installs
   * as it installs {@code android}. Idempotent.
   */
  public static void registerImages(Inventory inventory, java.util.Collection<String> hardwareTypes,
      java.util.Collection<String> extraImages) {
    inventory.registerHardwareType(new HardwareType(PANDA, "PandaBoard ES"));
    for (String extra : extraImages) {
      inventory.registerImage(Image.builder(extra).hasAgent(true).build());
      inventory.registerPxeConfig(new PxeConfig("panda-" + extra, extra + " live installer",
          pxeConfigText("install", extra), true));
      inventory.mapPxeConfig(extra, PANDA, "panda-" + extra);
    }
    inventory.registerImage(Image.builder("b2g").requiredBootConfigKeys("b2gbase")
        .reusable(true).hasAgent(true).build());
    inventory.registerImage(Image.builder("android").hasAgent(true).build());
    inventory.registerImage(Image.builder(Image.SELF_TEST).hidden(true).build());
    inventory.registerImage(Image.builder(Image.MAINTENANCE).hidden(true).build());
    inventory.registerPxeConfig(new PxeConfig("panda-b2g", "B2G live installer",
        pxeConfigText("install", "b2g"), true));
    inventory.registerPxeConfig(new PxeConfig("panda-android", "Android live installer",
        pxeConfigText("install", "android"), true));
    inventory.registerPxeConfig(new PxeConfig("panda-self-test", "self-test",
        pxeConfigText("self-test", ""), true));
    inventory.registerPxeConfig(new PxeConfig("panda-maintenance", "maintenance",
        pxeConfigText("maintenance", ""), true));
    inventory.mapPxeConfig("b2g", PANDA, "panda-b2g");
    inventory.mapPxeConfig("android", PANDA, "panda-android");
    inventory.mapPxeConfig(Image.SELF_TEST, PANDA, "panda-self-test");
    inventory.mapPxeConfig(Image.MAINTENANCE, PANDA, "panda-maintenance");
    for (String type : hardwareTypes) {
      if (type.equals(PANDA)) {
        continue;
      }
      inventory.registerHardwareType(new HardwareType(type, "simulated " + type));
      for (String image : List.of("b2g", "android", Image.SELF_TEST, Image.MAINTENANCE)) {
        inventory.mapPxeConfig(image, type, "panda-" + image);
      }
      for (String extra : extraImages) {
        inventory.mapPxeConfig(extra, type, "panda-" + extra);
      }
    }
  }

  /**
   * {@code count} pandas named {@code panda-0001}…, {@code chassisSize} to a chassis, each chassis
   * on its own relay board ({@code relay-1.lab}, …) at banks of 8 relays.
   */
  public static List<DeviceSpec> pandas(int count, int chassisSize) {
    return pandas(count, chassisSize, i -> "relay-" + i + ".lab", RELAY_PORT);
  }

  /** Like {@link #pandas(int, int)}, with relay boards at {@code host(board)}:{@code port}. */
  public static List<DeviceSpec> pandas(int count, int chassisSize,
      java.util.function.IntFunction<String> host, int port) {
    if (count < 1) {
      throw new IllegalArgumentException("a lab needs at least one device, got " + count);
    }
    if (chassisSize < 1 || chassisSize > 32) {
      throw new IllegalArgumentException(
          "a chassis holds 1 to 32 boards (4 banks of 8 relays), got " + chassisSize);
    }
    List<DeviceSpec> specs = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int chassis = i / chassisSize + 1;
      int slot = i % chassisSize;
      String name = String.format(Locale.ROOT, "panda-%04d", i + 1);
      specs.add(DeviceSpec.builder(name)
          .fqdn(name + ".lab")
          .mac(String.format(Locale.ROOT, "00163e%06x", i + 1))
          .hardwareType(PANDA).hardwareModel("ES Rev B2")
          .tag("chassis", Integer.toString(chassis))
          .powerAddress("proxr://" + host.apply(chassis) + ":" + port + "/bank/" + (slot / 8 + 1)
              + "/relay/" + (slot % 8 + 1))
          .build());
    }
    return specs;
  }

  /** The relay board part ({@code host:port}) of a {@code proxr://} power address. */
  public static String relayBoard(String powerAddress) {
    String rest = powerAddress.substring(powerAddress.indexOf("://") + 3);
    int slash = rest.indexOf('/');
    return slash < 0 ? rest : rest.substring(0, slash);
  }
}
