package org.mozpool;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.DeviceTarget;
import org.mozpool.spi.Lifeguard;
import org.mozpool.spi.LifeguardContext;
import org.mozpool.spi.LifeguardFactory;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;

/**
 * A Lifeguard test double for the pool's tests: devices become ready when registered, and each
 * please-event ends after {@link #workTime} (or the device's entry in {@link #workTimes}) with the
 * outcome scripted for the device. Work whose device was moved elsewhere meanwhile (a forced
 * change) never reports, as Lifeguard's would not.
 */
final class ScriptedLifeguard implements Lifeguard, LifeguardFactory {
  final Map<String, ImagingResult> outcomes = new ConcurrentHashMap<>();
  final Map<String, Duration> workTimes = new ConcurrentHashMap<>();
  /** Runs once, just before the next please-event for the device is handled (an interloper). */
  final Map<String, Runnable> beforePlease = new ConcurrentHashMap<>();
  /** Devices whose next accepted please-event never answers (the answer is lost). */
  final Set<String> loseAnswers = ConcurrentHashMap.newKeySet();
  final List<String> calls = new CopyOnWriteArrayList<>();
  Duration workTime = Duration.ofMinutes(5);
  /** What {@link #workflowBudget} says; {@code null} = it does not say. */
  volatile Duration budget;
  /** What {@link #workflowBudget(String, DeviceTarget)} says for a device, if not {@link #budget}. */
  final Map<String, Duration> budgetsByDevice = new ConcurrentHashMap<>();
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

  /** An operator's self-test: the device is busy for {@code d}, then ready again. */
  void selfTest(String device, Duration d) {
    calls.add(device + ": self-test by an operator");
    move(device, DeviceStates.SELF_TEST_RUNNING, null);
    context.timekeeper().schedule(context.timekeeper().now().plus(d),
        () -> move(device, DeviceStates.READY, null));
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
    Runnable interloper = beforePlease.remove(device);
    if (interloper != null) {
      interloper.run();
    }
    String state = state(device);
    if (!DeviceStates.READY.equals(state)) {
      return CompletableFuture.failedFuture(new RefusedException(device, call, state, "not ready"));
    }
    String workflow = image == null ? DeviceStates.PC_POWER_CYCLING : DeviceStates.PXE_POWER_CYCLING;
    move(device, workflow, tx -> {
      DeviceRecord d = tx.device(device).orElseThrow();
      tx.updateDeviceImages(device, d.image(), d.bootConfig(), image == null ? "" : image,
          bootConfig == null ? Map.of() : bootConfig);
    });
    context.timekeeper().schedule(context.timekeeper().now().plus(workTimes.getOrDefault(device, workTime)),
        () -> finish(device, workflow, image, bootConfig));
    return loseAnswers.remove(device) ? new CompletableFuture<>() : CompletableFuture.completedFuture(null);
  }

  private void finish(String device, String workflow, String image, Map<String, String> bootConfig) {
    if (!workflow.equals(state(device))) {
      return; // interrupted: the device was moved elsewhere meanwhile
    }
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
  public Optional<Duration> workflowBudget(String pleaseEvent) {
    return Optional.ofNullable(budget);
  }

  @Override
  public Optional<Duration> workflowBudget(String pleaseEvent, DeviceTarget device) {
    Duration own = budgetsByDevice.get(device.device());
    return own != null ? Optional.of(own) : workflowBudget(pleaseEvent);
  }

  @Override
  public CompletionStage<Void> pleaseSelfTest(String device) {
    boolean claimed = context.store().inTransaction(tx -> tx.claimOfDevice(device)).isPresent();
    calls.add(device + ": please_self_test" + (claimed ? " (still claimed)" : ""));
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
