package org.mozpool.core;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.mozpool.ConflictException;
import org.mozpool.DeviceSpec;
import org.mozpool.HardwareType;
import org.mozpool.Image;
import org.mozpool.ImagingResult;
import org.mozpool.LogEntry;
import org.mozpool.NoSuchDeviceException;
import org.mozpool.NoSuchRequestException;
import org.mozpool.PxeConfig;
import org.mozpool.spi.Claim;
import org.mozpool.spi.DeviceFailure;
import org.mozpool.spi.DeviceQuery;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.DeviceStatisticsRecord;
import org.mozpool.spi.MachineDeadline;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;
import org.mozpool.spi.PoolStore;
import org.mozpool.spi.RequestRecord;
import org.mozpool.spi.StaleStateException;
import org.mozpool.spi.StoreTransaction;

/**
 * A {@link PoolStore} in memory: the reference implementation that every other store is held
 * against, and the fastest choice for tests and simulations. Nothing survives the JVM.
 *
 * <p>Transactions are serialised by one lock; a transaction that throws is rolled back by
 * undoing its writes in reverse order. Thread safe.
 */
public final class InMemoryPoolStore implements PoolStore {
  private static final int MAX_LOG_LINES = 10_000;

  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, HardwareType> hardwareTypes = new TreeMap<>();
  private final Map<String, Image> images = new TreeMap<>();
  private final Map<String, PxeConfig> pxeConfigs = new TreeMap<>();
  private final Map<String, String> pxeMappings = new HashMap<>();
  private final Map<String, DeviceRecord> devices = new TreeMap<>();
  /** Device names by MAC address: the unique key a SQL store has on the MAC column. */
  private final Map<String, String> deviceNamesByMac = new HashMap<>();
  /**
   * The devices no request has claimed, by machine state, each state's in name order like {@link
   * #devices}: a claim scan for unclaimed {@code ready} devices reads only those, not the whole lab.
   */
  private final Map<String, NavigableMap<String, DeviceRecord>> unclaimedByState = new HashMap<>();
  private final Map<String, RequestRecord> requests = new LinkedHashMap<>();
  private final Map<String, Claim> claimsByDevice = new HashMap<>();
  private final Map<String, Claim> claimsByRequest = new HashMap<>();
  private final Map<String, Deque<LogEntry>> logs = new HashMap<>();
  private final Map<String, List<DeviceFailure>> failures = new HashMap<>();
  private final Map<String, DeviceStatisticsRecord> statistics = new HashMap<>();

