package org.mozpool.bmm.live;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mozpool.bmm.LiveScripts;

/**
 * Every live-image script passes {@code shellcheck} as POSIX sh, following its {@code source}
 * of mozpool-lib. Skipped without shellcheck, except under {@code CI=true}.
 */
@Timeout(120)
class ShellcheckTest {

  @TempDir Path temp;

  static Stream<String> scripts() {
    List<String> all = new ArrayList<>(LiveScripts.names());
    all.add("initramfs-init");
    return all.stream();
  }

  @ParameterizedTest
  @MethodSource("scripts")
  void scriptIsShellcheckCleanAsPosixSh(String name) throws Exception {
    Path shellcheck = LiveTools.require("shellcheck", "shellcheck");
    LiveRun.installScripts(temp);
    Files.write(temp.resolve("initramfs-init"), LiveScripts.initramfsInit());

    Process p = new ProcessBuilder(shellcheck.toString(), "--shell=sh", "--external-sources",
        "--source-path=SCRIPTDIR", "--format=gcc", temp.resolve(name).toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();

    assertThat(p.exitValue()).as("shellcheck %s:%n%s", name, out).isZero();
  }
}
