package org.mozpool.core.internal;

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
import org.mozpool.spi.*;

/** A StoreTransaction that forwards everything, for tests that interfere with one call. */
class ForwardingTx implements StoreTransaction {
  private final StoreTransaction delegate;

  ForwardingTx(StoreTransaction delegate) {
    this.delegate = delegate;
  }

  @Override
  public void putHardwareType(HardwareType type) {
    delegate.putHardwareType(type);
  }

  @Override
  public Optional<HardwareType> hardwareType(String name) {
    return delegate.hardwareType(name);
  }

  @Override
  public List<HardwareType> hardwareTypes() {
    return delegate.hardwareTypes();
  }

  @Override
  public void putImage(Image image) {
    delegate.putImage(image);
  }

  @Override
  public Optional<Image> image(String name) {
    return delegate.image(name);
  }

  @Override
  public List<Image> images() {
    return delegate.images();
  }

  @Override
  public void putPxeConfig(PxeConfig config) {
    delegate.putPxeConfig(config);
  }

  @Override
  public Optional<PxeConfig> pxeConfig(String name) {
    return delegate.pxeConfig(name);
  }

  @Override
  public void mapPxeConfig(String image, String hardwareType, String pxeConfig) {
    delegate.mapPxeConfig(image, hardwareType, pxeConfig);
  }

  @Override
  public Optional<PxeConfig> pxeConfigFor(String image, String hardwareType) {
    return delegate.pxeConfigFor(image, hardwareType);
  }

  @Override
  public void insertDevice(DeviceRecord device) {
    delegate.insertDevice(device);
  }

  @Override
  public Optional<DeviceRecord> device(String name) {
    return delegate.device(name);
  }

  @Override
  public List<DeviceRecord> devices() {
    return delegate.devices();
  }

  @Override
  public List<DeviceRecord> findDevices(DeviceQuery query) {
    return delegate.findDevices(query);
  }

  @Override
  public void updateDeviceSpec(DeviceSpec spec) {
    delegate.updateDeviceSpec(spec);
  }

  @Override
  public void updateDeviceImages(String device, String image, Map<String, String> bootConfig, String nextImage, Map<String, String> nextBootConfig) {
    delegate.updateDeviceImages(device, image, bootConfig, nextImage, nextBootConfig);
  }

  @Override
  public void updateCallbackToken(String device, String token) {
    delegate.updateCallbackToken(device, token);
  }

  @Override
  public void insertRequest(RequestRecord request) {
    delegate.insertRequest(request);
  }

  @Override
  public Optional<RequestRecord> request(String id) {
    return delegate.request(id);
  }

  @Override
  public List<RequestRecord> requests() {
    return delegate.requests();
  }

  @Override
  public List<RequestRecord> requestsInState(String state) {
    return delegate.requestsInState(state);
  }

  @Override
  public void updateRequest(String id, Instant expiresAt, List<String> devicesTried, String failureReason) {
    delegate.updateRequest(id, expiresAt, devicesTried, failureReason);
  }

  @Override
  public void updateMachine(MachineKind kind, String id, long expectedVersion, MachineRecord next) {
    delegate.updateMachine(kind, id, expectedVersion, next);
  }

  @Override
  public Optional<MachineRecord> machine(MachineKind kind, String id) {
    return delegate.machine(kind, id);
  }

  @Override
  public List<MachineDeadline> deadlines(MachineKind kind) {
    return delegate.deadlines(kind);
  }

  @Override
  public boolean claim(String device, String requestId, Instant at) {
    return delegate.claim(device, requestId, at);
  }

  @Override
  public Optional<Claim> claimOfDevice(String device) {
    return delegate.claimOfDevice(device);
  }

  @Override
  public Optional<Claim> claimOfRequest(String requestId) {
    return delegate.claimOfRequest(requestId);
  }

  @Override
  public Optional<Claim> releaseClaim(String requestId) {
    return delegate.releaseClaim(requestId);
  }

  @Override
  public void setImagingResult(String device, ImagingResult result) {
    delegate.setImagingResult(device, result);
  }

  @Override
  public void appendLog(MachineKind kind, String id, LogEntry entry) {
    delegate.appendLog(kind, id, entry);
  }

  @Override
  public List<LogEntry> log(MachineKind kind, String id, int limit) {
    return delegate.log(kind, id, limit);
  }

  @Override
  public int pruneLogs(Instant before) {
    return delegate.pruneLogs(before);
  }

  @Override
  public void recordFailure(DeviceFailure failure) {
    delegate.recordFailure(failure);
  }

  @Override
  public List<DeviceFailure> failures(String device, Instant since) {
    return delegate.failures(device, since);
  }

  @Override
  public Optional<DeviceStatisticsRecord> deviceStatistics(String device) {
    return delegate.deviceStatistics(device);
  }

  @Override
  public void putDeviceStatistics(DeviceStatisticsRecord statistics) {
    delegate.putDeviceStatistics(statistics);
  }
}
