package org.mozpool;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Registration and inspection of what the lab holds: hardware types, images, PXE configs, the
 * image × hardware type → PXE config mapping, and devices.
 *
 * <p>Registration calls create or update: registering the inventory again at every start-up is
 * safe, and re-registering a device updates what was registered without touching its state or
 * the image it carries. Thread safe.
 */
public interface Inventory {

  /** Registers or updates a hardware type. */
  void registerHardwareType(HardwareType type);

  /** Registers or updates an image. */
  void registerImage(Image image);

  /** Registers or updates a PXE config. */
  void registerPxeConfig(PxeConfig config);

  /**
   * Declares how {@code image} is installed on {@code hardwareType}.
   *
   * @throws NoSuchImageException if the image is unknown
   * @throws IllegalArgumentException if the hardware type or PXE config is unknown
   */
  void mapPxeConfig(String image, String hardwareType, String pxeConfig);

  /**
   * Registers or updates a device. A new device starts in state {@code new} and self-tests. An
   * update logs which fields changed; registering a device exactly as it is writes nothing.
   *
   * @throws IllegalArgumentException if its hardware type is not registered, or its MAC address
   *     is registered to another device (each device's MAC names its PXE config file)
   * @throws ConflictException if another instance registered a device with that name or MAC
   *     address at the same moment
   */
  void registerDevice(DeviceSpec device);

  /** A snapshot of one device. @throws NoSuchDeviceException if unknown */
  DeviceView device(String name);

  /** Snapshots of every device, by name. */
  List<DeviceView> devices();

  /** One image, if registered. */
  Optional<Image> image(String name);

  /** Every registered image. */
  List<Image> images();

  /** Every registered hardware type. */
  List<HardwareType> hardwareTypes();

  /** One PXE config, active or not, if registered. */
  Optional<PxeConfig> pxeConfig(String name);

  /** The PXE config that installs {@code image} on {@code hardwareType}, if mapped and active. */
  Optional<PxeConfig> pxeConfigFor(String image, String hardwareType);

  /** Replaces a device's comments. @throws NoSuchDeviceException if unknown */
  void setComments(String device, String comments);

  /** Moves a device to another environment. @throws NoSuchDeviceException if unknown */
  void setEnvironment(String device, String environment);

  /** The device's log, oldest first. @throws NoSuchDeviceException if unknown */
  List<LogEntry> deviceLog(String device);

  /**
   * A device's statistics as of now (see {@link DeviceStatistics} for what each number counts).
   *
   * @throws NoSuchDeviceException if unknown
   */
  DeviceStatistics statistics(String device);

  /** Every device's statistics as of now, by device name, read in one transaction. */
  List<DeviceStatistics> statistics();

  /** Counts of devices per state, for dashboards. */
  Map<String, Integer> deviceStateCounts();
}
