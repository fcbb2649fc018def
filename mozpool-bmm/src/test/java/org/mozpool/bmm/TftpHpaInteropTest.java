package org.mozpool.bmm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interoperability with the {@code tftp} client of Debian's tftp-hpa package. Skipped when that
 * client is not installed ({@code apt-get install tftp-hpa}).
 */
@Timeout(60)
class TftpHpaInteropTest {

  @TempDir Path temp;
  private Path root;
  private TftpServer server;

  @BeforeEach
  void setUp() throws IOException {
    Assumptions.assumeTrue(tftpHpa() != null, "tftp-hpa's tftp client is not installed");
    root = Files.createDirectories(temp.resolve("root"));
    server = TftpServer.builder(root).port(0).build().start();
  }

  @AfterEach
  void tearDown() {
    if (server != null) {
      server.close();
    }
  }

  private static String tftpHpa() {
    for (String dir : List.of("/usr/bin", "/bin", "/usr/local/bin")) {
      File f = new File(dir, "tftp");
      if (f.canExecute()) {
        try {
          Process p = new ProcessBuilder(f.getPath(), "-V").redirectErrorStream(true).start();
          String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
          p.waitFor(5, TimeUnit.SECONDS);
          if (out.contains("tftp-hpa")) {
            return f.getPath();
          }
        } catch (IOException e) {
          return null;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return null;
        }
      }
    }
    return null;
  }

  private int get(String mode, String remote, Path local) throws Exception {
    Process p = new ProcessBuilder(tftpHpa(), "-m", mode, "127.0.0.1", Integer.toString(server.port()),
        "-c", "get", remote, local.toString())
        .redirectErrorStream(true).start();
    p.getOutputStream().close();
    p.getInputStream().readAllBytes();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return p.exitValue();
  }

  @Test
  void tftpHpaFetchesABinaryFileByteExact() throws Exception {
    byte[] data = new byte[300_000];
    new Random(42).nextBytes(data);
    Files.write(root.resolve("uImage"), data);
    Path local = temp.resolve("uImage.fetched");

    get("binary", "uImage", local);

    assertThat(Files.readAllBytes(local)).isEqualTo(data);
  }

  @Test
  void tftpHpaFetchesATextFileInNetasciiMode() throws Exception {
    Files.createDirectories(root.resolve("pxelinux.cfg"));
    Files.writeString(root.resolve("pxelinux.cfg/default"), "default live\nlabel live\n");
    Path local = temp.resolve("default.fetched");

    get("netascii", "pxelinux.cfg/default", local);

    assertThat(Files.readString(local)).isEqualTo("default live\nlabel live\n");
  }

  @Test
  void tftpHpaCannotEscapeTheRoot() throws Exception {
    Path local = temp.resolve("passwd.fetched");

    get("binary", "../../../../etc/passwd", local);

    assertThat(local).satisfiesAnyOf(
        p -> assertThat(p).doesNotExist(),
        p -> assertThat(p).isEmptyFile());
  }
}
