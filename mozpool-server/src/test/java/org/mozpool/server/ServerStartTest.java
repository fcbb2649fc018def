package org.mozpool.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerStartTest {

  @TempDir
  Path dir;

  @Test
  void aServerStartedFromAConfigAnswersOnItsPortAndKnowsItsDevices() throws Exception {
    ServerConfig config = ConfigLoader.parse("test.yaml", """
        instance: test
        database: {url: "h2:db/mozpool"}
        api: {listen: "127.0.0.1:0"}
        tftp: {root: tftp, port: 0}
        auth: {mode: open}
        hardware_types: [{name: panda}]
        pxe_configs: [{name: live, contents: "kernel live"}]
        images:
          - {name: self-test, hidden: true, pxe_configs: {panda: live}}
          - {name: maintenance, hidden: true, pxe_configs: {panda: live}}
        devices:
          - {name: panda-1, mac: "00:11:22:33:44:55", hardware: panda,
             power: "proxr://127.0.0.1:1/bank/1/relay/1", tags: {rack: r1}}
        """);
    try (MozpoolServer server = MozpoolServer.builder(config).configDirectory(dir).start()) {
      HttpResponse<String> version = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(server.uri() + "/api/version/")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(version.statusCode()).isEqualTo(200);
      assertThat(server.pool().inventory().devices()).hasSize(1);
    }
  }
}
