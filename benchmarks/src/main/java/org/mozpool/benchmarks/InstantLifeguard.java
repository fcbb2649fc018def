package org.mozpool.benchmarks;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.mozpool.DeviceStates;
import org.mozpool.ImagingResult;
import org.mozpool.NoSuchDeviceException;
import org.mozpool.spi.Lifeguard;
import org.mozpool.spi.LifeguardContext;
import org.mozpool.spi.LifeguardFactory;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;

/**
 * A device layer that takes no time: devices are ready once registered, and every please-event is
 * answered at once with {@code complete}. It isolates the pool's own cost (queue, claim, request
 * steps) from imaging, which is what the allocation-latency benchmark measures.
 */
final class InstantLifeguard implements Lifeguard, LifeguardFactory {
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
    String from = context.store().inTransaction(tx -> {
      MachineRecord m = tx.device(device).orElseThrow(() -> new NoSuchDeviceException(device)).machine();
      tx.updateMachine(MachineKind.DEVICE, device, m.version(),
          new MachineRecord(DeviceStates.READY, Map.of(), null, m.version(), m.attempt() + 1));
      return m.state();
    });
    context.deviceStateChanged(device, from, DeviceStates.READY);
  }

  private CompletionStage<Void> complete(String device) {
    String request = context.store().inTransaction(tx -> {
      tx.device(device).orElseThrow(() -> new NoSuchDeviceException(device));
      return tx.claimOfDevice(device).map(c -> {
        tx.setImagingResult(device, ImagingResult.COMPLETE);
        return c.requestId();
      }).orElse(null);
    });
    if (request != null) {
      context.imagingResult(request, device, ImagingResult.COMPLETE);
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> pleaseImage(String device, String image, Map<String, String> bootConfig) {
    return complete(device);
  }

  @Override
  public CompletionStage<Void> pleasePowerCycle(String device) {
    return complete(device);
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
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> deviceEvent(String device, String event, Map<String, Object> args) {
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> released(String device) {
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
