package org.mozpool.server.internal.api;

import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.mozpool.RequestView;
import org.mozpool.server.internal.ApiAuth;
import org.mozpool.server.internal.ServerContext;
import org.mozpool.spi.InstanceRecord;
import org.mozpool.spi.MachineKind;

/**
 * The instances sharing the database (DESIGN §9): {@code instance/list/}, with each one's lab
 * network, liveness on the database clock, and how many devices and open requests it drives.
 * Alone on the database, the list is this instance.
 */
final class InstanceRoutes {
  private InstanceRoutes() {
  }

  static void register(Routes routes) {
    routes.get("/api/instance/list", ApiAuth.Role.CLIENT, InstanceRoutes::list);
  }

  private static void list(Context ctx, ServerContext s) {
    Set<String> open = s.pool().requests().stream().filter(r -> !r.isTerminal())
        .map(RequestView::id).collect(Collectors.toSet());
    List<Map<String, Object>> out = new ArrayList<>();
    if (!Drivers.shared(s)) {
      String here = Drivers.here(s);
      long devices = s.pool().inventory().devices().stream()
          .filter(d -> Drivers.ofDevice(s, d).equals(here)).count();
      out.add(entry(here, "", Set.of(), s.publicUrl().toString(), true, 0, 0, devices,
          open.size()));
    } else {
      record Driven(InstanceRecord instance, Set<String> devices, Set<String> requests) {
      }
      List<Driven> all = s.store().inTransaction(tx -> tx.instances().stream()
          .map(i -> new Driven(i, tx.drivenBy(MachineKind.DEVICE, i.id()),
              tx.drivenBy(MachineKind.REQUEST, i.id())))
          .toList());
      for (Driven d : all) {
        InstanceRecord i = d.instance();
        long requests = d.requests().stream().filter(open::contains).count();
        out.add(entry(i.id(), i.labNetwork(), i.standbyFor(), i.url(), Drivers.answering(s, i),
            i.silence().toMillis(), i.epoch(), d.devices().size(), requests));
      }
    }
    ctx.json(Map.of("instances", out));
  }

  private static Map<String, Object> entry(String id, String labNetwork, Set<String> standbyFor,
      String url, boolean live, long silenceMs, long epoch, long devices, long requests) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", id);
    m.put("lab_network", labNetwork);
    m.put("standby_for", List.copyOf(new TreeSet<>(standbyFor)));
    m.put("url", url);
    m.put("live", live);
    m.put("silence_ms", silenceMs);
    m.put("epoch", epoch);
    m.put("devices", devices);
    m.put("requests", requests);
    return m;
  }
}
