package org.mozpool.server;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads a {@link ServerConfig} from a YAML file and checks it. Every problem is reported at once
 * in a {@link ConfigException}, each with the file, line and field.
 */
public final class ConfigLoader {

  private ConfigLoader() {
  }

  /**
   * Reads and checks the config at {@code file}.
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
    return parse(file.toString(), yaml);
  }

  /** Reads and checks a config given as text; {@code source} names it in problems. */
  public static ServerConfig parse(String source, String yaml) {
    ObjectMapper mapper = new ObjectMapper(new YAMLFactory())
        .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    try {
      ServerConfig config = mapper.readValue(yaml, ServerConfig.class);
      if (config == null) {
        throw new ConfigException(List.of(source + ": empty config"));
      }
      return config;
    } catch (JsonMappingException e) {
      String where = e.getLocation() == null ? "" : ":" + e.getLocation().getLineNr();
      throw new ConfigException(List.of(source + where + ": " + e.getPathReference() + ": "
          + e.getOriginalMessage()));
    } catch (IOException e) {
      throw new ConfigException(List.of(source + ": not YAML: " + e.getMessage()));
    }
  }
}
