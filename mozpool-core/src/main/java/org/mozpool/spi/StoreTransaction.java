package org.mozpool.spi;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.mozpool.DeviceSpec;
import org.mozpool.HardwareType;
import org.mozpool.Image;
import org.mozpool.ImagingResult;
import org.mozpool.LogEntry;
import org.mozpool.PxeConfig;

/**
 * The operations available inside one {@link PoolStore#inTransaction} call. Not thread safe: use
 * it only on the thread that received it, and only until {@code work} returns.
 *
 * <p>Lists are returned in a stable order: devices by name, requests by creation time then id,
 * logs oldest first.
 */
public interface StoreTransaction {

  // ---- inventory ----

  /** Inserts or replaces a hardware type. */
  void putHardwareType(HardwareType type);

  /** One hardware type. */
  Optional<HardwareType> hardwareType(String name);

  /** All hardware types by name. */
  List<HardwareType> hardwareTypes();

  /** Inserts or replaces an image. */
  void putImage(Image image);

  /** One image. */
  Optional<Image> image(String name);

  /** All images by name. */
  List<Image> images();

  /** Inserts or replaces a PXE config. */
  void putPxeConfig(PxeConfig config);

  /** One PXE config. */
  Optional<PxeConfig> pxeConfig(String name);

  /** Sets (or replaces) the PXE config that installs {@code image} on {@code hardwareType}. */
  void mapPxeConfig(String image, String hardwareType, String pxeConfig);

  /** The active PXE config that installs {@code image} on {@code hardwareType}. */
  Optional<PxeConfig> pxeConfigFor(String image, String hardwareType);

  // ---- devices ----

  /**
   * Adds a device.
   *
   * @throws org.mozpool.ConflictException if the name exists, or another device has its MAC
   *     address (a SQL store enforces this with a unique key, so that two instances registering at
   *     once cannot both succeed)
   */
  void insertDevice(DeviceRecord device);

  /** One device. */
  Optional<DeviceRecord> device(String name);

  /**
   * The device whose MAC address is {@code mac} (12 lower-case hex digits), if any. The default
   * scans {@link #devices()}; stores override it with a look-up.
   */
  default Optional<DeviceRecord> deviceWithMac(String mac) {
    return devices().stream().filter(d -> d.spec().mac().equals(mac)).findFirst();
  }

  /** All devices by name. */
  List<DeviceRecord> devices();

  /** Devices matching {@code query}, by name. */
  List<DeviceRecord> findDevices(DeviceQuery query);

  /**
   * Replaces a device's registration (not its machine or images).
   *
   * @throws org.mozpool.NoSuchDeviceException if the device is unknown
   * @throws org.mozpool.ConflictException if another device has the new MAC address
   */
  void updateDeviceSpec(DeviceSpec spec);

  /** Replaces what a device carries and is about to carry. */
  void updateDeviceImages(String device, String image, Map<String, String> bootConfig,
      String nextImage, Map<String, String> nextBootConfig);

  /** Replaces a device's callback token. */
  void updateCallbackToken(String device, String token);

  // ---- requests ----

  /** Adds a request. @throws org.mozpool.ConflictException if the id exists */
  void insertRequest(RequestRecord request);

  /** One request. */
  Optional<RequestRecord> request(String id);

  /** All requests, oldest first. */
  List<RequestRecord> requests();

  /** Requests whose machine is in {@code state}, oldest first. */
  List<RequestRecord> requestsInState(String state);

  /** Replaces a request's lease expiry, devices tried and failure reason (not its machine). */
  void updateRequest(String id, Instant expiresAt, List<String> devicesTried, String failureReason);

  // ---- machines ----

  /**
   * Writes a machine if its stored version is still {@code expectedVersion}.
   *
   * @throws StaleStateException otherwise
   */
  void updateMachine(MachineKind kind, String id, long expectedVersion, MachineRecord next);

  /** One machine. */
  Optional<MachineRecord> machine(MachineKind kind, String id);

  /** Every machine of {@code kind} that has a deadline. */
  List<MachineDeadline> deadlines(MachineKind kind);

  // ---- claims ----

  /**
   * Claims {@code device} for {@code requestId}.
   *
   * @return false if the device or the request already has a claim (nothing changes)
   */
  boolean claim(String device, String requestId, Instant at);

  /** The claim on a device. */
  Optional<Claim> claimOfDevice(String device);

  /** The claim a request holds. */
  Optional<Claim> claimOfRequest(String requestId);

  /** Removes the request's claim; returns what was removed. */
  Optional<Claim> releaseClaim(String requestId);

  /** Records the imaging result on the device's claim; no-op if it has none. */
  void setImagingResult(String device, ImagingResult result);

  // ---- logs and history ----

  /** Appends a log line to a device's or request's log. */
  void appendLog(MachineKind kind, String id, LogEntry entry);

  /** The last {@code limit} log lines, oldest first. */
  List<LogEntry> log(MachineKind kind, String id, int limit);

  /** Deletes log lines older than {@code before}; returns how many. */
  int pruneLogs(Instant before);

  /** Records a failure in a device's history. */
  void recordFailure(DeviceFailure failure);

  /** A device's failures at or after {@code since}, oldest first. */
  List<DeviceFailure> failures(String device, Instant since);

  // ---- statistics ----

  /**
   * A device's statistics as last {@linkplain #putDeviceStatistics put}, if any. The default, for
   * a store written before statistics existed, keeps none: Mozpool then reports every device's
   * statistics as just begun.
   */
  default Optional<DeviceStatisticsRecord> deviceStatistics(String device) {
    return Optional.empty();
  }

  /**
   * Inserts or replaces a device's statistics (one row per device in a SQL store: Lifeguard calls
   * this at most once per step, in the step's transaction). The default keeps nothing.
   */
  default void putDeviceStatistics(DeviceStatisticsRecord statistics) {
  }
}
