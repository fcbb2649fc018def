package org.mozpool.server.internal.callback;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.mozpool.PleaseSender;
import org.mozpool.bmm.DeviceCallbacks;
import org.mozpool.bmm.DeviceCallbacks.Answer;
import org.mozpool.server.internal.ApiAuth;
import org.mozpool.server.internal.Json;
import org.mozpool.server.internal.ServerContext;
import org.mozpool.spi.Lifeguard;

/**
 * Operators' please-events on the event route, as in the original Mozpool, where operators and
 * its web UI asked Lifeguard for work with {@code POST /api/device/{id}/event/please_self_test/}:
 * {@code please_power_cycle}, {@code please_self_test}, {@code please_start_maintenance} and
 * {@code please_image} (body {@code {"image": "...", "boot_config": {...}}}). Only an operator API
 * token may send them (a device's own token may not: a board does not order its own workflows);
 * each is sent as {@link PleaseSender#operator} of the token's name, so Lifeguard refuses one for
 * a device a request holds. Answers: 200 {@code {"ok":true}} once Lifeguard took it, 401/403
 * without an operator token, 400 for a bad body or an unknown image, 404 for an unknown device,
 * 409 when the device's state refuses it, 503 when Lifeguard does not answer in time.
 */
final class PleaseEvents {

  private static final Set<String> EVENTS = Set.of("please_power_cycle", "please_self_test",
      "please_start_maintenance", "please_image");

  private PleaseEvents() {
  }

  /** Whether {@code event} is a please-event (the caller must then be an operator). */
  static boolean isPleaseEvent(String event) {
    return event != null && event.startsWith("please_");
  }

  static Answer handle(ServerContext server, String token, String device, String event,
      byte[] body, Duration timeout) {
    Optional<ApiAuth.Caller> caller = server.auth().caller(token);
    if (caller.isEmpty()) {
      return Answer.error(401, "please-events need an operator API token");
    }
    if (caller.get().role() != ApiAuth.Role.OPERATOR) {
      return Answer.error(403, "please-events are for operators; this token is a "
          + caller.get().role().name().toLowerCase(java.util.Locale.ROOT) + "'s");
    }
    if (!EVENTS.contains(event)) {
      return Answer.error(400, "unknown please-event '" + DeviceCallbacks.printable(event, 64)
          + "'; there are " + new java.util.TreeSet<>(EVENTS));
    }
    PleaseSender sender = PleaseSender.operator(caller.get().name());
    Lifeguard lifeguard = server.pool().lifeguard();
    CompletionStage<Void> stage;
    try {
      stage = switch (event) {
        case "please_power_cycle" -> lifeguard.pleasePowerCycle(device, sender);
        case "please_self_test" -> lifeguard.pleaseSelfTest(device, sender);
        case "please_start_maintenance" -> lifeguard.pleaseStartMaintenance(device, sender);
        default -> pleaseImage(lifeguard, device, body, sender);
      };
    } catch (IllegalArgumentException e) {
      return Answer.error(400, e.getMessage());
    }
    return DeviceCallbacks.whenTaken(stage, timeout, "device " + device + ": " + event
        + " from " + sender.name());
  }

  private static CompletionStage<Void> pleaseImage(Lifeguard lifeguard, String device,
      byte[] body, PleaseSender sender) {
    JsonNode json;
    try {
      json = body == null || body.length == 0 ? null : Json.MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("malformed JSON: " + e.getOriginalMessage());
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("unreadable body");
    }
    if (json == null || !json.isObject() || !json.path("image").isTextual()) {
      throw new IllegalArgumentException("please_image needs a JSON body"
          + " {\"image\": \"NAME\", \"boot_config\": {\"KEY\": \"VALUE\"}}");
    }
    Map<String, String> bootConfig = new LinkedHashMap<>();
    JsonNode config = json.path("boot_config");
    if (!config.isMissingNode() && !config.isNull()) {
      if (!config.isObject()) {
        throw new IllegalArgumentException("boot_config must be a JSON object of strings");
      }
      for (var field : (Iterable<Map.Entry<String, JsonNode>>) config::fields) {
        if (!field.getValue().isTextual()) {
          throw new IllegalArgumentException("boot_config." + field.getKey()
              + " must be a string");
        }
        bootConfig.put(field.getKey(), field.getValue().asText());
      }
    }
    return lifeguard.pleaseImage(device, json.get("image").asText(), bootConfig, sender);
  }
}
