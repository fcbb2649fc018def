package org.mozpool.server;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads a {@link ServerConfig} from a YAML file and checks it as a whole. Every problem is
 * reported at once in a {@link ConfigException}, each as {@code file:line: field: what is wrong},
 * e.g. {@code lab.yaml:42: devices[3].mac: MAC address must be 12 hex digits, got 'zz:11'}
 * (list indexes count from 0).
 *
 * <p>What is checked: YAML syntax; structure (unknown keys, duplicate keys, values of the wrong
 * kind); secrets written inline ({@code password:}, {@code token:} — the config names an
 * environment variable or a file instead); required fields; names, MAC addresses, host names
 * and power addresses by the core's own rules; duplicate names, MAC addresses and relays; references (a device's hardware type, an image's hardware types and PXE configs); the
 * {@code self-test} and {@code maintenance} images for every hardware type that has devices (unless
 * it says {@code self_test: power_cycle});
 * listen and bind addresses, ports, the database URL and the API's auth ({@code open}, written
 * explicitly, or tokens). Environment variables are not read here: that a token's variable is
 * set is checked when the server starts.
 *
 * <p>Thread safe (stateless).
 */
public final class ConfigLoader {

  private ConfigLoader() {
  }

  /**
   * Reads and checks the config at {@code file}; files it names ({@code pxe_configs[].file},
   * {@code token_file}, …) are checked to exist relative to its directory.
   *
   * @throws ConfigException listing every problem when the file cannot be read or is not a usable
   *     config
   */
  public static ServerConfig load(Path file) {
    String yaml;
    try {
      yaml = Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException(List.of(file + ": cannot read: " + e.getMessage()));
    }
    Path dir = file.toAbsolutePath().getParent();
    return parse(file.getFileName().toString(), yaml, dir);
  }

  /**
   * Reads and checks a config given as text; {@code source} names it in problems. Files it names
   * are not looked for.
   *
   * @throws ConfigException listing every problem
   */
  public static ServerConfig parse(String source, String yaml) {
    return parse(source, yaml, null);
  }

  /**
   * Reads and checks a config given as text, looking for the files it names relative to {@code
   * directory} (null: not looked for); {@code source} names it in problems.
   *
   * @throws ConfigException listing every problem
   */
  public static ServerConfig parse(String source, String yaml, Path directory) {
    ConfigProblems problems = new ConfigProblems(source);
    JsonNode tree = ConfigTree.read(yaml, problems);
    if (tree == null) {
      problems.throwIfAny();
    }
    ServerConfig config;
    try {
      config = mapper().treeToValue(tree, ServerConfig.class);
    } catch (IOException e) {
      // The tree holds only values of the records' types; this is a bug, not a config problem.
      throw new IllegalStateException("a checked config could not be bound: " + e.getMessage(),
          e);
    }
    ConfigChecks.check(config, problems, directory);
    problems.throwIfAny();
    return config;
  }

  /**
   * Checks a config built in code rather than read from a file: the same semantic checks as
   * {@link #load}, each problem naming its field (there are no lines). Files it names are looked
   * for relative to {@code directory} (null: not looked for).
   *
   * @return {@code config}
   * @throws ConfigException listing every problem
   */
  public static ServerConfig check(ServerConfig config, Path directory) {
    ConfigProblems problems = new ConfigProblems("config");
    ConfigChecks.check(config, problems, directory);
    problems.throwIfAny();
    return config;
  }

  private static ObjectMapper mapper() {
    return new ObjectMapper()
        .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  }
}
