package org.mozpool.lifeguard;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.mozpool.DeviceSpec;
import org.mozpool.DeviceView;
import org.mozpool.HardwareType;
import org.mozpool.Image;
import org.mozpool.ImagingResult;
import org.mozpool.LogEntry;
import org.mozpool.PleaseSender;
import org.mozpool.PxeConfig;
import org.mozpool.RequestSpec;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.core.VirtualTimekeeper;
import org.mozpool.spi.AttentionListener;
import org.mozpool.spi.BootControl;
import org.mozpool.spi.DeviceFailure;
import org.mozpool.spi.DeviceProbe;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.LifeguardContext;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;
import org.mozpool.spi.PoolStore;
import org.mozpool.spi.PowerControl;
import org.mozpool.spi.RequestRecord;
import org.mozpool.spi.Timekeeper;

/**
 * A Lifeguard over an in-memory store, virtual time and {@link FakeHardware}, with a recording
 * {@link LifeguardContext} in place of the pool. Inventory: hardware {@code panda} (PXE configs for
 * {@code b2g}, {@code android}, {@code self-test}, {@code maintenance}) and {@code tegra} (only
 * {@code android}); {@code b2g} runs an agent, {@code android} does not.
 */
final class Lab implements LifeguardContext, AutoCloseable {
  final VirtualTimekeeper tk = new VirtualTimekeeper();
  final InMemoryPoolStore store = new InMemoryPoolStore();
  final FakeHardware hw;
  final List<String> results = new CopyOnWriteArrayList<>();
  final List<String> transitions = new CopyOnWriteArrayList<>();
  final List<Attention> attention = new CopyOnWriteArrayList<>();
  StandardLifeguard lifeguard;
  /** The power control the Lifeguard is given; the fake hardware itself unless a test sets it. */
  volatile PowerControl power;
  private final AtomicInteger macs = new AtomicInteger();
  private final AtomicInteger requests = new AtomicInteger();

  record Attention(DeviceView device, List<LogEntry> recentLog) {}

  Lab() {
    this(LifeguardPolicy.defaults());
  }

  Lab(LifeguardPolicy policy) {
    this(LifeguardPolicies.of(policy));
  }

  /** A lab whose Lifeguard follows each hardware type's policy in {@code policies}. */
  Lab(LifeguardPolicies policies) {
    hw = new FakeHardware(tk, () -> lifeguard);
    store.inTransaction(tx -> {
      tx.putHardwareType(HardwareType.of("panda"));
      tx.putHardwareType(HardwareType.of("tegra"));
      tx.putImage(Image.builder("b2g").requiredBootConfigKeys("b2gbase").reusable(true)
          .hasAgent(true).build());
      tx.putImage(Image.builder("android").hasAgent(false).build());
      tx.putImage(Image.builder(Image.SELF_TEST).hidden(true).build());
      tx.putImage(Image.builder(Image.MAINTENANCE).hidden(true).build());
      for (String image : List.of("b2g", "android", Image.SELF_TEST, Image.MAINTENANCE)) {
        tx.putPxeConfig(PxeConfig.of(image + "-panda", "kernel " + image + " token=%TOKEN%"));
        tx.mapPxeConfig(image, "panda", image + "-panda");
      }
      tx.putPxeConfig(PxeConfig.of("android-tegra", "kernel android"));
      tx.mapPxeConfig("android", "tegra", "android-tegra");
      return null;
    });
    lifeguard = start(policies);
  }

  /** A new Lifeguard over this lab's store and clock, started. */
  StandardLifeguard start(LifeguardPolicy policy) {
    return start(LifeguardPolicies.of(policy));
  }

  /** A new Lifeguard with policies by hardware type over this lab's store and clock, started. */
  StandardLifeguard start(LifeguardPolicies policies) {
    StandardLifeguard lg = (StandardLifeguard) StandardLifeguard.factory(policies).create(this);
    lifeguard = lg;
    lg.start();
    return lg;
  }

  /** Adds a panda in {@code state}, its timeout armed as if it had just entered it. */
  String panda(String name, String state) {
    return device(name, "panda", state, "relay://bank/1/relay/" + name);
  }

