package org.mozpool.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mozpool.server.api.ApiLab.CLIENT;
import static org.mozpool.server.api.ApiLab.assertError;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class InventoryRoutesTest {

  @TempDir
  static Path dir;
  static ApiLab lab;

  @BeforeAll
  static void start() {
    lab = ApiLab.start(dir, Labs.OFFLINE);
  }

  @AfterAll
  static void stop() {
    lab.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/api/version", "/api/version/"})
  void versionNamesTheServersVersion(String path) {
    ApiLab.Answer a = lab.get(path, CLIENT);
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.json().get("version").asText()).isNotBlank();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/api/image/list", "/api/image/list/"})
  void imageListGivesTheOriginalsKeys(String path) {
    ApiLab.Answer a = lab.get(path, CLIENT);
    assertThat(a.status()).isEqualTo(200);
    JsonNode images = a.json().get("images");
    List<String> names = new ArrayList<>();
    images.forEach(i -> names.add(i.get("name").asText()));
    assertThat(names).contains("android", "b2g", "maintenance");
    JsonNode b2g = null;
    for (JsonNode i : images) {
      if (i.get("name").asText().equals("b2g")) {
        b2g = i;
      }
    }
    assertThat(b2g).isNotNull();
    assertThat(b2g.get("boot_config_keys").get(0).asText()).isEqualTo("b2gbase");
    assertThat(b2g.get("can_reuse").asBoolean()).isTrue();
    assertThat(b2g.get("hidden").asBoolean()).isFalse();
    assertThat(b2g.get("has_sut_agent").asBoolean()).isFalse();
    assertThat(b2g.has("id")).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/api/bmm/pxe_config/list", "/api/bmm/pxe_config/list/",
      "/api/bmm/pxe_config/list/?active_only=1"})
  void pxeConfigListNamesThePxeConfigs(String path) {
    ApiLab.Answer a = lab.get(path, CLIENT);
    assertThat(a.status()).isEqualTo(200);
    List<String> names = new ArrayList<>();
    a.json().get("pxe_configs").forEach(n -> names.add(n.asText()));
    assertThat(names).containsExactly("android-panda", "b2g-panda");
  }

  @ParameterizedTest
  @ValueSource(strings = {"/api/bmm/pxe_config/b2g-panda/details",
      "/api/bmm/pxe_config/b2g-panda/details/"})
  void pxeConfigDetailsGiveItsContents(String path) {
    ApiLab.Answer a = lab.get(path, CLIENT);
    assertThat(a.status()).isEqualTo(200);
    JsonNode d = a.json().get("details");
    assertThat(d.get("name").asText()).isEqualTo("b2g-panda");
    assertThat(d.get("description").asText()).isEqualTo("B2G on a panda");
    assertThat(d.get("contents").asText()).isEqualTo("DEFAULT b2g %DEVICE%");
    assertThat(d.get("active").asBoolean()).isTrue();
  }

  @Test
  void detailsOfAnUnknownPxeConfigAreA404() {
    assertError(lab.get("/api/bmm/pxe_config/nope/details/", CLIENT), 404);
  }

  @Test
  void anUnknownApiRouteIsA404WithAJsonError() {
    assertError(lab.get("/api/no/such/thing/", CLIENT), 404);
  }
}
