package org.mozpool.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's main job, run small. */
class LabSimulationCommandTest {

  private static String[] run(String... args) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = LabSimulationCommand.commandLine(new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8)).execute(args);
    return new String[] {Integer.toString(code), out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8)};
  }

  @Test
  void smallRunPrintsMozpoolBesideTheNaivePoolAndWritesTheHtmlPage(@TempDir Path dir)
      throws Exception {
    Path html = dir.resolve("report.html");

    String[] r = run("--devices", "32", "--days", "0.25", "--seed", "9", "--no-progress",
        "--html", html.toString()); // the default store: embedded H2, the naive run in memory

    assertThat(r[0]).isEqualTo("0");
    assertThat(r[1]).contains("Lab simulation: 32 pandas", "Mozpool", "naive pool",
        "time to ready p50 / p95 / p99", "faults injected", "quarantined (true / false)",
        "mean devices per state", "wall-clock time",
        "store: embedded H2 (a temporary file) (naive run in memory)");
    assertThat(Files.readString(html)).contains("<svg", "Device states over time");
  }

  @Test
  void embeddedH2StoreGivesTheSameReportAsMemory(@TempDir Path dir) throws Exception {
    String[] memory = run("--devices", "16", "--days", "0.05", "--seed", "4", "--no-naive",
        "--no-progress", "--store", "memory", "--html", dir.resolve("m.html").toString());
    String[] h2 = run("--devices", "16", "--days", "0.05", "--seed", "4", "--no-naive",
        "--no-progress", "--store", "h2:" + dir.resolve("lab"), "--html",
        dir.resolve("h.html").toString());

    assertThat(h2[0]).isEqualTo("0");
    assertThat(report(h2[1])).isEqualTo(report(memory[1]));
  }

  @Test
  void unknownStoreIsAUsageError() throws Exception {
    String[] r = run("--store", "floppy:", "--no-progress");

    assertThat(r[0]).isEqualTo("2");
    assertThat(r[2]).contains("--store must be memory, h2, h2:PATH or jdbc:URL, got 'floppy:'");
  }

  private static String report(String out) {
    return out.substring(0, out.indexOf("store:"));
  }
}
