package org.mozpool.server.internal.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.mozpool.Image;
import org.mozpool.PxeConfig;
import org.mozpool.server.internal.ApiAuth;
import org.mozpool.server.internal.ServerContext;

/** What the lab offers: {@code version/}, {@code image/list/}, {@code bmm/pxe_config/...}. */
final class InventoryRoutes {
  private InventoryRoutes() {
  }

  static void register(Routes routes) {
    routes.get("/api/version", ApiAuth.Role.CLIENT, (ctx, s) ->
        ctx.json(Map.of("version", version())));
    routes.get("/api/image/list", ApiAuth.Role.CLIENT, (ctx, s) ->
        ctx.json(Map.of("images", s.pool().inventory().images().stream()
            .sorted(java.util.Comparator.comparing(Image::name))
            .map(InventoryRoutes::image).toList())));
    routes.get("/api/bmm/pxe_config/list", ApiAuth.Role.CLIENT, (ctx, s) -> {
      boolean activeOnly = ctx.queryParamMap().containsKey("active_only");
      List<String> names = pxeConfigNames(s).stream()
          .filter(n -> !activeOnly || pxeConfig(s, n).map(PxeConfig::active).orElse(false))
          .toList();
      ctx.json(Map.of("pxe_configs", names));
    });
    routes.get("/api/bmm/pxe_config/{name}/details", ApiAuth.Role.CLIENT, (ctx, s) -> {
      String name = ctx.pathParam("name");
      PxeConfig c = pxeConfig(s, name)
          .orElseThrow(() -> ApiException.notFound("no PXE config named '" + name + "'"));
      Map<String, Object> details = new LinkedHashMap<>();
      details.put("name", c.name());
      details.put("description", c.description());
      details.put("contents", c.contents());
      details.put("active", c.active());
      ctx.json(Map.of("details", details));
    });
  }

  private static Map<String, Object> image(Image i) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", i.name());
    m.put("name", i.name());
    m.put("boot_config_keys", List.copyOf(new TreeSet<>(i.requiredBootConfigKeys())));
    m.put("can_reuse", i.reusable());
    m.put("hidden", i.hidden());
    m.put("has_sut_agent", i.hasAgent());
    return m;
  }

  /** The PXE configs of this server's config file (the store has no list of them). */
  private static List<String> pxeConfigNames(ServerContext s) {
    TreeSet<String> names = new TreeSet<>();
    s.config().pxeConfigs().forEach(p -> names.add(p.name()));
    return List.copyOf(names);
  }

  private static Optional<PxeConfig> pxeConfig(ServerContext s, String name) {
    return s.store().inTransaction(tx -> tx.pxeConfig(name));
  }

  private static String version() {
    String v = InventoryRoutes.class.getPackage().getImplementationVersion();
    return v == null ? "development" : v;
  }
}
