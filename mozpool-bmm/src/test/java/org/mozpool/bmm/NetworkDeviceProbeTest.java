package org.mozpool.bmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mozpool.MozpoolException;
import org.mozpool.spi.DeviceTarget;
import org.mozpool.testkit.agent.SutAgentEmulator;
import org.mozpool.testkit.agent.SutAgentEmulator.Fault;

@Timeout(30)
class NetworkDeviceProbeTest {

  private static final Duration DEADLINE = Duration.ofSeconds(5);

  private final SutAgentEmulator agent =
      SutAgentEmulator.start(new InetSocketAddress("127.0.5.1", 0));
  private final NetworkDeviceProbe probe = NetworkDeviceProbe.builder()
      .tcpConnectPing(agent.port())
      .agentPort(agent.port())
      .pingTimeout(Duration.ofSeconds(2))
      .commandTimeout(Duration.ofSeconds(2))
      .build();

  @AfterEach
  void stop() {
    probe.close();
    agent.close();
  }

  private static DeviceTarget device(String name, String fqdn) {
    return new DeviceTarget(name, fqdn, "aabbccddeeff", "panda", "");
  }

  private static void succeeds(CompletionStage<Void> stage) {
    assertThat(stage.toCompletableFuture()).succeedsWithin(Duration.ofSeconds(10));
  }

  private static void failsWith(CompletionStage<Void> stage, String... messages) {
    assertThat(stage.toCompletableFuture())
        .failsWithin(Duration.ofSeconds(10))
        .withThrowableOfType(ExecutionException.class)
        .havingCause()
        .isInstanceOf(MozpoolException.class)
        .withMessageContainingAll(messages);
  }

  @Test
  void tcpConnectPingSucceedsWhenTheDeviceListens() {
    succeeds(probe.ping(device("panda-1", "127.0.5.1"), DEADLINE));
  }

  @Test
  void tcpConnectPingFailsNamingTheDeviceWhenNothingListens() {
    failsWith(probe.ping(device("panda-2", "127.0.5.2"), DEADLINE),
        "device panda-2 (127.0.5.2): ping failed", "TCP connect on port " + agent.port());
  }

  @Test
  void icmpPingReachesALoopbackAddress() {
    try (NetworkDeviceProbe icmp = NetworkDeviceProbe.builder().icmpPing().build()) {
      succeeds(icmp.ping(device("panda-1", "127.0.5.1"), DEADLINE));
    }
  }

  @Test
  void anUnresolvableNameFailsThePing() {
    failsWith(probe.ping(device("panda-3", "no-such-host.invalid"), DEADLINE),
        "cannot resolve no-such-host.invalid");
  }

  @Test
  void verifyAgentAndCheckStorageSucceedAgainstAHealthyAgent() {
    DeviceTarget panda = device("panda-1", "127.0.5.1");
    succeeds(probe.verifyAgent(panda, DEADLINE));
    succeeds(probe.checkStorage(panda, DEADLINE));
    assertThat(agent.commands()).contains("ver").anyMatch(c -> c.startsWith("push "));
  }

  @Test
  void aDeviceWhoseAgentNeverAnswersFailsVerifyWithinTheDeadline() {
    agent.fault(Fault.NEVER_ANSWERS);
    long start = System.nanoTime();

    failsWith(probe.verifyAgent(device("panda-1", "127.0.5.1"), Duration.ofMillis(300)),
        "device panda-1", "agent verify failed", "no answer");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
  }

  @Test
  void aBadChecksumFailsTheStorageCheck() {
    agent.fault(Fault.BAD_MD5);
    failsWith(probe.checkStorage(device("panda-1", "127.0.5.1"), DEADLINE),
        "storage check failed", "MD5");
  }

  @Test
  void aDeviceWithoutAnAgentFailsVerify() {
    failsWith(probe.verifyAgent(device("panda-4", "127.0.5.4"), DEADLINE),
        "device panda-4 (127.0.5.4): agent verify failed");
  }

  @Test
  void theBuilderRefusesABadPortAtOnceNamingWhichPort() {
    NetworkDeviceProbe.Builder b = NetworkDeviceProbe.builder();
    assertThatThrownBy(() -> b.tcpConnectPing(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("TCP ping port must be 1..65535, got 0");
    assertThatThrownBy(() -> b.agentPort(65536))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("agent port must be 1..65535, got 65536");
  }

  @Test
  void theBuilderRefusesANonPositiveTimeoutOrConcurrencyAtOnce() {
    NetworkDeviceProbe.Builder b = NetworkDeviceProbe.builder();
    assertThatThrownBy(() -> b.pingTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("ping timeout must be positive, got PT0S");
    assertThatThrownBy(() -> b.commandTimeout(null))
        .isInstanceOf(NullPointerException.class).hasMessage("command timeout");
    assertThatThrownBy(() -> b.maxConcurrentProbes(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxConcurrentProbes must be positive, got 0");
  }
}
