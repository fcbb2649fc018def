package org.mozpool.bmm.live;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.mozpool.bmm.LiveScripts;

/** Runs a live-image script as a child process in a clean environment. */
final class LiveRun {
  private LiveRun() {}

  /** How a run ended: exit code, standard output and standard error. */
  record Result(int exit, String stdout, String stderr) {
    @Override
    public String toString() {
      return "exit " + exit + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
    }
  }

  /** Copies every served script (and mozpool-lib) into {@code dir}, executable. */
  static Path installScripts(Path dir) {
    try {
      Files.createDirectories(dir);
      for (String name : LiveScripts.names()) {
        Path f = dir.resolve(name);
        Files.write(f, LiveScripts.script(name).orElseThrow());
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The host's {@code setsid}, which runs a script as the leader of a process group of its own,
   * so that {@link #kill} reaches every process it started, even one whose parent died first.
   */
  private static final Path SETSID = Path.of("/usr/bin/setsid");

  /** Starts {@code sh script} with exactly {@code env}; output goes to files beside {@code work}. */
  static Process start(Path sh, Path script, Map<String, String> env, Path logs) {
    try {
      Files.createDirectories(logs);
      List<String> command = new ArrayList<>();
      if (Files.isExecutable(SETSID)) {
        command.add(SETSID.toString()); // execs in place: the script's pid is its group's id
      }
      command.add(sh.toString());
      command.add(script.toString());
      ProcessBuilder pb = new ProcessBuilder(command)
          .redirectOutput(logs.resolve("stdout").toFile())
          .redirectError(logs.resolve("stderr").toFile())
          .redirectInput(new File("/dev/null"));
      pb.environment().clear();
      pb.environment().putAll(env);
      return pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs {@code sh script} to its end (killed after {@code timeout}). */
  static Result run(Path sh, Path script, Map<String, String> env, Path logs, Duration timeout) {
    Process p = start(sh, script, env, logs);
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        kill(p);
        throw new AssertionError(script.getFileName() + " did not finish within " + timeout
            + "\n" + result(-1, logs));
      }
      return result(p.exitValue(), logs);
    } catch (InterruptedException e) {
      kill(p);
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static Result result(int exit, Path logs) {
    try {
      return new Result(exit,
          Files.readString(logs.resolve("stdout"), StandardCharsets.UTF_8),
          Files.readString(logs.resolve("stderr"), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Kills {@code p} and every process it started (a sleeping child would outlive it), and waits
   * until they have all exited: a test deletes their directories next. With {@code setsid}, the
   * whole process group is killed at once, and waited for until none of it is left: a child
   * whose parent died first is no longer among {@code p}'s descendants, but still in its group.
   * Without it, children are killed until none is left before the script itself, which then
   * cannot start another.
   */
  static void kill(Process p) {
    if (Files.isExecutable(SETSID)) {
      String group = "-" + p.pid();
      signal("-KILL", group);
      long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (signal("-0", group) && System.nanoTime() < giveUp) {
        try {
          Thread.sleep(10); // real processes dying: a real wait
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
    List<ProcessHandle> killed = new ArrayList<>();
    for (int round = 0; round < 10; round++) {
      List<ProcessHandle> children = p.descendants().toList();
      if (children.isEmpty()) {
        break;
      }
      children.forEach(ProcessHandle::destroyForcibly);
      killed.addAll(children);
    }
    p.destroyForcibly();
    killed.add(p.toHandle());
    for (ProcessHandle h : killed) {
      try {
        h.onExit().get(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (ExecutionException | TimeoutException e) {
        // gone, or not dying: the test's clean-up will say so
      }
    }
  }

  /** Sends {@code signal} to process group {@code group}; whether any process received it. */
  private static boolean signal(String signal, String group) {
    try {
      Process kill = new ProcessBuilder("kill", signal, "--", group)
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      return kill.waitFor(5, TimeUnit.SECONDS) && kill.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
