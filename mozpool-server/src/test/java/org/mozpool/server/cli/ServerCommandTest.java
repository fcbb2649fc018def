package org.mozpool.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.server.MozpoolServer;
import org.mozpool.server.demo.DemoLab;

@Timeout(120)
class ServerCommandTest {

  @TempDir Path dir;

  private static final String CONFIG = """
      instance: cli-test
      database: {url: "h2:db/mozpool"}
      api: {listen: "127.0.0.1:0"}
      tftp: {root: tftp, port: 0}
      auth: {mode: open}
      hardware_types: [{name: panda}]
      pxe_configs:
        - {name: panda-live, contents: "default live"}
      images:
        - {name: self-test, hidden: true, pxe_configs: {panda: panda-live}}
        - {name: maintenance, hidden: true, pxe_configs: {panda: panda-live}}
      devices:
        - {name: panda-1, mac: "00:11:22:33:44:55", hardware: panda,
           power: "proxr://127.0.0.1:1/bank/1/relay/1"}
      """;

  /** Runs {@code mozpool args} on another thread until it has started a server. */
  private static Running start(String... args) {
    AtomicReference<AutoCloseable> started = new AtomicReference<>();
    CompletableFuture<CliRun> run = CompletableFuture.supplyAsync(
        () -> CliRun.run(Map.of(), started::set, args));
    await().atMost(Duration.ofSeconds(60))
        .until(() -> started.get() != null || run.isDone());
    if (started.get() == null) {
      throw new AssertionError("mozpool " + String.join(" ", args) + " did not start a server: "
          + run.join());
    }
    return new Running(started.get(), run);
  }

  private record Running(AutoCloseable server, CompletableFuture<CliRun> run) {
    CliRun stop() throws Exception {
      server.close();
      return run.get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void serverWithAConfigServesFromTheConfigsDirectoryUntilStopped() throws Exception {
    Path config = Files.writeString(dir.resolve("lab.yaml"), CONFIG);

    Running running = start("server", "--config", config.toString());
    assertThat(running.server()).isInstanceOf(MozpoolServer.class);
    MozpoolServer server = (MozpoolServer) running.server();
    assertThat(server.pool().inventory().devices()).hasSize(1);
    assertThat(dir.resolve("tftp")).isDirectory(); // relative paths: against the config's dir
    CliRun run = running.stop();

    assertThat(run.exit()).isZero();
    assertThat(run.out()).isEqualTo("Mozpool server cli-test serving " + server.uri()
        + " (1 devices; Ctrl-C to stop)" + System.lineSeparator());
  }

  @Test
  void aConfigWithProblemsPrintsThemAllAndExitsTwo() throws Exception {
    Path config = Files.writeString(dir.resolve("bad.yaml"), CONFIG.replace("instance:",
        "instanse:"));

    CliRun run = CliRun.run(Map.of(), "server", "--config", config.toString());

    assertThat(run.exit()).isEqualTo(MozpoolCommand.USAGE);
    assertThat(run.err()).contains("bad.yaml", "problem", "instanse");
  }

  @Test
  void badServerArgumentsExitTwo() {
    assertThat(CliRun.run(Map.of(), "server").exit()).isEqualTo(MozpoolCommand.USAGE);
    assertThat(CliRun.run(Map.of(), "server", "--config", dir.resolve("none.yaml").toString())
        .err()).contains("no such file");
    assertThat(CliRun.run(Map.of(), "server", "--demo", "--config", "x.yaml").exit())
        .isEqualTo(MozpoolCommand.USAGE);
    assertThat(CliRun.run(Map.of(), "server", "--config", "x.yaml", "--devices", "3").exit())
        .isEqualTo(MozpoolCommand.USAGE);
    assertThat(CliRun.run(Map.of(), "server", "--demo", "--devices", "0").err())
        .contains("a demo lab has 1 to 1000 devices, got 0");
    assertThat(CliRun.run(Map.of(), "server", "--demo", "--listen", "nowhere").exit())
        .isEqualTo(MozpoolCommand.USAGE);
  }

  @Test
  void theDemoPrintsItsUrlTokensAndCurlLinesAndCleansUpWhenStopped() throws Exception {
    Running running = start("server", "--demo", "--devices", "2", "--listen", "127.0.0.1:0");
    DemoLab demo = (DemoLab) running.server();
    Path directory = demo.directory();
    assertThat(demo.server().pool().inventory().devices()).hasSize(2);
    CliRun run = running.stop();

    assertThat(run.exit()).isZero();
    assertThat(run.out()).startsWith("Mozpool demo lab: 2 simulated pandas on loopback,"
        + " timeouts compressed 20x").contains(demo.uri().toString(), demo.clientToken(),
        demo.operatorToken(), "curl -s -H 'Authorization: Bearer " + demo.operatorToken() + "'",
        "export MOZPOOL_SERVER=" + demo.uri() + " MOZPOOL_TOKEN=" + demo.operatorToken());
    Matcher url = Pattern.compile("server: +(http://127\\.0\\.0\\.1:\\d+)").matcher(run.out());
    assertThat(url.find()).isTrue();
    assertThat(directory).doesNotExist();
  }
}
