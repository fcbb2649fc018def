package org.mozpool.bmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mozpool.DeviceSpec;
import org.mozpool.LogEntry;
import org.mozpool.bmm.DeviceCallbackServerTest.MutableClock;
import org.mozpool.bmm.DeviceCallbacks.Answer;
import org.mozpool.bmm.DeviceCallbacks.Call;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.Lifeguard;
import org.mozpool.spi.MachineRecord;
import org.mozpool.testkit.doubles.ScriptedLifeguard;

/**
 * {@link DeviceCallbacks} without any HTTP: what any transport gets for a call. (Its behaviour
 * over the wire is specified by {@link DeviceCallbackServerTest}.)
 */
class DeviceCallbacksTest {

  private static final String TOKEN = "tok-1";
  private static final InetAddress PEER = InetAddress.getLoopbackAddress();

  private final InMemoryPoolStore store = new InMemoryPoolStore();
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
  private final ScriptedLifeguard scripted = ScriptedLifeguard.completingAtOnce();
  private final Lifeguard lifeguard = scripted.stateless(clock);
  private final List<String> askedAbout = new ArrayList<>();
  private DeviceCallbacks callbacks;

  @BeforeEach
  void setUp() {
    store.inTransaction(tx -> {
      tx.insertDevice(new DeviceRecord(DeviceSpec.builder("panda-0001").mac("aabbccddeeff")
          .hardware("panda", "").build(), "android", Map.of(), "b2g", Map.of("b2gbase", "u"),
          TOKEN, MachineRecord.initial("pxe_booting", null)));
      return null;
    });
    callbacks = DeviceCallbacks.builder(store, lifeguard).clock(clock).alsoAccept(token -> {
      askedAbout.add(token);
      return token.equals("op-token") ? Optional.of("operator alice") : Optional.empty();
    }).build();
  }

  @AfterEach
  void tearDown() {
    store.close();
  }

  private List<String> deviceLog() {
    return store.inTransaction(tx -> tx.log(MachineKind.DEVICE, "panda-0001", 100)).stream()
        .map(LogEntry::message).toList();
  }

  @Test
  void anEventWithTheDevicesTokenIsPassedOnUnderItsCanonicalName() {
    Answer answer = callbacks.event(new Call("panda-0001", TOKEN, PEER), "android_rebooting",
        Map.of("token", TOKEN, "attempt", "2"), new byte[0], 1024);

    assertThat(answer).isEqualTo(new Answer(200, Map.of("ok", true)));
    assertThat(new String(answer.json())).isEqualTo("{\"ok\":true}");
    assertThat(DeviceCallbackServerTest.events(scripted))
        .containsExactly("panda-0001 image_rebooting {attempt=2}");
    assertThat(askedAbout).isEmpty(); // the device's own token needs no second check
  }

  @Test
  void theAlternativeCredentialIsAskedOnlyForATokenThatIsNotTheDevicesAndIsNamedInTheLog() {
    Answer byOperator = callbacks.event(new Call("panda-0001", "op-token", PEER), "maint_mode",
        Map.of(), new byte[0], 1024);
    Answer byNobody = callbacks.event(new Call("panda-0001", null, PEER), "maint_mode",
        Map.of(), new byte[0], 1024);

    assertThat(byOperator.status()).isEqualTo(200);
    assertThat(byNobody.status()).isEqualTo(401);
    assertThat(askedAbout).containsExactly("op-token");
    assertThat(deviceLog()).first().asString().isEqualTo(
        "event maint_mode (posted by operator alice)");
  }

  @Test
  void errorAnswersKeepOkBeforeErrorOnTheWire() {
    Answer answer = callbacks.event(new Call("panda-0001", TOKEN, PEER), "image_failed",
        Map.of(), null, 1024);

    assertThat(answer.status()).isEqualTo(413);
    assertThat(new String(answer.json()))
        .isEqualTo("{\"ok\":false,\"error\":\"body larger than 1024 bytes\"}");
  }

  @Test
  void theBootConfigIsTheNextImagesAndTheTokenMayComeFromTheQuery() {
    String token = DeviceCallbacks.presentedToken(null, TOKEN);

    assertThat(callbacks.bootConfig(new Call("panda-0001", token, PEER)))
        .isEqualTo(new Answer(200, Map.of("b2gbase", "u")));
    assertThat(DeviceCallbacks.presentedToken("bearer  abc ", "other")).isEqualTo("abc");
    assertThat(DeviceCallbacks.presentedToken("Basic abc", "other")).isEqualTo("other");
  }

  @Test
  void settingsOutsideTheirRangeAreRefused() {
    DeviceCallbacks.Builder b = DeviceCallbacks.builder(store, lifeguard);
    assertThatThrownBy(() -> b.eventTimeout(Duration.ZERO)).hasMessageContaining("eventTimeout");
    assertThatThrownBy(() -> b.refusalsLoggedPerMinute(1001))
        .hasMessageContaining("refusalsLoggedPerMinute").hasMessageContaining("0..1000");
  }
}
