package org.mozpool.server;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The structural half of config checking: reads YAML into a tree that remembers the line of every
 * key and value, then walks it against the {@link ServerConfig} records (their components, in
 * snake_case, are the allowed keys; their types the allowed values), reporting unknown keys,
 * wrong types and inline secrets, and producing a JSON tree of what was usable for Jackson to bind.
 * The rules come from the records themselves, so a component added to them is a key accepted here.
 */
final class ConfigTree {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  private static final PropertyNamingStrategies.NamingBase SNAKE_CASE =
      (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;
  /** Keys that would hold a secret's value; the config only names where secrets are. */
  private static final Pattern SECRET_KEY = Pattern.compile(
      "(?:.*_)?(?:password|passwd|pass|token|secret|api_key|apikey|credentials?)");

  /** A YAML value and where it starts. */
  private record Node(int line, JsonToken token, String text, Map<String, Node> fields,
      Map<String, Integer> keyLines, List<Node> items) {
    boolean isMap() {
      return fields != null;
    }

    boolean isList() {
      return items != null;
    }

    boolean isNull() {
      return token == JsonToken.VALUE_NULL;
    }

    String describe() {
      if (isMap()) {
        return "a mapping";
      }
      if (isList()) {
        return "a list";
      }
      return isNull() ? "nothing" : "'" + text + "'";
    }
  }

  private final ConfigProblems problems;

  private ConfigTree(ConfigProblems problems) {
    this.problems = problems;
  }

  /**
   * Reads {@code yaml} and checks its structure against {@link ServerConfig}; problems go to
   * {@code problems}.
   *
   * @return the usable part as a JSON tree for Jackson, or null if the text is not YAML or holds
   *     no config
   */
  static JsonNode read(String yaml, ConfigProblems problems) {
    Node root;
    try (JsonParser parser = new YAMLFactory().createParser(yaml)) {
      if (parser.nextToken() == null) {
        problems.unreadable(0, "", "the config is empty");
        return null;
      }
      root = node(parser, problems, "");
    } catch (JsonProcessingException e) {
      problems.unreadable(e.getLocation() == null ? 0 : e.getLocation().getLineNr(), "",
          "not valid YAML: " + yamlMessage(e.getOriginalMessage()));
      return null;
    } catch (IOException e) {
      problems.unreadable(0, "", "cannot be read: " + e.getMessage());
      return null;
    }
    if (!root.isMap()) {
      problems.unreadable(root.line(), "", "a config is a mapping of keys (instance, database,"
          + " …), got " + root.describe());
      return null;
    }
    return new ConfigTree(problems).record(ServerConfig.class, root, "");
  }

  /** SnakeYAML's multi-line message without its excerpts: "while parsing …: expected …". */
  private static String yamlMessage(String message) {
    List<String> parts = new ArrayList<>();
    for (String line : message.split("\n")) {
      String l = line.strip();
      if (!l.isEmpty() && !line.startsWith(" ") && !l.startsWith("in 'reader'")
          && !l.equals("^")) {
        parts.add(l.endsWith(":") ? l.substring(0, l.length() - 1) : l);
      }
    }
    return parts.isEmpty() ? message.strip() : String.join(": ", parts);
  }

  private static Node node(JsonParser p, ConfigProblems problems, String path)
      throws IOException {
    int line = p.currentTokenLocation().getLineNr();
    if (!path.isEmpty()) {
      problems.at(path, line);
    }
    JsonToken token = p.currentToken();
    if (token == JsonToken.START_OBJECT) {
      Map<String, Node> fields = new LinkedHashMap<>();
      Map<String, Integer> keyLines = new LinkedHashMap<>();
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String key = p.currentName();
        int keyLine = p.currentTokenLocation().getLineNr();
        String child = path.isEmpty() ? key : path + "." + key;
        p.nextToken();
        if (fields.containsKey(key)) {
          problems.unreadable(keyLine, child, "duplicate key (also on line "
              + keyLines.get(key) + ")");
          p.skipChildren();
          continue;
        }
        keyLines.put(key, keyLine);
        // a section's problems are reported at its key, not at its first entry
        problems.at(child, keyLine);
        fields.put(key, node(p, problems, child));
      }
      return new Node(line, token, null, fields, keyLines, null);
    }
    if (token == JsonToken.START_ARRAY) {
      List<Node> items = new ArrayList<>();
      while (p.nextToken() != JsonToken.END_ARRAY) {
        items.add(node(p, problems, path + "[" + items.size() + "]"));
      }
      return new Node(line, token, null, null, null, items);
    }
    return new Node(line, token, p.getText(), null, null, null);
  }

  // ---- structure ----

