package org.mozpool.core.internal;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import org.mozpool.DeviceSpec;
import org.mozpool.DeviceStates;
import org.mozpool.DeviceStatistics;
import org.mozpool.DeviceView;
import org.mozpool.HardwareType;
import org.mozpool.Image;
import org.mozpool.Inventory;
import org.mozpool.LogEntry;
import org.mozpool.NoSuchDeviceException;
import org.mozpool.NoSuchImageException;
import org.mozpool.PxeConfig;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.DeviceStatisticsRecord;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;
import org.mozpool.spi.StoreTransaction;

/** The pool's {@link Inventory}: registration writes through the store, each in one transaction. */
final class StandardInventory implements Inventory {
  private static final int LOG_LINES = 10_000;

  private final StandardPool pool;

  StandardInventory(StandardPool pool) {
    this.pool = pool;
  }

  private Instant now() {
    return pool.timekeeper().now();
  }

  @Override
  public void registerHardwareType(HardwareType type) {
    pool.transact(tx -> {
      tx.putHardwareType(type);
      return null;
    });
  }

  @Override
  public void registerImage(Image image) {
    pool.transact(tx -> {
      tx.putImage(image);
      return null;
    });
  }

  @Override
  public void registerPxeConfig(PxeConfig config) {
    pool.transact(tx -> {
      tx.putPxeConfig(config);
      return null;
    });
  }

  @Override
  public void mapPxeConfig(String image, String hardwareType, String pxeConfig) {
    pool.transact(tx -> {
      tx.image(image).orElseThrow(() -> new NoSuchImageException(image));
      if (tx.hardwareType(hardwareType).isEmpty()) {
        throw new IllegalArgumentException("unknown hardware type '" + hardwareType + "'");
      }
      if (tx.pxeConfig(pxeConfig).isEmpty()) {
        throw new IllegalArgumentException("unknown PXE config '" + pxeConfig + "'");
      }
      tx.mapPxeConfig(image, hardwareType, pxeConfig);
      return null;
    });
  }

  @Override
  public void registerDevice(DeviceSpec given) {
    Objects.requireNonNull(given, "device spec must not be null");
    // Shared by several instances, every device has a home: this one unless it says otherwise.
    DeviceSpec spec = pool.sharesStore() && given.server().isEmpty()
        ? given.toBuilder().server(pool.serverId()).build() : given;
    boolean created = pool.transact(tx -> {
      if (tx.hardwareType(spec.hardwareType()).isEmpty()) {
        throw new IllegalArgumentException("device " + spec.name() + " has unknown hardware type '"
            + spec.hardwareType() + "'; register it first");
      }
      // Checked in the registration's own transaction; the store's unique key on the MAC
      // address settles a race between two instances.
      Optional<DeviceRecord> sameMac = tx.deviceWithMac(spec.mac());
      if (sameMac.isPresent() && !sameMac.get().name().equals(spec.name())) {
        throw new IllegalArgumentException("MAC address " + spec.mac() + " of device "
            + spec.name() + " is already registered to device " + sameMac.get().name()
            + ": each device needs its own MAC address (it names the device's PXE config file, "
            + "pxelinux.cfg/01-" + String.join("-", spec.mac().split("(?<=\\G..)")) + ")");
      }
      Instant now = now();
      Optional<DeviceRecord> existing = tx.device(spec.name());
      if (existing.isPresent()) {
        List<String> changed = changedFields(existing.get().spec(), spec);
        if (!changed.isEmpty()) {
          tx.updateDeviceSpec(spec);
          tx.appendLog(MachineKind.DEVICE, spec.name(), new LogEntry(now, "api",
              "registration updated: " + String.join(", ", changed)));
        }
        return false;
      }
      tx.insertDevice(new DeviceRecord(spec, "", Map.of(), "", Map.of(), "",
          MachineRecord.initial(DeviceStates.NEW, now)));
      tx.appendLog(MachineKind.DEVICE, spec.name(), new LogEntry(now, "api", "registered"));
      tx.putDeviceStatistics(DeviceStatisticsRecord.starting(spec.name(), now,
          DeviceTally.familyOf(DeviceStates.NEW, "", false)));
      return true;
    });
    if (created) {
      pool.lifeguard().deviceRegistered(spec.name());
    }
  }