  @Override
  public <T> T inTransaction(Function<StoreTransaction, T> work) {
    lock.lock();
    Tx tx = new Tx();
    try {
      T result = work.apply(tx);
      tx.closed = true;
      return result;
    } catch (RuntimeException | Error e) {
      tx.rollback();
      throw e;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {}

  private static String mappingKey(String image, String hardwareType) {
    return image + "\u0000" + hardwareType;
  }

  private static String logKey(MachineKind kind, String id) {
    return kind.name() + "\u0000" + id;
  }

  /** Adds {@code d} to the index of unclaimed devices. */
  private void indexUnclaimed(DeviceRecord d) {
    unclaimedByState.computeIfAbsent(d.machine().state(), state -> new TreeMap<>())
        .put(d.name(), d);
  }

  /** Removes {@code d} from the index of unclaimed devices. */
  private void unindexUnclaimed(DeviceRecord d) {
    NavigableMap<String, DeviceRecord> inState = unclaimedByState.get(d.machine().state());
    inState.remove(d.name());
    if (inState.isEmpty()) {
      unclaimedByState.remove(d.machine().state());
    }
  }

  private final class Tx implements StoreTransaction {
    private final Deque<Runnable> undo = new ArrayDeque<>();
    private boolean closed;

    private void check() {
      if (closed) {
        throw new IllegalStateException("transaction is over");
      }
    }

    void rollback() {
      closed = true;
      while (!undo.isEmpty()) {
        undo.pop().run();
      }
    }

    private <K, V> void put(Map<K, V> map, K key, V value) {
      check();
      boolean had = map.containsKey(key);
      V old = map.put(key, value);
      undo.push(() -> {
        if (had) {
          map.put(key, old);
        } else {
          map.remove(key);
        }
      });
    }

    /** Stores {@code d} under its name, keeping the index of unclaimed devices in step, undoably. */
    private void putDevice(DeviceRecord d) {
      check();
      DeviceRecord old = devices.put(d.name(), d);
      boolean unclaimed = !claimsByDevice.containsKey(d.name());
      if (unclaimed) {
        if (old != null) {
          unindexUnclaimed(old);
        }
        indexUnclaimed(d);
      }
      undo.push(() -> {
        if (old == null) {
          devices.remove(d.name());
        } else {
          devices.put(d.name(), old);
        }
        if (unclaimed) {
          unindexUnclaimed(d);
          if (old != null) {
            indexUnclaimed(old);
          }
        }
      });
    }

    /** Takes the claimed device out of the index of unclaimed devices, undoably. */
    private void claimed(String device) {
      DeviceRecord d = devices.get(device);
      unindexUnclaimed(d);
      undo.push(() -> indexUnclaimed(d));
    }

    /** Puts the released device back into the index of unclaimed devices, undoably. */
    private void released(String device) {
      DeviceRecord d = devices.get(device);
      indexUnclaimed(d);
      undo.push(() -> unindexUnclaimed(d));
    }

    private <K, V> void remove(Map<K, V> map, K key) {
      check();
      if (map.containsKey(key)) {
        V old = map.remove(key);
        undo.push(() -> map.put(key, old));
      }
    }

    @Override
    public void putHardwareType(HardwareType type) {
      put(hardwareTypes, type.name(), type);
    }

    @Override
    public Optional<HardwareType> hardwareType(String name) {
      return Optional.ofNullable(hardwareTypes.get(name));
    }

    @Override
    public List<HardwareType> hardwareTypes() {
      return List.copyOf(hardwareTypes.values());
    }

    @Override
    public void putImage(Image image) {
      put(images, image.name(), image);
    }

    @Override
    public Optional<Image> image(String name) {
      return Optional.ofNullable(images.get(name));
    }

    @Override
    public List<Image> images() {
      return List.copyOf(images.values());
    }

    @Override
    public void putPxeConfig(PxeConfig config) {
      put(pxeConfigs, config.name(), config);
    }

    @Override
    public Optional<PxeConfig> pxeConfig(String name) {
      return Optional.ofNullable(pxeConfigs.get(name));
    }

    @Override
    public void mapPxeConfig(String image, String hardwareType, String pxeConfig) {
      put(pxeMappings, mappingKey(image, hardwareType), pxeConfig);
    }

    @Override
    public Optional<PxeConfig> pxeConfigFor(String image, String hardwareType) {
      String name = pxeMappings.get(mappingKey(image, hardwareType));
      return Optional.ofNullable(name).map(pxeConfigs::get).filter(PxeConfig::active);
    }

    @Override
    public void insertDevice(DeviceRecord device) {
      if (devices.containsKey(device.name())) {
        throw new ConflictException("device " + device.name() + " already exists");
      }
      requireOwnMac(device.spec());
      putDevice(device);
      put(deviceNamesByMac, device.spec().mac(), device.name());
    }

    /** Refuses a MAC address that another device has. */
    private void requireOwnMac(DeviceSpec spec) {
      String holder = deviceNamesByMac.get(spec.mac());
      if (holder != null && !holder.equals(spec.name())) {
        throw new ConflictException("MAC address " + spec.mac() + " of device " + spec.name()
            + " is already registered to device " + holder);
      }
    }

    @Override
    public Optional<DeviceRecord> deviceWithMac(String mac) {
      return Optional.ofNullable(deviceNamesByMac.get(mac)).map(devices::get);
    }

    @Override
    public Optional<DeviceRecord> device(String name) {
      return Optional.ofNullable(devices.get(name));
    }

    @Override
    public List<DeviceRecord> devices() {
      return List.copyOf(devices.values());
    }

    @Override
    public List<DeviceRecord> findDevices(DeviceQuery q) {
      List<DeviceRecord> out = new ArrayList<>();
      // An unclaimed scan in one state reads that state's index, whose devices match both.
      boolean indexed = !q.state().isEmpty() && q.unclaimedOnly();
      Collection<DeviceRecord> scanned = indexed
          ? unclaimedByState.getOrDefault(q.state(), Collections.emptyNavigableMap()).values()
          : devices.values();
      for (DeviceRecord d : scanned) {
        DeviceSpec s = d.spec();
        if ((indexed || q.state().isEmpty() || q.state().equals(d.machine().state()))
            && (indexed || !q.unclaimedOnly() || !claimsByDevice.containsKey(d.name()))
            && (q.environment().isEmpty() || q.environment().equals(s.environment()))
            && (q.hardwareType().isEmpty() || q.hardwareType().equals(s.hardwareType()))
            && (q.hardwareModel().isEmpty() || q.hardwareModel().equals(s.hardwareModel()))) {
          out.add(d);
        }
      }
      return out;
    }

    private DeviceRecord existingDevice(String name) {
      DeviceRecord d = devices.get(name);
      if (d == null) {
        throw new NoSuchDeviceException(name);
      }
      return d;
    }

    @Override
    public void updateDeviceSpec(DeviceSpec spec) {
      DeviceRecord d = existingDevice(spec.name());
      if (!spec.mac().equals(d.spec().mac())) {
        requireOwnMac(spec);
        remove(deviceNamesByMac, d.spec().mac());
        put(deviceNamesByMac, spec.mac(), spec.name());
      }
      putDevice(new DeviceRecord(spec, d.image(), d.bootConfig(), d.nextImage(),
          d.nextBootConfig(), d.callbackToken(), d.machine()));
    }

    @Override
    public void updateDeviceImages(String device, String image, Map<String, String> bootConfig,
        String nextImage, Map<String, String> nextBootConfig) {
      DeviceRecord d = existingDevice(device);
      putDevice(new DeviceRecord(d.spec(), image, bootConfig, nextImage,
          nextBootConfig, d.callbackToken(), d.machine()));
    }

    @Override
    public void updateCallbackToken(String device, String token) {
      DeviceRecord d = existingDevice(device);
      putDevice(new DeviceRecord(d.spec(), d.image(), d.bootConfig(), d.nextImage(),
          d.nextBootConfig(), token, d.machine()));
    }

    @Override
    public void insertRequest(RequestRecord request) {
      if (requests.containsKey(request.id())) {
        throw new ConflictException("request " + request.id() + " already exists");
      }
      put(requests, request.id(), request);
    }

    @Override
    public Optional<RequestRecord> request(String id) {
      return Optional.ofNullable(requests.get(id));
    }

    @Override
    public List<RequestRecord> requests() {
      List<RequestRecord> all = new ArrayList<>(requests.values());
      all.sort(Comparator.comparing(RequestRecord::createdAt).thenComparing(RequestRecord::id));
      return all;
    }

    @Override
    public List<RequestRecord> requestsInState(String state) {
      List<RequestRecord> out = new ArrayList<>();
      for (RequestRecord r : requests()) {
        if (r.machine().state().equals(state)) {
          out.add(r);
        }
      }
      return out;
    }

    @Override
    public void updateRequest(String id, Instant expiresAt, List<String> devicesTried,
        String failureReason) {
      RequestRecord r = requests.get(id);
      if (r == null) {
        throw new NoSuchRequestException(id);
      }
      put(requests, id, new RequestRecord(r.id(), r.token(), r.spec(), r.server(), r.createdAt(),
          expiresAt, devicesTried, failureReason, r.machine()));
    }

    @Override
    public void updateMachine(MachineKind kind, String id, long expectedVersion, MachineRecord next) {
      MachineRecord current = machine(kind, id).orElseThrow(() -> kind == MachineKind.DEVICE
          ? new NoSuchDeviceException(id) : new NoSuchRequestException(id));
      if (current.version() != expectedVersion) {
        throw new StaleStateException(kind, id, expectedVersion, current.version());
      }
      MachineRecord stored = new MachineRecord(next.state(), next.counters(), next.deadline(),
          expectedVersion + 1, next.attempt());
      if (kind == MachineKind.DEVICE) {
        DeviceRecord d = devices.get(id);
        putDevice(new DeviceRecord(d.spec(), d.image(), d.bootConfig(), d.nextImage(),
            d.nextBootConfig(), d.callbackToken(), stored));
      } else {
        RequestRecord r = requests.get(id);
        put(requests, id, new RequestRecord(r.id(), r.token(), r.spec(), r.server(),
            r.createdAt(), r.expiresAt(), r.devicesTried(), r.failureReason(), stored));
      }
    }

    @Override
    public Optional<MachineRecord> machine(MachineKind kind, String id) {
      if (kind == MachineKind.DEVICE) {
        return Optional.ofNullable(devices.get(id)).map(DeviceRecord::machine);
      }
      return Optional.ofNullable(requests.get(id)).map(RequestRecord::machine);
    }

    @Override
    public List<MachineDeadline> deadlines(MachineKind kind) {
      List<MachineDeadline> out = new ArrayList<>();
      if (kind == MachineKind.DEVICE) {
        devices.values().stream().filter(d -> d.machine().deadline() != null).forEach(d ->
            out.add(new MachineDeadline(kind, d.name(), d.machine().deadline())));
      } else {
        requests.values().stream().filter(r -> r.machine().deadline() != null).forEach(r ->
            out.add(new MachineDeadline(kind, r.id(), r.machine().deadline())));
      }
      return out;
    }

    @Override
    public boolean claim(String device, String requestId, Instant at) {
      check();
      if (claimsByDevice.containsKey(device) || claimsByRequest.containsKey(requestId)) {
        return false;
      }
      existingDevice(device);
      if (!requests.containsKey(requestId)) {
        throw new NoSuchRequestException(requestId);
      }
      Claim c = new Claim(device, requestId, at, null);
      put(claimsByDevice, device, c);
      put(claimsByRequest, requestId, c);
      claimed(device);
      return true;
    }

    @Override
    public Optional<Claim> claimOfDevice(String device) {
      return Optional.ofNullable(claimsByDevice.get(device));
    }

    @Override
    public Optional<Claim> claimOfRequest(String requestId) {
      return Optional.ofNullable(claimsByRequest.get(requestId));
    }

    @Override
    public Optional<Claim> releaseClaim(String requestId) {
      Claim c = claimsByRequest.get(requestId);
      if (c != null) {
        remove(claimsByRequest, requestId);
        remove(claimsByDevice, c.device());
        released(c.device());
      }
      return Optional.ofNullable(c);
    }

    @Override
    public void setImagingResult(String device, ImagingResult result) {
      Claim c = claimsByDevice.get(device);
      if (c != null) {
        Claim updated = new Claim(c.device(), c.requestId(), c.claimedAt(), result);
        put(claimsByDevice, device, updated);
        put(claimsByRequest, c.requestId(), updated);
      }
    }

    @Override
    public void appendLog(MachineKind kind, String id, LogEntry entry) {
      check();
      Deque<LogEntry> log = logs.computeIfAbsent(logKey(kind, id), k -> new ArrayDeque<>());
      log.addLast(entry);
      LogEntry dropped = log.size() > MAX_LOG_LINES ? log.pollFirst() : null;
      undo.push(() -> {
        log.pollLast();
        if (dropped != null) {
          log.addFirst(dropped);
        }
      });
    }

    @Override
    public List<LogEntry> log(MachineKind kind, String id, int limit) {
      Deque<LogEntry> log = logs.get(logKey(kind, id));
      if (log == null) {
        return List.of();
      }
      List<LogEntry> all = new ArrayList<>(log);
      return List.copyOf(all.subList(Math.max(0, all.size() - limit), all.size()));
    }

    @Override
    public int pruneLogs(Instant before) {
      check();
      int pruned = 0;
      for (Deque<LogEntry> log : logs.values()) {
        List<LogEntry> removed = new ArrayList<>();
        while (!log.isEmpty() && log.peekFirst().timestamp().isBefore(before)) {
          removed.add(log.pollFirst());
        }
        pruned += removed.size();
        if (!removed.isEmpty()) {
          undo.push(() -> {
            for (int i = removed.size() - 1; i >= 0; i--) {
              log.addFirst(removed.get(i));
            }
          });
        }
      }
      return pruned;
    }

    @Override
    public void recordFailure(DeviceFailure failure) {
      check();
      List<DeviceFailure> list = failures.computeIfAbsent(failure.device(), k -> new ArrayList<>());
      list.add(failure);
      undo.push(() -> list.remove(list.size() - 1));
    }

    @Override
    public List<DeviceFailure> failures(String device, Instant since) {
      return failures.getOrDefault(device, List.of()).stream()
          .filter(f -> !f.at().isBefore(since)).toList();
    }

    @Override
    public Optional<DeviceStatisticsRecord> deviceStatistics(String device) {
      check();
      return Optional.ofNullable(statistics.get(device));
    }

    @Override
    public void putDeviceStatistics(DeviceStatisticsRecord record) {
      put(statistics, record.device(), record);
    }
  }
}
