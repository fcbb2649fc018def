package org.mozpool.server.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mozpool.DeviceStates;
import org.mozpool.DeviceView;
import org.mozpool.Image;
import org.mozpool.server.ConfigLoader;
import org.mozpool.server.ServerConfig;

@Timeout(120)
class DemoLabTest {

  @Test
  void aDemoLabServesItsGeneratedInventoryAndItsBoardsBootFromTheServer() throws Exception {
    Path directory;
    try (DemoLab demo = DemoLab.start(DemoLab.options().devices(4).compression(20))) {
      directory = demo.directory();
      HttpResponse<String> version = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(demo.uri() + "/api/version/"))
              .header("Authorization", "Bearer " + demo.clientToken()).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(version.statusCode()).isEqualTo(200);
      HttpResponse<String> list = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(demo.uri() + "/api/device/list/"))
              .header("Authorization", "Bearer " + demo.clientToken()).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(list.statusCode()).isEqualTo(200);
      assertThat(list.body()).contains("panda-0001", "panda-0004");

      ServerConfig config = ConfigLoader.load(demo.configFile());
      assertThat(config.hardwareTypes()).extracting(ServerConfig.HardwareTypeEntry::name)
          .containsExactly("panda");
      assertThat(config.images()).extracting(ServerConfig.ImageEntry::name)
          .containsExactly("b2g", "android", Image.SELF_TEST, Image.MAINTENANCE);
      assertThat(config.images().get(0).bootConfigKeys()).containsExactly("b2gbase");
      assertThat(config.relayBoards()).extracting(ServerConfig.RelayBoardEntry::name)
          .containsExactly("relay-1");
      assertThat(config.auth().tokens()).extracting(ServerConfig.TokenEntry::role)
          .containsExactly("client", "operator");
      assertThat(demo.clientToken()).isNotEqualTo(demo.operatorToken()).hasSize(40);

      assertThat(demo.server().pool().inventory().devices()).hasSize(4)
          .allSatisfy(d -> assertThat(d.spec().tags()).containsKeys("rack", "chassis"));
      assertThat(demo.lab().devices()).hasSize(4);
      // a new device self-tests at once: its relay is cycled and it fetches its PXE config
      // from the server's TFTP root, then boots the live image
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
          assertThat(demo.server().pool().inventory().devices()).extracting(DeviceView::state)
              .doesNotContain(DeviceStates.NEW, DeviceStates.START_SELF_TEST,
                  DeviceStates.PXE_POWER_CYCLING));
      assertThat(demo.banner()).contains(demo.uri().toString(), demo.clientToken(),
          demo.operatorToken(), "curl -s", "/api/device/list/?details", "mozpool device list");
    }
    assertThat(Files.exists(directory)).isFalse();
  }

  @Test
  void closeIsIdempotentAndOptionsAreCheckedEagerly() {
    DemoLab demo = DemoLab.start(DemoLab.options().devices(1));
    demo.close();
    demo.close();
    assertThat(demo.directory()).doesNotExist();

    assertThatThrownBy(() -> DemoLab.options().devices(0))
        .hasMessage("a demo lab has 1 to 1000 devices, got 0");
    assertThatThrownBy(() -> DemoLab.options().compression(0.5))
        .hasMessageContaining("at least 1, got 0.5");
    assertThatThrownBy(() -> DemoLab.options().listen("localhost"))
        .hasMessageContaining("host:port");
  }
}