  String device(String name, String hardware, String state, String powerAddress) {
    Duration timeout = lifeguard.policies().forHardwareType(hardware).timeout(state).orElse(null);
    Instant deadline = timeout == null ? null : tk.now().plus(timeout);
    DeviceSpec spec = DeviceSpec.builder(name).hardwareType(hardware)
        .mac(String.format("0000000000%02x", macs.incrementAndGet()))
        .powerAddress(powerAddress).build();
    store.inTransaction(tx -> {
      tx.insertDevice(new DeviceRecord(spec, "", Map.of(), "", Map.of(), "",
          MachineRecord.initial(state, deadline)));
      return null;
    });
    hw.board(name);
    lifeguard.deviceRegistered(name);
    return name;
  }

  /** Files a request record that claims {@code device}; returns the request id. */
  String claim(String device) {
    String id = "req-" + requests.incrementAndGet();
    Instant now = tk.now();
    store.inTransaction(tx -> {
      tx.insertRequest(new RequestRecord(id, "token", RequestSpec.any().image("b2g")
          .bootConfig("b2gbase", "http://builds/1").build(), "local", now,
          now.plus(Duration.ofHours(1)), List.of(device), "",
          MachineRecord.initial("pending", null)));
      if (!tx.claim(device, id, now)) {
        throw new IllegalStateException(device + " already claimed");
      }
      return null;
    });
    return id;
  }

  /**
   * Who sends a please-event to {@code device} when a test plays the pool's part: the request
   * holding its claim, or an unnamed operator when none does.
   */
  PleaseSender sender(String device) {
    return store.inTransaction(tx -> tx.claimOfDevice(device))
        .map(c -> PleaseSender.claimHolder(c.requestId())).orElse(PleaseSender.UNNAMED_OPERATOR);
  }

  void release(String requestId) {
    store.inTransaction(tx -> tx.releaseClaim(requestId));
  }

  ImagingResult claimResult(String device) {
    return store.inTransaction(tx -> tx.claimOfDevice(device)).orElseThrow().imagingResult();
  }

  DeviceRecord record(String device) {
    return store.inTransaction(tx -> tx.device(device)).orElseThrow();
  }

  String state(String device) {
    return lifeguard.state(device);
  }

  List<LogEntry> log(String device) {
    return store.inTransaction(tx -> tx.log(MachineKind.DEVICE, device, 10_000));
  }

  List<DeviceFailure> failures(String device) {
    return store.inTransaction(tx -> tx.failures(device, Instant.EPOCH));
  }

  void recordFailure(String device, String state, Duration ago) {
    store.inTransaction(tx -> {
      tx.recordFailure(new DeviceFailure(device, state, tk.now().minus(ago)));
      return null;
    });
  }

  void advance(Duration d) {
    tk.advance(d);
  }

  void advanceSeconds(long s) {
    tk.advance(Duration.ofSeconds(s));
  }

  /** Runs the simulation until {@code device} is in {@code state}, at most {@code limit} ahead. */
  boolean runUntilState(String device, String state, Duration limit) {
    return tk.runUntil(tk.now().plus(limit), () -> state.equals(state(device)));
  }

  /** Waits (in virtual time) for a stage; rethrows its failure's cause. */
  <T> T await(CompletionStage<T> stage) {
    try {
      return tk.await(stage, Duration.ofMinutes(1));
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw e;
    }
  }

  // ---- LifeguardContext ----

  @Override
  public PoolStore store() {
    return store;
  }

  @Override
  public Timekeeper timekeeper() {
    return tk;
  }

  @Override
  public PowerControl powerControl() {
    PowerControl p = power;
    return p != null ? p : hw;
  }

  @Override
  public BootControl bootControl() {
    return hw;
  }

  @Override
  public DeviceProbe deviceProbe() {
    return hw;
  }

  @Override
  public AttentionListener attentionListener() {
    return (device, recentLog) -> attention.add(new Attention(device, recentLog));
  }

  @Override
  public String serverId() {
    return "local";
  }

  @Override
  public void imagingResult(String requestId, String device, ImagingResult result) {
    results.add(requestId + " " + device + " " + result.wireName());
  }

  @Override
  public void deviceStateChanged(String device, String from, String to) {
    transitions.add(device + " " + from + "->" + to);
  }

  @Override
  public void close() {
    lifeguard.close();
    tk.close();
  }
}
