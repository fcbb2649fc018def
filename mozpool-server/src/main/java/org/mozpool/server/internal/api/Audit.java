package org.mozpool.server.internal.api;

import org.mozpool.LogEntry;
import org.mozpool.server.internal.ServerContext;
import org.mozpool.spi.MachineKind;

/** Log lines naming the API caller behind an action (DESIGN §11's audit trail). */
final class Audit {
  private Audit() {
  }

  static void request(ServerContext s, String id, String message) {
    append(s, MachineKind.REQUEST, id, message);
  }

  static void device(ServerContext s, String device, String message) {
    append(s, MachineKind.DEVICE, device, message);
  }

  private static void append(ServerContext s, MachineKind kind, String id, String message) {
    s.store().inTransaction(tx -> {
      tx.appendLog(kind, id, new LogEntry(s.clock().instant(), "api", message));
      return null;
    });
  }
}
