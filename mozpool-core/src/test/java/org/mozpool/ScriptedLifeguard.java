package org.mozpool;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.List;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.Lifeguard;
import org.mozpool.spi.LifeguardContext;
import org.mozpool.spi.LifeguardFactory;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;

/**
 * A Lifeguard test double for the pool's tests: devices become ready when registered, and each
 * please-event ends after {@link #workTime} with the outcome scripted for the device.
 */
final class ScriptedLifeguard implements Lifeguard, LifeguardFactory {
  final Map<String, ImagingResult> outcomes = new ConcurrentHashMap<>();
  final List<String> calls = new CopyOnWriteArrayList<>();
  Duration workTime = Duration.ofMinutes(5);
  private LifeguardContext context;

  @Override
  public Lifeguard create(LifeguardContext context) {
    this.context = context;
    return this;
  }

  @Override
  public void start() {}

  @Override
  public void deviceRegistered(String device) {
    move(device, DeviceStates.READY, null);
  }

  private void move(String device, String state, java.util.function.Consumer<org.mozpool.spi.StoreTransaction> also) {
    String from = context.store().inTransaction(tx -> {
      DeviceRecord d = tx.device(device).orElseThrow(() -> new NoSuchDeviceException(device));
      MachineRecord m = d.machine();
      tx.updateMachine(MachineKind.DEVICE, device, m.version(),
          new MachineRecord(state, Map.of(), null, m.version(), m.attempt() + 1));
      if (also != null) {
        also.accept(tx);
      }
      return m.state();
    });
    context.deviceStateChanged(device, from, state);
  }

  /** Fails a device outright, as if a human parked it (outside any request). */
  void breakDevice(String device) {
    move(device, DeviceStates.FAILED_SELF_TEST, null);
  }

  @Override
  public CompletionStage<Void> pleaseImage(String device, String image, Map<String, String> bootConfig) {
    return work(device, "please_image " + image, image, bootConfig);
  }

  @Override
  public CompletionStage<Void> pleasePowerCycle(String device) {
    return work(device, "please_power_cycle", null, null);
  }

  private CompletionStage<Void> work(String device, String call, String image, Map<String, String> bootConfig) {
    calls.add(device + ": " + call);
    String state = state(device);
    if (!DeviceStates.READY.equals(state)) {
      return CompletableFuture.failedFuture(new RefusedException(device, call, state, "not ready"));
    }
    move(device, image == null ? DeviceStates.PC_POWER_CYCLING : DeviceStates.PXE_POWER_CYCLING, null);
    context.timekeeper().schedule(context.timekeeper().now().plus(workTime), () -> finish(device, image, bootConfig));
    return CompletableFuture.completedFuture(null);
  }

  private void finish(String device, String image, Map<String, String> bootConfig) {
    ImagingResult result = outcomes.getOrDefault(device, ImagingResult.COMPLETE);
    String end = result == ImagingResult.FAILED_BAD_DEVICE ? DeviceStates.FAILED_IMAGE_DOWNLOADING : DeviceStates.READY;
    String[] requestId = new String[1];
    move(device, end, tx -> {
      DeviceRecord d = tx.device(device).orElseThrow();
      if (image != null && result == ImagingResult.COMPLETE) {
        tx.updateDeviceImages(device, image, bootConfig, "", Map.of());
      } else if (result != ImagingResult.COMPLETE) {
        tx.updateDeviceImages(device, "", Map.of(), "", Map.of());
      } else {
        tx.updateDeviceImages(device, d.image(), d.bootConfig(), "", Map.of());
      }
      tx.claimOfDevice(device).ifPresent(c -> {
        tx.setImagingResult(device, result);
        requestId[0] = c.requestId();
      });
    });
    if (requestId[0] != null) {
      context.imagingResult(requestId[0], device, result);
    }
  }

  @Override
  public CompletionStage<Void> pleaseSelfTest(String device) {
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> pleaseStartMaintenance(String device) {
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> changeState(String device, String from, String to) {
    String state = state(device);
    if (!state.equals(from)) {
      return CompletableFuture.failedFuture(new ConflictException(device + " is in " + state));
    }
    move(device, to, null);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> deviceEvent(String device, String event, Map<String, Object> args) {
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> released(String device) {
    calls.add(device + ": released");
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public String state(String device) {
    return context.store().inTransaction(tx -> tx.device(device)
        .orElseThrow(() -> new NoSuchDeviceException(device)).machine().state());
  }

  @Override
  public void close() {}
}
