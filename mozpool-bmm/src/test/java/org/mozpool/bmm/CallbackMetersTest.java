package org.mozpool.bmm;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mozpool.DeviceSpec;
import org.mozpool.bmm.DeviceCallbacks.Call;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.Lifeguard;
import org.mozpool.spi.MachineRecord;
import org.mozpool.testkit.doubles.ScriptedLifeguard;

/** {@code mozpool.callbacks}: every answered call counted once, under its kind and status. */
class CallbackMetersTest {
  private static final String TOKEN = "tok-1";
  private static final InetAddress PEER = InetAddress.getLoopbackAddress();

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final InMemoryPoolStore store = new InMemoryPoolStore();

  private double count(String kind, int status) {
    Counter c = registry.find("mozpool.callbacks").tag("kind", kind)
        .tag("status", Integer.toString(status)).counter();
    return c == null ? 0 : c.count();
  }

  /** A Lifeguard that takes every event at once (these tests count answers, not events). */
  private static Lifeguard lifeguard() {
    return ScriptedLifeguard.completingAtOnce().stateless(Clock.systemUTC());
  }

  private void insertDevice() {
    store.inTransaction(tx -> {
      tx.insertDevice(new DeviceRecord(DeviceSpec.builder("panda-0001").mac("aabbccddeeff")
          .hardware("panda", "").build(), "android", Map.of(), "b2g", Map.of("b2gbase", "u"),
          TOKEN, MachineRecord.initial("pxe_booting", null)));
      return null;
    });
  }

  @Test
  void everyAnswerIsCountedUnderItsKindAndStatus() {
    insertDevice();
    DeviceCallbacks callbacks = DeviceCallbacks.builder(store, lifeguard())
        .meterRegistry(registry).build();
    Call device = new Call("panda-0001", TOKEN, PEER);

    callbacks.event(device, "android_rebooting", Map.of(), new byte[0], 1024);
    callbacks.event(device, "image_downloading", Map.of(), new byte[0], 1024);
    callbacks.event(new Call("panda-0001", "wrong", PEER), "android_rebooting", Map.of(),
        new byte[0], 1024);
    callbacks.event(new Call("panda-9999", TOKEN, PEER), "android_rebooting", Map.of(),
        new byte[0], 1024);
    callbacks.event(device, "no_such_event", Map.of(), new byte[0], 1024);
    callbacks.event(device, "android_rebooting", Map.of(), null, 1024);
    callbacks.bootConfig(device);
    callbacks.bootConfig(new Call("panda-0001", null, PEER));

    assertThat(count("event", 200)).isEqualTo(2.0);
    assertThat(count("event", 401)).isEqualTo(1.0);
    assertThat(count("event", 404)).isEqualTo(1.0);
    assertThat(count("event", 400)).isEqualTo(1.0);
    assertThat(count("event", 413)).isEqualTo(1.0);
    assertThat(count("boot_config", 200)).isEqualTo(1.0);
    assertThat(count("boot_config", 401)).isEqualTo(1.0);
    assertThat(Search.in(registry).name("mozpool.callbacks").counters().stream()
        .mapToDouble(Counter::count).sum()).isEqualTo(8.0);
  }

  @Test
  void theStandaloneCallbackServerCountsWhatItAnswersOverHttp() throws Exception {
    insertDevice();
    try (DeviceCallbackServer server = DeviceCallbackServer.builder(store,
        lifeguard()).meterRegistry(registry)
        .bind(new java.net.InetSocketAddress("127.0.0.1", 0)).start()) {
      var http = java.net.http.HttpClient.newHttpClient();
      var wrong = http.send(java.net.http.HttpRequest.newBuilder(
              server.uri().resolve("api/device/panda-0001/bootconfig/?token=wrong")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      var right = http.send(java.net.http.HttpRequest.newBuilder(
              server.uri().resolve("api/device/panda-0001/bootconfig/?token=" + TOKEN)).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());

      assertThat(wrong.statusCode()).isEqualTo(401);
      assertThat(right.statusCode()).isEqualTo(200);
      assertThat(count("boot_config", 401)).isEqualTo(1.0);
      assertThat(count("boot_config", 200)).isEqualTo(1.0);
    }
  }
}
