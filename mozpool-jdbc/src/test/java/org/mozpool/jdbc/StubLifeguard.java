package org.mozpool.jdbc;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.mozpool.ConflictException;
import org.mozpool.DeviceStates;
import org.mozpool.ImagingResult;
import org.mozpool.NoSuchDeviceException;
import org.mozpool.RefusedException;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.Lifeguard;
import org.mozpool.spi.LifeguardContext;
import org.mozpool.spi.LifeguardFactory;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;
import org.mozpool.spi.StoreTransaction;
import org.mozpool.spi.TransientStoreException;

/**
 * A Lifeguard double for pool-level persistence tests: devices are ready once registered, and
 * every please-event succeeds {@code workTime} after it was accepted. Like the real Lifeguard it
 * keeps its whole state in the store (state, next image), so that a Lifeguard started over a
 * store left by a crashed instance finishes the work that was in progress.
 */
final class StubLifeguard implements Lifeguard {
  private final LifeguardContext context;
  private final Duration workTime;

  private StubLifeguard(LifeguardContext context, Duration workTime) {
    this.context = context;
    this.workTime = workTime;
  }

  static LifeguardFactory factory(Duration workTime) {
    return context -> new StubLifeguard(context, workTime);
  }

  private static boolean busy(String state) {
    return DeviceStates.PXE_POWER_CYCLING.equals(state)
        || DeviceStates.PC_POWER_CYCLING.equals(state);
  }

  @Override
  public void start() {
    for (DeviceRecord d : context.store().inTransaction(StoreTransaction::devices)) {
      if (busy(d.machine().state())) {
        scheduleFinish(d.name());
      } else if (DeviceStates.NEW.equals(d.machine().state())) {
        deviceRegistered(d.name());
      }
    }
  }

  @Override
  public void deviceRegistered(String device) {
    move(device, DeviceStates.READY, null);
  }

  private <T> T inTransaction(java.util.function.Function<StoreTransaction, T> work) {
    for (int attempt = 1; ; attempt++) {
      try {
        return context.store().inTransaction(work);
      } catch (TransientStoreException e) {
        if (attempt == 5) {
          throw e;
        }
      }
    }
  }

  private void move(String device, String state, Consumer<StoreTransaction> also) {
    String from = inTransaction(tx -> {
      MachineRecord m = tx.machine(MachineKind.DEVICE, device)
          .orElseThrow(() -> new NoSuchDeviceException(device));
      tx.updateMachine(MachineKind.DEVICE, device, m.version(),
          new MachineRecord(state, Map.of(), null, m.version(), m.attempt() + 1));
      if (also != null) {
        also.accept(tx);
      }
      return m.state();
    });
    context.deviceStateChanged(device, from, state);
  }

  @Override
  public CompletionStage<Void> pleaseImage(String device, String image,
      Map<String, String> bootConfig) {
    return accept(device, "please_image", DeviceStates.PXE_POWER_CYCLING, tx -> {
      DeviceRecord d = tx.device(device).orElseThrow();
      tx.updateDeviceImages(device, d.image(), d.bootConfig(), image, bootConfig);
    });
  }

  @Override
  public CompletionStage<Void> pleasePowerCycle(String device) {
    return accept(device, "please_power_cycle", DeviceStates.PC_POWER_CYCLING, null);
  }

  private CompletionStage<Void> accept(String device, String event, String to,
      Consumer<StoreTransaction> also) {
    try {
      String state = state(device);
      if (!DeviceStates.READY.equals(state)) {
        return CompletableFuture.failedFuture(new RefusedException(device, event, state, "busy"));
      }
      move(device, to, also);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    scheduleFinish(device);
    return CompletableFuture.completedFuture(null);
  }

  private void scheduleFinish(String device) {
    context.timekeeper().schedule(context.timekeeper().now().plus(workTime), () -> finish(device));
  }

  private void finish(String device) {
    String[] requestId = new String[1];
    move(device, DeviceStates.READY, tx -> {
      DeviceRecord d = tx.device(device).orElseThrow();
      if (!d.nextImage().isEmpty()) {
        tx.updateDeviceImages(device, d.nextImage(), d.nextBootConfig(), "", Map.of());
      }
      tx.claimOfDevice(device).ifPresent(c -> {
        tx.setImagingResult(device, ImagingResult.COMPLETE);
        requestId[0] = c.requestId();
      });
    });
    if (requestId[0] != null) {
      context.imagingResult(requestId[0], device, ImagingResult.COMPLETE);
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
    if (!state(device).equals(from)) {
      return CompletableFuture.failedFuture(new ConflictException(device + " is not in " + from));
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
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public String state(String device) {
    return inTransaction(tx -> tx.machine(MachineKind.DEVICE, device)
        .orElseThrow(() -> new NoSuchDeviceException(device)).state());
  }

  @Override
  public void close() {}
}
