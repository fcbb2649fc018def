package org.mozpool.server.internal.api;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.mozpool.DeviceView;
import org.mozpool.server.ServerConfig;
import org.mozpool.server.internal.ServerContext;
import org.mozpool.spi.InstanceRecord;
import org.mozpool.spi.MachineKind;

/**
 * Which instance drives which device and request (DESIGN §9), as the API shows it and routes by.
 * With a {@code cluster:} config the store says (adoption changes it); alone on the store, this
 * instance drives every request, and every device whose home is this instance or none.
 *
 * <p>Reads are one transaction each; lists read every instance's machines at once
 * ({@code instances()} then {@code drivenBy} per instance) rather than one look per row.
 */
final class Drivers {
  private Drivers() {
  }

  /** Whether other instances may share the store (the config has a {@code cluster:} section). */
  static boolean shared(ServerContext s) {
    return s.config().cluster() != null;
  }

  /** The database-clock silence after which an instance counts as dead. */
  static Duration deadAfter(ServerContext s) {
    ServerConfig.Cluster c = s.config().cluster();
    return Duration.ofMillis(c == null ? 15_000 : c.deadAfterMs());
  }

  /** This instance's id. */
  static String here(ServerContext s) {
    return s.config().instance();
  }

  /** The instance driving device {@code d} now. */
  static String ofDevice(ServerContext s, DeviceView d) {
    if (!shared(s)) {
      return d.spec().server().isEmpty() ? here(s) : d.spec().server();
    }
    return s.store().inTransaction(tx -> tx.driver(MachineKind.DEVICE, d.name()))
        .map(m -> m.instance()).orElse("");
  }

  /** The instance driving request {@code id} now (alone: this one). */
  static String ofRequest(ServerContext s, String id) {
    if (!shared(s)) {
      return here(s);
    }
    return s.store().inTransaction(tx -> tx.driver(MachineKind.REQUEST, id))
        .map(m -> m.instance()).orElse("");
  }

  /**
   * The driving instance of every machine of {@code kind} that some instance drives, by machine
   * id; alone on the store, empty (callers fall back to {@link #ofDevice} / {@link #here}).
   */
  static Map<String, String> all(ServerContext s, MachineKind kind) {
    if (!shared(s)) {
      return Map.of();
    }
    return s.store().inTransaction(tx -> {
      Map<String, String> out = new HashMap<>();
      for (InstanceRecord i : tx.instances()) {
        tx.drivenBy(kind, i.id()).forEach(id -> out.put(id, i.id()));
      }
      return out;
    });
  }

  /** Every instance on the store; alone, empty. */
  static List<InstanceRecord> instances(ServerContext s) {
    return shared(s) ? s.store().inTransaction(tx -> tx.instances()) : List.of();
  }

  /** The record of instance {@code id}, if it ever joined. */
  static Optional<InstanceRecord> instance(ServerContext s, String id) {
    return instances(s).stream().filter(i -> i.id().equals(id)).findFirst();
  }

  /**
   * Whether {@code i} answers: not declared dead, and heard from within the dead-after silence
   * (an instance silent longer is dead even before another declares it).
   */
  static boolean answering(ServerContext s, InstanceRecord i) {
    return i.live() && i.silence().compareTo(deadAfter(s)) < 0;
  }
}
