package org.mozpool.bmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mozpool.testkit.agent.SutAgentEmulator;
import org.mozpool.testkit.agent.SutAgentEmulator.Fault;

@Timeout(30)
class SutAgentClientTest {

  private final SutAgentEmulator agent =
      SutAgentEmulator.start(new InetSocketAddress("127.0.4.1", 0));

  @AfterEach
  void stop() {
    agent.close();
  }

  private SutAgentClient connect() throws IOException {
    return SutAgentClient.connect(agent.address(), Duration.ofSeconds(5), null);
  }

  @Test
  void verifyCreatesTheTestRootWhenMissingAndReturnsTheVersion() throws IOException {
    try (SutAgentClient client = connect()) {
      assertThat(client.verify()).contains("SUTAgentAndroid");
    }
    String root = SutAgentEmulator.TEST_ROOT;
    assertThat(agent.commands()).containsExactly("testroot", "isdir " + root, "mkdr " + root,
        "isdir " + root, "ver");
    assertThat(agent.isDirectory(root)).isTrue();
  }

  @Test
  void verifyLeavesAnExistingTestRootAlone() throws IOException {
    try (SutAgentClient client = connect()) {
      client.verify();
      client.verify();
    }
    assertThat(agent.commands()).filteredOn(c -> c.startsWith("mkdr")).hasSize(1);
  }

  @Test
  void storageCheckPushesAFileWhoseChecksumMatchesAndCleansUp() throws IOException {
    try (SutAgentClient client = connect()) {
      client.verify();
      client.checkStorage();
    }
    assertThat(agent.commands()).anyMatch(c -> c.matches(
        "push /mnt/sdcard/tests/mozpool-check-[0-9a-f]{12}/check\\.bin 4096"));
    assertThat(agent.commands().get(agent.commands().size() - 1)).startsWith("rmdr ");
    assertThat(agent.files()).isEmpty();
  }

  @Test
  void aWrongChecksumFailsTheStorageCheck() throws IOException {
    agent.fault(Fault.BAD_MD5);
    try (SutAgentClient client = connect()) {
      client.verify();
      assertThatThrownBy(client::checkStorage)
          .isInstanceOf(SutAgentException.class)
          .hasMessageContaining("stored MD5")
          .hasMessageContaining("bad storage");
    }
    assertThat(agent.commands().get(agent.commands().size() - 1)).startsWith("rmdr ");
  }

  @Test
  void anAgentWarningIsAnError() throws IOException {
    try (SutAgentClient client = connect()) {
      assertThatThrownBy(() -> client.command("frobnicate"))
          .isInstanceOf(SutAgentException.class)
          .hasMessageContaining("'frobnicate' failed: ##AGENT-WARNING## unknown command");
      agent.fault(Fault.WARNINGS);
      assertThatThrownBy(client::verify)
          .isInstanceOf(SutAgentException.class)
          .hasMessageContaining("##AGENT-WARNING##");
    }
  }

  @Test
  void anAgentThatNeverAnswersTimesOutAtTheCommandTimeout() {
    agent.fault(Fault.NEVER_ANSWERS);
    long start = System.nanoTime();

    assertThatThrownBy(() -> SutAgentClient.connect(agent.address(), Duration.ofMillis(200), null))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("no answer to 'the first prompt' within PT0.2S");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
  }

  @Test
  void anAgentThatStopsAnsweringMidConversationTimesOut() throws IOException {
    try (SutAgentClient client = SutAgentClient.connect(agent.address(), Duration.ofMillis(200),
        null)) {
      agent.fault(Fault.NEVER_ANSWERS);
      assertThatThrownBy(client::verify)
          .hasMessageContaining("no answer to 'testroot' within PT0.2S");
    }
  }

  @Test
  void theOverallDeadlineBoundsTheConversation() {
    agent.fault(Fault.NEVER_ANSWERS);
    assertThatThrownBy(() -> SutAgentClient.connect(agent.address(), Duration.ofSeconds(15),
        Duration.ofMillis(150)))
        .hasMessageContaining("within the probe's deadline");
  }

  @Test
  void commandsAreBoundedByFifteenSecondsByDefault() {
    assertThat(SutAgentClient.DEFAULT_COMMAND_TIMEOUT).isEqualTo(Duration.ofSeconds(15));
    assertThat(SutAgentClient.DEFAULT_PORT).isEqualTo(20701);
  }

  @Test
  void anAgentThatIsNotListeningIsAnIoError() {
    InetSocketAddress address = agent.address();
    agent.close();
    assertThatThrownBy(() -> SutAgentClient.connect(address, Duration.ofSeconds(1), null))
        .isInstanceOf(IOException.class);
  }
}
