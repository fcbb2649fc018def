package org.mozpool.server.internal.api;

import io.javalin.http.Context;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.mozpool.DeviceView;
import org.mozpool.PleaseSender;
import org.mozpool.bmm.NetworkProbe;
import org.mozpool.server.ServerConfig;
import org.mozpool.server.internal.ApiAuth;
import org.mozpool.server.internal.ServerContext;
import org.mozpool.spi.DeviceTarget;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The original's Black Mobile Magic operations, for operators: {@code device/{id}/power-cycle|
 * power-off|ping|clear-pxe/} and {@code relay/{name}/test/}.
 *
 * <p>A power cycle goes through Lifeguard ({@code please_power_cycle} from the operator), so the
 * device's state machine knows about it, the audit trail names the operator, and a device a
 * request holds is refused (409) instead of being pulled from under its lease. Power-off and
 * clear-pxe have no please-event: they act on the hardware directly, as the original did, but
 * they too refuse a device a request holds, and they write the operator's name into the device's
 * log.
 */
final class HardwareRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(HardwareRoutes.class);
  private static final Duration LIFEGUARD_ANSWER = Duration.ofSeconds(30);
  private static final Duration RELAY_DEADLINE = Duration.ofSeconds(30);
  private static final Duration RELAY_TEST_DEADLINE = Duration.ofSeconds(10);

  private HardwareRoutes() {
  }

  static void register(Routes routes) {
    routes.post("/api/device/{id}/power-cycle", ApiAuth.Role.OPERATOR, HardwareRoutes::powerCycle);
    routes.get("/api/device/{id}/power-off", ApiAuth.Role.OPERATOR, HardwareRoutes::powerOff);
    routes.post("/api/device/{id}/power-off", ApiAuth.Role.OPERATOR, HardwareRoutes::powerOff);
    routes.get("/api/device/{id}/ping", ApiAuth.Role.OPERATOR, HardwareRoutes::ping);
    routes.post("/api/device/{id}/clear-pxe", ApiAuth.Role.OPERATOR, HardwareRoutes::clearPxe);
    routes.get("/api/relay/{name}/test", ApiAuth.Role.OPERATOR, HardwareRoutes::relayTest);
  }

  private static void powerCycle(Context ctx, ServerContext s) throws Exception {
    String device = ctx.pathParam("id");
    s.pool().inventory().device(device);
    Body body = Body.of(ctx);
    if (body.has("pxe_config") || body.has("boot_config")) {
      throw ApiException.badRequest("pxe_config and boot_config are not taken here: Lifeguard"
          + " writes PXE configs itself (request an image, or move the device to troubleshooting"
          + " and ask for a self-test or maintenance)");
    }
    String operator = Routes.caller(ctx).name();
    s.pool().lifeguard().pleasePowerCycle(device, PleaseSender.operator(operator))
        .toCompletableFuture().get(LIFEGUARD_ANSWER.toSeconds(), TimeUnit.SECONDS);
    ctx.json(Map.of());
  }

  private static void powerOff(Context ctx, ServerContext s) {
    DeviceView d = unclaimed(s, ctx.pathParam("id"), "power off");
    String operator = Routes.caller(ctx).name();
    Audit.device(s, d.name(), "power off requested through the REST API by '" + operator + "'");
    // started, not awaited, as the original: the relay board may be busy with other devices
    s.power().powerOff(DeviceTarget.of(d.spec()), RELAY_DEADLINE).whenComplete((ok, e) -> {
      try {
        Audit.device(s, d.name(), e == null ? "powered off for '" + operator + "'"
            : "power off for '" + operator + "' failed: " + e.getMessage());
      } catch (RuntimeException logFailed) {
        LOG.warn("device {}: cannot log the power-off's outcome", d.name(), logFailed);
      }
    });
    ctx.json(Map.of());
  }

  private static void clearPxe(Context ctx, ServerContext s) throws Exception {
    DeviceView d = unclaimed(s, ctx.pathParam("id"), "clear the PXE config of");
    s.boot().clearPxeConfig(DeviceTarget.of(d.spec())).toCompletableFuture()
        .get(LIFEGUARD_ANSWER.toSeconds(), TimeUnit.SECONDS);
    Audit.device(s, d.name(), "PXE config cleared through the REST API by '"
        + Routes.caller(ctx).name() + "'");
    ctx.json(Map.of());
  }

  /**
   * The device, unless a request holds it, it has no relay (for power), or another instance drives
   * it (its relays and TFTP root are on that instance's lab network): 409 for each.
   */
  private static DeviceView unclaimed(ServerContext s, String device, String what) {
    DeviceView d = local(s, device);
    if (d.claimedBy().isPresent()) {
      throw ApiException.conflict("device " + device + " is held by request "
          + d.claimedBy().get() + "; will not " + what + " it under a lease");
    }
    if (what.startsWith("power") && d.spec().powerAddress().isEmpty()) {
      throw ApiException.conflict("device " + device + " has no power address");
    }
    return d;
  }

  /**
   * The device, if this instance drives it (else 409: call the instance that does). With other
   * instances on the store the store says who drives it now (a standby that adopted a dead
   * instance's devices drives them); alone, its home ({@code server}) does.
   */
  private static DeviceView local(ServerContext s, String device) {
    DeviceView d = s.pool().inventory().device(device);
    String driver = Drivers.ofDevice(s, d);
    if (driver.isEmpty() && !Drivers.shared(s)) {
      return d;
    }
    if (!driver.equals(Drivers.here(s))) {
      String who = driver.isEmpty() ? "no instance" : "instance " + driver;
      String url = Drivers.instance(s, driver).map(i -> i.url()).filter(u -> !u.isEmpty())
          .map(u -> " (" + u + ")").orElse("");
      throw ApiException.conflict("device " + device + " is driven by " + who + url
          + "; its hardware is reached through that instance");
    }
    return d;
  }

  private static void ping(Context ctx, ServerContext s) {
    DeviceView d = local(s, ctx.pathParam("id"));
    ServerConfig.Probe probe = s.config().probe();
    Duration timeout = Duration.ofSeconds(probe.timeoutSeconds());
    boolean answered;
    try {
      InetAddress address = InetAddress.getByName(d.spec().fqdn());
      answered = probe.ping().startsWith("tcp:")
          ? NetworkProbe.tcpConnect(new InetSocketAddress(address,
              Integer.parseInt(probe.ping().substring(4))), timeout)
          : NetworkProbe.icmpPing(address, timeout);
    } catch (UnknownHostException e) {
      answered = false;
    }
    ctx.json(Map.of("success", answered));
  }

  private static void relayTest(Context ctx, ServerContext s) {
    String name = ctx.pathParam("name");
    ServerConfig.RelayBoardEntry board = s.config().relayBoards().stream()
        .filter(b -> b.name().equals(name)).findFirst()
        .orElseThrow(() -> ApiException.notFound("no relay board named '" + name + "'"));
    String hostAndPort = board.host() + ":" + board.port();
    boolean success;
    try {
      // The driver's deadline starts when the test reaches the board, after any power cycles
      // queued for it; the caller waits at most the deadline in all (a busy board is a failure).
      s.power().testBoard(hostAndPort, RELAY_TEST_DEADLINE).toCompletableFuture()
          .get(RELAY_TEST_DEADLINE.toSeconds(), TimeUnit.SECONDS);
      success = true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ApiException.conflict("interrupted while testing relay board " + name);
    } catch (Exception e) {
      LOG.info("relay board {} ({}) failed its two-way test: {}", name, hostAndPort,
          e.getMessage());
      success = false;
    }
    ctx.json(Map.of("success", success));
  }
}
