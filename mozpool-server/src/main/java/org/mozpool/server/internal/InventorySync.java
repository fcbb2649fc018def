package org.mozpool.server.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.mozpool.DeviceSpec;
import org.mozpool.HardwareType;
import org.mozpool.Image;
import org.mozpool.Inventory;
import org.mozpool.NoSuchDeviceException;
import org.mozpool.PxeConfig;
import org.mozpool.server.ServerConfig;
import org.mozpool.spi.Lifeguard;

/**
 * Brings the database's inventory in line with a config at start-up: registers what is new,
 * updates what changed, retires devices the config no longer lists.
 */
public final class InventorySync {
  private InventorySync() {
  }

  /** Syncs {@code config}'s inventory into {@code inventory}. */
  public static void apply(ServerConfig config, Path base, Inventory inventory,
      Lifeguard lifeguard) {
    for (ServerConfig.HardwareTypeEntry h : config.hardwareTypes()) {
      inventory.registerHardwareType(new HardwareType(h.name(), h.description()));
    }
    for (ServerConfig.PxeConfigEntry p : config.pxeConfigs()) {
      String contents = p.contents();
      if (!p.file().isBlank()) {
        try {
          contents = Files.readString(base.resolve(p.file()));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      inventory.registerPxeConfig(new PxeConfig(p.name(), p.description(), contents, true));
    }
    for (ServerConfig.ImageEntry i : config.images()) {
      inventory.registerImage(new Image(i.name(), Set.copyOf(i.bootConfigKeys()), i.reusable(),
          i.hidden(), i.hasAgent()));
      i.pxeConfigs().forEach((hw, pxe) -> inventory.mapPxeConfig(i.name(), hw, pxe));
    }
    Set<String> known = inventory.devices().stream().map(d -> d.name())
        .collect(Collectors.toSet());
    for (ServerConfig.DeviceEntry d : config.devices()) {
      if (known.contains(d.name())) {
        continue;
      }
      DeviceSpec.Builder b = DeviceSpec.builder(d.name()).mac(d.mac())
          .fqdn(d.fqdn().isBlank() ? d.name() : d.fqdn()).hardware(d.hardware(), d.model())
          .powerAddress(d.power()).comments(d.comments());
      if (!d.environment().isBlank()) {
        b.environment(d.environment());
      }
      d.tags().forEach(b::tag);
      try {
        inventory.registerDevice(b.build());
      } catch (NoSuchDeviceException e) {
        throw e;
      }
    }
  }
}
