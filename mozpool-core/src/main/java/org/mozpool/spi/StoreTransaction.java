package org.mozpool.spi;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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

  // ---- several instances sharing the store (DESIGN §9) ----
  //
  // Implemented by stores whose PoolStore#shareable() says so; the defaults refuse. Times here are
  // the database's own clock, never the caller's.

  /**
   * Registers instance {@code id}, or registers it again (after a restart, or after it was declared
   * dead): live, heartbeat now, epoch one more than it was.
   *
   * @return the new epoch, under which the instance does its work from now on
   */
  default long joinInstance(String id, String labNetwork, Set<String> standbyFor, String url) {
    throw notShareable();
  }

  /**
   * Renews the heartbeat of instance {@code id} if it is live at {@code epoch}.
   *
   * @return false if it is not (it was declared dead, or joined again): the caller must stop
   *     acting at once and join again
   */
  default boolean heartbeat(String id, long epoch) {
    throw notShareable();
  }

  /** Every instance that ever joined, by id, with its silence on the database clock. */
  default List<InstanceRecord> instances() {
    throw notShareable();
  }

  /**
   * Declares instance {@code id} dead if it is still live at {@code epoch} and its heartbeat is at
   * least {@code deadAfter} old on the database clock: not live, epoch bumped, and the version of
   * every device and request it drives bumped, so that a step it began before cannot commit.
   *
   * @return whether this call declared it (false: someone else did, or it spoke meanwhile)
   */
  default boolean declareDead(String id, long epoch, Duration deadAfter) {
    throw notShareable();
  }

  /**
   * Which instance drives a device or request, with that instance's current epoch and liveness.
   * Empty if the machine is unknown.
   */
  default Optional<MachineDriver> driver(MachineKind kind, String id) {
    throw notShareable();
  }

  /**
   * The ids of the machines of {@code kind} that {@code instance} drives: the requests it filed or
   * adopted, the devices registered with its id or adopted.
   */
  default Set<String> drivenBy(MachineKind kind, String instance) {
    throw notShareable();
  }

  /**
   * Moves every machine of {@code kind} that {@code from} drives to {@code to}, bumping each one's
   * version, if {@code from} is not live (nothing moves otherwise).
   *
   * @return the ids moved
   */
  default List<String> adopt(MachineKind kind, String from, String to) {
    throw notShareable();
  }

  /**
   * Appends an event for a machine to the outbox, addressed to whoever drives the machine when it
   * is taken (a store that can, wakes that instance on commit). Posts for one machine are
   * serialised (a SQL store locks the machine's row until commit), so that events become visible
   * in the order of their sequence numbers.
   *
   * @return the event's sequence number
   */
  default long postEvent(MachineKind kind, String machine, String sender, String event,
      Map<String, String> args) {
    throw notShareable();
  }

  /** Events not yet taken for machines that {@code instance} drives, oldest first, at most {@code limit}. */
  default List<MachineEvent> pendingEvents(String instance, int limit) {
    throw notShareable();
  }

  /**
   * Marks event {@code seq} taken with {@code outcome}, at most once (a store that can, wakes the
   * sender on commit).
   *
   * @return false if it was taken already (or does not exist)
   */
  default boolean takeEvent(long seq, String outcome) {
    throw notShareable();
  }

  /** The outcomes of the events among {@code seqs} that have been taken, by sequence number. */
  default Map<Long, String> eventOutcomes(Collection<Long> seqs) {
    throw notShareable();
  }

  /** Deletes events taken before {@code before} (the caller's clock); returns how many. */
  default int pruneEvents(Instant before) {
    throw notShareable();
  }

  private static UnsupportedOperationException notShareable() {
    return new UnsupportedOperationException(
        "this store cannot be shared by several instances (PoolStore.shareable() is false)");
  }
}
