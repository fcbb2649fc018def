package org.mozpool.server.internal.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import java.math.BigDecimal;
import org.mozpool.server.internal.Json;

/**
 * A call's JSON body, read as an object (an empty body is an empty object), with accessors that
 * answer 400 saying which key was missing or of the wrong type, where the original answered 500.
 */
final class Body {
  private final ObjectNode json;

  private Body(ObjectNode json) {
    this.json = json;
  }

  static Body of(Context ctx) {
    String text = ctx.body();
    if (text.isBlank()) {
      return new Body(Json.MAPPER.createObjectNode());
    }
    JsonNode node;
    try {
      node = Json.MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw ApiException.badRequest("the body is not JSON: " + e.getOriginalMessage());
    }
    if (!(node instanceof ObjectNode object)) {
      throw ApiException.badRequest("the body must be a JSON object, got " + node.getNodeType()
          .name().toLowerCase(java.util.Locale.ROOT));
    }
    return new Body(object);
  }

  boolean has(String key) {
    JsonNode v = json.get(key);
    return v != null && !v.isNull();
  }

  /** A string that must be present and not blank. */
  String requiredString(String key) {
    JsonNode v = json.get(key);
    if (v == null || v.isNull()) {
      throw ApiException.badRequest("'" + key + "' is required");
    }
    if (!v.isTextual()) {
      throw ApiException.badRequest("'" + key + "' must be a string, got " + v);
    }
    if (v.asText().isBlank()) {
      throw ApiException.badRequest("'" + key + "' must not be blank");
    }
    return v.asText();
  }

  /** A string that must be present (it may be empty). */
  String presentString(String key) {
    JsonNode v = json.get(key);
    if (v == null || v.isNull()) {
      throw ApiException.badRequest("'" + key + "' is required");
    }
    if (!v.isTextual()) {
      throw ApiException.badRequest("'" + key + "' must be a string, got " + v);
    }
    return v.asText();
  }

  /** An optional string; {@code fallback} when absent or null. */
  String optionalString(String key, String fallback) {
    JsonNode v = json.get(key);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isTextual()) {
      throw ApiException.badRequest("'" + key + "' must be a string, got " + v);
    }
    return v.asText();
  }

  /**
   * A whole number of seconds, given as a JSON integer or, as the original's {@code int()}
   * accepted, a string of digits.
   */
  long requiredSeconds(String key) {
    JsonNode v = json.get(key);
    if (v == null || v.isNull()) {
      throw ApiException.badRequest("'" + key + "' (seconds) is required");
    }
    try {
      if (v.isIntegralNumber() && v.canConvertToLong()) {
        return v.longValue();
      }
      if (v.isTextual()) {
        return new BigDecimal(v.asText().strip()).longValueExact();
      }
    } catch (ArithmeticException | NumberFormatException e) {
      // fall through
    }
    throw ApiException.badRequest("'" + key + "' must be a whole number of seconds, got " + v);
  }
}
