package org.mozpool.testkit.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The emulator records who sent each command: the connection's remote address. */
@Timeout(30)
class RelayBoardEmulatorTest {

  private static void send(RelayBoardEmulator board, InetAddress from, int... command)
      throws Exception {
    try (Socket s = new Socket()) {
      s.bind(new InetSocketAddress(from, 0));
      s.connect(new InetSocketAddress(board.host(), board.port()), 2000);
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      byte[] bytes = new byte[command.length];
      for (int i = 0; i < command.length; i++) {
        bytes[i] = (byte) command[i];
      }
      out.write(bytes);
      out.flush();
      assertThat(in.read()).isEqualTo(0x55);
    }
  }

  @Test
  void eachCommandIsRecordedWithItsSenderAndTime() throws Exception {
    InetAddress a = InetAddress.getByName("127.0.1.1");
    InetAddress b = InetAddress.getByName("127.0.1.2");
    try (RelayBoardEmulator board = RelayBoardEmulator.start()) {
      long before = System.nanoTime();
      send(board, a, 0xFE, 108, 1);
      assertThat(board.awaitIdle(Duration.ofSeconds(5))).isTrue();
      send(board, b, 0xFE, 0x21);

      assertThat(board.commands()).extracting(RelayBoardEmulator.Command::sender)
          .containsExactly(a, b);
      assertThat(board.commandsHex()).containsExactly("fe 6c 01", "fe 21");
      assertThat(board.commands()).allSatisfy(c -> assertThat(c.receivedNanos() - before)
          .isPositive());
    }
  }

  @Test
  void aCommandMadeByHandHasNoSender() {
    RelayBoardEmulator.Command c = new RelayBoardEmulator.Command(new byte[] {(byte) 0xFE, 0x21}, 5);
    assertThat(c.sender()).isNull();
    assertThat(c.hex()).isEqualTo("fe 21");
    assertThat(c.receivedNanos()).isEqualTo(5);
  }
}