  /** Checks a mapping against the record {@code type}; null when it is not a mapping. */
  private ObjectNode record(Class<?> type, Node node, String path) {
    if (type == ServerConfig.Auth.class && !node.isMap() && !node.isList() && !node.isNull()) {
      // `auth: open` is short for `auth: {mode: open}`
      if (ServerConfig.Auth.OPEN.equals(node.text())) {
        return JSON.objectNode().put("mode", ServerConfig.Auth.OPEN);
      }
      problems.unreadable(path, "expected `open` or a mapping with tokens, got "
          + node.describe());
      return null;
    }
    if (!node.isMap()) {
      problems.unreadable(path, "expected a mapping with keys " + keys(type) + ", got "
          + node.describe());
      return null;
    }
    Map<String, RecordComponent> components = new LinkedHashMap<>();
    for (RecordComponent c : type.getRecordComponents()) {
      components.put(SNAKE_CASE.translate(c.getName()), c);
    }
    ObjectNode out = JSON.objectNode();
    node.fields().forEach((key, value) -> {
      String child = path.isEmpty() ? key : path + "." + key;
      RecordComponent c = components.get(key);
      if (c == null) {
        if (SECRET_KEY.matcher(key.toLowerCase(Locale.ROOT)).matches()) {
          problems.unreadable(node.keyLines().get(key), child,
              secretMessage(key, components.keySet()));
        } else {
          problems.unreadable(node.keyLines().get(key), child, "unknown key; expected one of "
              + keys(type));
        }
        return;
      }
      if (value.isNull()) {
        return; // `key:` with no value: as if absent
      }
      JsonNode v = value(c.getGenericType(), value, child);
      if (v != null) {
        out.set(key, v);
      }
    });
    return out;
  }

  private static String secretMessage(String key, java.util.Set<String> known) {
    String env = key + "_env";
    String file = key + "_file";
    if (!known.contains(env)) {
      env = known.stream().filter(k -> k.endsWith("_env")).findFirst().orElse("a *_env key");
      file = known.stream().filter(k -> k.endsWith("_file")).findFirst().orElse("a *_file key");
    }
    return "secrets are never written in the config: name the environment variable that holds"
        + " it with " + env + ", or a file whose first line it is with " + file;
  }

  private static String keys(Class<?> type) {
    List<String> names = new ArrayList<>();
    for (RecordComponent c : type.getRecordComponents()) {
      names.add(SNAKE_CASE.translate(c.getName()));
    }
    return String.join(", ", names);
  }

  private JsonNode value(Type type, Node node, String path) {
    if (type instanceof Class<?> c && c.isRecord()) {
      return record(c, node, path);
    }
    if (type == String.class) {
      if (node.isMap() || node.isList()) {
        problems.unreadable(path, "expected a text value, got " + node.describe());
        return null;
      }
      return JSON.textNode(node.text());
    }
    if (type == Integer.class) {
      if (node.token() != JsonToken.VALUE_NUMBER_INT) {
        problems.unreadable(path, "expected a whole number, got " + node.describe());
        return null;
      }
      try {
        return JSON.numberNode(Integer.decode(node.text().replace("_", "")));
      } catch (NumberFormatException e) {
        problems.unreadable(path, "expected a whole number of at most " + Integer.MAX_VALUE
            + ", got " + node.describe());
        return null;
      }
    }
    if (type == Long.class) {
      if (node.token() != JsonToken.VALUE_NUMBER_INT) {
        problems.unreadable(path, "expected a whole number, got " + node.describe());
        return null;
      }
      try {
        return JSON.numberNode(Long.decode(node.text().replace("_", "")));
      } catch (NumberFormatException e) {
        problems.unreadable(path, "expected a whole number of at most " + Long.MAX_VALUE
            + ", got " + node.describe());
        return null;
      }
    }
    if (type == Boolean.class) {
      if (node.token() != JsonToken.VALUE_TRUE && node.token() != JsonToken.VALUE_FALSE) {
        problems.unreadable(path, "expected true or false, got " + node.describe());
        return null;
      }
      return JSON.booleanNode(node.token() == JsonToken.VALUE_TRUE);
    }
    if (type instanceof ParameterizedType p && p.getRawType() == List.class) {
      if (!node.isList()) {
        problems.unreadable(path, "expected a list, got " + node.describe());
        return null;
      }
      ArrayNode out = JSON.arrayNode();
      for (int i = 0; i < node.items().size(); i++) {
        Node item = node.items().get(i);
        String child = path + "[" + i + "]";
        if (item.isNull()) {
          problems.unreadable(child, "empty list entry");
          continue;
        }
        JsonNode v = value(p.getActualTypeArguments()[0], item, child);
        if (v != null) {
          out.add(v);
        }
      }
      return out;
    }
    if (type instanceof ParameterizedType p && p.getRawType() == Map.class) {
      if (!node.isMap()) {
        problems.unreadable(path, "expected a mapping, got " + node.describe());
        return null;
      }
      ObjectNode out = JSON.objectNode();
      Map<String, Node> sorted = new TreeMap<>(node.fields());
      sorted.forEach((key, value) -> {
        String child = path + "." + key;
        if (value.isNull()) {
          problems.unreadable(child, "has no value");
          return;
        }
        JsonNode v = value(p.getActualTypeArguments()[1], value, child);
        if (v != null) {
          out.set(key, v);
        }
      });
      return out;
    }
    throw new IllegalStateException("config type " + type + " at " + path + " is not handled");
  }
}
