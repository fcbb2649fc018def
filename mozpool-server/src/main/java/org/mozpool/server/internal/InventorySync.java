package org.mozpool.server.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.mozpool.ConflictException;
import org.mozpool.DeviceSpec;
import org.mozpool.DeviceStates;
import org.mozpool.DeviceView;
import org.mozpool.HardwareType;
import org.mozpool.Image;
import org.mozpool.Inventory;
import org.mozpool.PxeConfig;
import org.mozpool.server.ConfigException;
import org.mozpool.server.ConfigLoader;
import org.mozpool.server.ServerConfig;
import org.mozpool.spi.Lifeguard;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the database's inventory in line with a config at start-up (DESIGN §13): registers what
 * is new, updates what changed, retires devices the config no longer lists. Idempotent: with the
 * config the database already holds, it writes nothing and logs nothing.
 *
 * <ul>
 *   <li>Hardware types, PXE configs (active, contents read from their file if they name one),
 *       images and their PXE config per hardware type are registered or updated when they differ
 *       from what is stored. An image the config no longer lists is kept (requests and history
 *       name it) but hidden, so clients can no longer request it; it is shown again when it
 *       comes back.
 *   <li>Devices are registered for this instance (their {@linkplain DeviceSpec#server() server}
 *       is the config's {@code instance}); a device whose MAC address, fqdn, hardware, model,
 *       environment, tags, power address or comments changed is updated, without touching its
 *       state or the image it carries. A new device starts in {@code new} and self-tests.
 *   <li>A device this instance owns (server = the config's instance) that the config no longer
 *       lists is <b>retired</b>: forced into {@link DeviceStates#RETIRED}, whatever it was doing.
 *       It keeps its history, is never handed out, never powered or probed, and accepts no
 *       please-event. A request that holds it keeps its claim: a lease in {@code ready} runs to
 *       its end (the client is using the board; it is neither powered nor checked meanwhile, and
 *       its release changes nothing), while a request still waiting for Lifeguard to prepare it
 *       gives it up at its next poll and looks for another device (a request naming it fails).
 *       Devices of other instances, and devices registered for no instance in particular, are
 *       left alone.
 *   <li>A retired device that the config lists again is updated and forced from {@code retired}
 *       to {@code new}: Lifeguard's normal entry, so it self-tests before it serves again.
 * </ul>
 *
 * <p>Limits: a device renamed in the config while keeping its MAC address is refused (the old
 * name, retired, still holds the MAC address, which must be unique); PXE configs and image ×
 * hardware mappings dropped from the config stay in the database as they were.
 */
public final class InventorySync {
  private static final Logger LOG = LoggerFactory.getLogger(InventorySync.class);
  /** How long one forced state change may take (it waits for the device's machine). */
  private static final Duration STATE_CHANGE_TIMEOUT = Duration.ofSeconds(30);
  /** Attempts to retire a device that keeps moving to another state under us. */
  private static final int RETIRE_ATTEMPTS = 10;

  private final ServerConfig config;
  private final Inventory inventory;
  private final Lifeguard lifeguard;
  private final List<String> changes = new ArrayList<>();

  private InventorySync(ServerConfig config, Inventory inventory, Lifeguard lifeguard) {
    this.config = config;
    this.inventory = inventory;
    this.lifeguard = lifeguard;
  }

  /**
   * Syncs {@code config}'s inventory into {@code inventory}; files the config names are read
   * relative to {@code base}.
   *
   * @return what changed, one line each, as logged; empty when the database already matched
   * @throws ConfigException before anything is written if the config has problems (it may have
   *     been built in code rather than loaded), or if a PXE config file cannot be read or a device
   *     cannot be registered as the config says (e.g. its MAC address is registered to a device
   *     the config no longer lists)
   */
  public static List<String> apply(ServerConfig config, Path base, Inventory inventory,
      Lifeguard lifeguard) {
    ConfigLoader.check(config, base);
    InventorySync sync = new InventorySync(config, inventory, lifeguard);
    sync.hardwareTypes();
    sync.pxeConfigs(base);
    sync.images();
    sync.devices();
    return List.copyOf(sync.changes);
  }

  private void changed(String format, Object... args) {
    String line = String.format(format, args);
    changes.add(line);
    LOG.info("inventory: {}", line);
  }

  private void hardwareTypes() {
    Map<String, HardwareType> stored = byName(inventory.hardwareTypes(), HardwareType::name);
    for (ServerConfig.HardwareTypeEntry h : config.hardwareTypes()) {
      HardwareType wanted = new HardwareType(h.name(), h.description());
      HardwareType was = stored.get(h.name());
      if (!wanted.equals(was)) {
        inventory.registerHardwareType(wanted);
        changed("hardware type %s %s", h.name(), was == null ? "registered" : "updated");
      }
    }
  }

  private void pxeConfigs(Path base) {
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < config.pxeConfigs().size(); i++) {
      ServerConfig.PxeConfigEntry p = config.pxeConfigs().get(i);
      String contents = p.contents();
      if (!p.file().isBlank()) {
        Path file = base.resolve(p.file());
        try {
          contents = Files.readString(file);
        } catch (IOException e) {
          problems.add("pxe_configs[" + i + "].file: cannot read " + file + ": " + e);
          continue;
        }
      }
      PxeConfig wanted = new PxeConfig(p.name(), p.description(), contents, true);
      Optional<PxeConfig> was = inventory.pxeConfig(p.name());
      if (!was.equals(Optional.of(wanted))) {
        inventory.registerPxeConfig(wanted);
        changed("PXE config %s %s", p.name(), was.isEmpty() ? "registered" : "updated");
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
  }

  private void images() {
    Map<String, Image> stored = byName(inventory.images(), Image::name);
    Set<String> listed = new LinkedHashSet<>();
    for (ServerConfig.ImageEntry i : config.images()) {
      listed.add(i.name());
      Image wanted = new Image(i.name(), Set.copyOf(i.bootConfigKeys()), i.reusable(),
          i.hidden(), i.hasAgent());
      Image was = stored.get(i.name());
      if (!wanted.equals(was)) {
        inventory.registerImage(wanted);
        changed("image %s %s", i.name(), was == null ? "registered" : "updated");
      }
      for (Map.Entry<String, String> m : new java.util.TreeMap<>(i.pxeConfigs()).entrySet()) {
        Optional<String> mapped = inventory.pxeConfigFor(i.name(), m.getKey())
            .map(PxeConfig::name);
        if (!mapped.equals(Optional.of(m.getValue()))) {
          inventory.mapPxeConfig(i.name(), m.getKey(), m.getValue());
          changed("image %s installs on %s with PXE config %s", i.name(), m.getKey(),
              m.getValue());
        }
      }
    }
    for (Image was : stored.values()) {
      if (!listed.contains(was.name()) && !was.hidden()) {
        inventory.registerImage(new Image(was.name(), was.requiredBootConfigKeys(),
            was.reusable(), true, was.hasAgent()));
        changed("image %s is no longer in the config: hidden (clients cannot request it)",
            was.name());
      }
    }
  }

  private void devices() {
    Map<String, DeviceView> stored = byName(inventory.devices(), DeviceView::name);
    Set<String> listed = config.devices().stream().map(ServerConfig.DeviceEntry::name)
        .collect(Collectors.toSet());
    for (DeviceView d : stored.values()) {
      if (!listed.contains(d.name()) && d.spec().server().equals(config.instance())
          && !DeviceStates.RETIRED.equals(d.state())) {
        retire(d);
      }
    }
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < config.devices().size(); i++) {
      ServerConfig.DeviceEntry d = config.devices().get(i);
      DeviceSpec wanted = spec(d);
      DeviceView was = stored.get(d.name());
      if (was == null || !was.spec().equals(wanted)) {
        try {
          inventory.registerDevice(wanted);
        } catch (IllegalArgumentException e) {
          problems.add("devices[" + i + "]: " + e.getMessage());
          continue;
        }
        if (was == null) {
          changed("device %s registered", d.name());
        } else {
          changed("device %s updated: %s", d.name(), differences(was.spec(), wanted));
        }
      }
      if (was != null && DeviceStates.RETIRED.equals(was.state())) {
        await(lifeguard.changeState(d.name(), DeviceStates.RETIRED, DeviceStates.NEW),
            d.name());
        changed("device %s is in the config again: back in service, self-testing first",
            d.name());
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
  }

  /** Forces {@code device} into {@code retired} from whatever state it is in. */
  private void retire(DeviceView device) {
    String name = device.name();
    for (int attempt = 1; ; attempt++) {
      String state = lifeguard.state(name);
      if (DeviceStates.RETIRED.equals(state)) {
        return;
      }
      try {
        await(lifeguard.changeState(name, state, DeviceStates.RETIRED), name);
        String lease = inventory.device(name).claimedBy()
            .map(r -> "; request " + r + " keeps it until its lease ends").orElse("");
        changed("device %s is no longer in the config: retired (was %s)%s", name, state, lease);
        return;
      } catch (ConflictException e) {
        // the device moved on between reading its state and the change: read it again
        if (attempt == RETIRE_ATTEMPTS) {
          throw new IllegalStateException("device " + name + " could not be retired: its"
              + " state kept changing (" + e.getMessage() + ")", e);
        }
      }
    }
  }

  private static void await(CompletionStage<Void> stage, String device) {
    try {
      stage.toCompletableFuture().get(STATE_CHANGE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException("state change of device " + device + " failed", e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("state change of device " + device + " took longer than "
          + STATE_CHANGE_TIMEOUT, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while changing the state of device "
          + device, e);
    }
  }

  /** The registration a config entry asks for, owned by this instance. */
  private DeviceSpec spec(ServerConfig.DeviceEntry d) {
    DeviceSpec.Builder b = DeviceSpec.builder(d.name()).mac(d.mac())
        .fqdn(d.fqdn().isBlank() ? null : d.fqdn()).hardware(d.hardware(), d.model())
        .powerAddress(d.power()).server(config.instance()).comments(d.comments());
    if (!d.environment().isBlank()) {
      b.environment(d.environment());
    }
    d.tags().forEach(b::tag);
    return b.build();
  }

  private static String differences(DeviceSpec was, DeviceSpec is) {
    Set<String> fields = new TreeSet<>();
    diff(fields, "mac", was.mac(), is.mac());
    diff(fields, "fqdn", was.fqdn(), is.fqdn());
    diff(fields, "hardware", was.hardwareType(), is.hardwareType());
    diff(fields, "model", was.hardwareModel(), is.hardwareModel());
    diff(fields, "environment", was.environment(), is.environment());
    diff(fields, "tags", was.tags(), is.tags());
    diff(fields, "power", was.powerAddress(), is.powerAddress());
    diff(fields, "server", was.server(), is.server());
    diff(fields, "comments", was.comments(), is.comments());
    return String.join(", ", fields);
  }

  private static void diff(Set<String> fields, String field, Object was, Object is) {
    if (!was.equals(is)) {
      fields.add(field);
    }
  }

  private static <T> Map<String, T> byName(List<T> values, Function<T, String> name) {
    return values.stream().collect(Collectors.toMap(name, v -> v, (a, b) -> a,
        java.util.LinkedHashMap::new));
  }
}
