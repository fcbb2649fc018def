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

  @Test
  void aServerThatCannotStartReleasesWhatItHadStarted() throws Exception {
    int apiPort;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1,
        java.net.InetAddress.getLoopbackAddress())) {
      apiPort = free.getLocalPort();
    }
    try (java.net.DatagramSocket taken = new java.net.DatagramSocket(0,
        java.net.InetAddress.getLoopbackAddress())) {
      ServerConfig config = ConfigLoader.parse("test.yaml", """
          instance: test
          database: {url: "h2:db/mozpool"}
          api: {listen: "127.0.0.1:API_PORT"}
          tftp: {root: tftp, port: TFTP_PORT}
          auth: {mode: open}
          hardware_types: [{name: panda, self_test: power_cycle}]
          devices: []
          """.replace("API_PORT", String.valueOf(apiPort))
          .replace("TFTP_PORT", String.valueOf(taken.getLocalPort())));

      // the TFTP port is taken: the HTTP server and the database had been started by then
      org.assertj.core.api.Assertions.assertThatThrownBy(
          () -> MozpoolServer.builder(config).configDirectory(dir).start())
          .isInstanceOf(RuntimeException.class);

      try (java.net.ServerSocket again = new java.net.ServerSocket(apiPort, 1,
          java.net.InetAddress.getLoopbackAddress())) {
        assertThat(again.getLocalPort()).as("the API port was let go").isEqualTo(apiPort);
      }
    }
  }
}
