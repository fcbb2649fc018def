package org.mozpool.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mozpool.server.api.ApiLab.CLIENT;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.DeviceStates;
import org.mozpool.RequestStates;

/**
 * What mozpoolclient and mozharness do, over HTTP against a server on emulated hardware: request
 * {@code any} device with a b2g build, poll the request's {@code status/} until {@code ready},
 * renew, return. panda-1 already carries the build (the image is reusable), so it is handed out
 * after a power cycle through the relay-board emulator and a ping.
 */
class ClientFlowTest {

  @TempDir
  Path dir;

  @Test
  void aClientRequestsAnyDevicePollsUntilReadyRenewsAndReturns() {
    String build = "http://builds.example/b2g/2026-12-01/";
    try (WiredLab wired = new WiredLab(dir)) {
      ApiLab lab = wired.api;
      lab.awaitDeviceState("panda-1", DeviceStates.READY);
      lab.awaitDeviceState("panda-2", DeviceStates.READY);
      // panda-1 carries the build already; panda-2 could only get it by PXE (no live image here)
      wired.store.inTransaction(tx -> {
        tx.updateDeviceImages("panda-1", "b2g", Map.of("b2gbase", build), "", Map.of());
        return null;
      });

      ApiLab.Answer filed = lab.post("/api/device/any/request/", CLIENT, Map.of(
          "assignee", "slave-3", "duration", 1800, "image", "b2g", "b2gbase", build,
          "environment", "any"));
      assertThat(filed.status()).as(filed.body()).isEqualTo(200);
      String url = filed.json().get("request").get("url").asText();
      String path = url.substring(lab.server.uri().toString().length());

      Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
          .until(() -> lab.get(path + "status/", CLIENT).json().get("state").asText(),
              RequestStates.READY::equals);
      JsonNode details = lab.get(path + "details/", CLIENT).json();
      assertThat(details.get("assigned_device").asText()).isEqualTo("panda-1");
      assertThat(details.get("state").asText()).isEqualTo(RequestStates.READY);
      JsonNode device = lab.get("/api/device/list/?details=1", CLIENT).json().get("devices")
          .get(0);
      assertThat(device.get("request_id").asText()).isEqualTo(details.get("id").asText());
      assertThat(device.get("image").asText()).isEqualTo("b2g");

      ApiLab.Answer renewed = lab.post(path + "renew/", CLIENT, Map.of("duration", 3600));
      assertThat(renewed.status()).isEqualTo(204);
      assertThat(Instant.parse(lab.get(path + "details/", CLIENT).json().get("expires").asText()))
          .isAfter(Instant.now().plusSeconds(3500));

      assertThat(lab.post(path + "return/", CLIENT, "{}").status()).isEqualTo(204);
      assertThat(lab.get(path + "status/", CLIENT).json().get("state").asText())
          .isEqualTo(RequestStates.CLOSED);
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
          lab.server.pool().inventory().device("panda-1").claimedBy().isEmpty());
    }
  }
}