  /** The fields that differ between two registrations of a device, as {@code mac a → b}. */
  private static List<String> changedFields(DeviceSpec was, DeviceSpec is) {
    List<String> changed = new java.util.ArrayList<>();
    diff(changed, "fqdn", was.fqdn(), is.fqdn());
    diff(changed, "mac", was.mac(), is.mac());
    diff(changed, "hardware type", was.hardwareType(), is.hardwareType());
    diff(changed, "hardware model", was.hardwareModel(), is.hardwareModel());
    diff(changed, "environment", was.environment(), is.environment());
    diff(changed, "tags", new TreeMap<>(was.tags()), new TreeMap<>(is.tags()));
    diff(changed, "power address", was.powerAddress(), is.powerAddress());
    diff(changed, "server", was.server(), is.server());
    if (!was.comments().equals(is.comments())) {
      changed.add("comments");
    }
    return changed;
  }

  private static void diff(List<String> changed, String field, Object was, Object is) {
    if (!was.equals(is)) {
      changed.add(field + " " + (was.toString().isEmpty() ? "''" : was) + " → "
          + (is.toString().isEmpty() ? "''" : is));
    }
  }

  @Override
  public DeviceView device(String name) {
    return pool.transact(tx -> view(tx, name));
  }

  private static DeviceView view(StoreTransaction tx, String name) {
    DeviceRecord d = tx.device(name).orElseThrow(() -> new NoSuchDeviceException(name));
    return StandardPool.view(d, tx.claimOfDevice(name));
  }

  @Override
  public List<DeviceView> devices() {
    return pool.transact(tx -> tx.devices().stream()
        .map(d -> StandardPool.view(d, tx.claimOfDevice(d.name()))).toList());
  }

  @Override
  public Optional<Image> image(String name) {
    return pool.transact(tx -> tx.image(name));
  }

  @Override
  public List<Image> images() {
    return pool.transact(StoreTransaction::images);
  }

  @Override
  public List<HardwareType> hardwareTypes() {
    return pool.transact(StoreTransaction::hardwareTypes);
  }

  @Override
  public Optional<PxeConfig> pxeConfig(String name) {
    return pool.transact(tx -> tx.pxeConfig(name));
  }

  @Override
  public Optional<PxeConfig> pxeConfigFor(String image, String hardwareType) {
    return pool.transact(tx -> tx.pxeConfigFor(image, hardwareType));
  }

  @Override
  public void setComments(String device, String comments) {
    updateSpec(device, s -> new DeviceSpec(s.name(), s.fqdn(), s.mac(), s.hardwareType(),
        s.hardwareModel(), s.environment(), s.tags(), s.powerAddress(), s.server(), comments),
        "comments set");
  }

  @Override
  public void setEnvironment(String device, String environment) {
    updateSpec(device, s -> new DeviceSpec(s.name(), s.fqdn(), s.mac(), s.hardwareType(),
        s.hardwareModel(), environment, s.tags(), s.powerAddress(), s.server(), s.comments()),
        "environment set to " + environment);
  }

  private void updateSpec(String device, java.util.function.UnaryOperator<DeviceSpec> change,
      String message) {
    pool.transact(tx -> {
      DeviceRecord d = tx.device(device).orElseThrow(() -> new NoSuchDeviceException(device));
      tx.updateDeviceSpec(change.apply(d.spec()));
      tx.appendLog(MachineKind.DEVICE, device, new LogEntry(now(), "api", message));
      return null;
    });
  }

  @Override
  public List<LogEntry> deviceLog(String device) {
    return pool.transact(tx -> {
      tx.device(device).orElseThrow(() -> new NoSuchDeviceException(device));
      return tx.log(MachineKind.DEVICE, device, LOG_LINES);
    });
  }

  @Override
  public DeviceStatistics statistics(String device) {
    return pool.transact(tx -> statistics(tx,
        tx.device(device).orElseThrow(() -> new NoSuchDeviceException(device))));
  }

  @Override
  public List<DeviceStatistics> statistics() {
    return pool.transact(tx -> tx.devices().stream().map(d -> statistics(tx, d)).toList());
  }

  private DeviceStatistics statistics(StoreTransaction tx, DeviceRecord d) {
    Instant now = now();
    // A device without stored statistics (registered before they existed, or a store that keeps
    // none) reports statistics that begin now, in the family its state belongs to.
    DeviceStatisticsRecord r = tx.deviceStatistics(d.name()).orElseGet(() ->
        DeviceStatisticsRecord.starting(d.name(), now, DeviceTally.familyOf(d.machine().state(),
            d.nextImage(), false)));
    return DeviceTally.view(r, now);
  }

  @Override
  public Map<String, Integer> deviceStateCounts() {
    Map<String, Integer> counts = new TreeMap<>();
    for (DeviceRecord d : pool.transact(StoreTransaction::devices)) {
      counts.merge(d.machine().state(), 1, Integer::sum);
    }
    return counts;
  }
}
