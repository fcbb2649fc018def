package org.mozpool.bmm.live;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.mozpool.spi.Cancellable;
import org.mozpool.testkit.sim.InstallOrder;
import org.mozpool.testkit.sim.LiveBoot;
import org.mozpool.testkit.sim.LiveImage;

/**
 * The real live image for simulated boards: each network boot runs {@code init} as a child
 * process in a {@link LiveShell}'s world, with the kernel command line from the board's PXE
 * config, the board's SD card as a file that persists across boots, and a reboot command that
 * tells the board to reboot once the script has ended. The task scripts are fetched from a
 * scripts-and-builds server, as a live image fetches them from its Mozpool.
 */
final class ScriptedLiveImage implements LiveImage, AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Stands for a board without a temperature sensor in {@link #temperatures}. */
  private static final int NO_SENSOR = Integer.MIN_VALUE;

  /** One live-image run: the board, its task and how it ended. */
  record Run(String device, String commandLine, int exit, boolean rebooted) {}

  private final Path root;
  private final LiveShell shell;
  private final Path scripts;
  private final String scriptUrl;
  private final AtomicInteger boots = new AtomicInteger();
  private final List<Run> runs = new CopyOnWriteArrayList<>();
  /** Script runs not yet ended: killed (with their children) on close. */
  private final java.util.Set<Process> running = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final Map<String, Integer> temperatures = new java.util.concurrent.ConcurrentHashMap<>();
  /** Set by {@link #close}: a board booting after it runs no script. Guarded by {@code this}. */
  private boolean closed;

  ScriptedLiveImage(Path root, LiveShell shell, String scriptUrl) {
    this.root = root;
    this.shell = shell;
    this.scripts = LiveRun.installScripts(root.resolve("scripts"));
    this.scriptUrl = scriptUrl;
  }

  /**
   * Makes the temperature sensor of {@code device} read {@code milliCelsius} (default 45000)
   * from its next boot on; the live image reports the reading with every event.
   */
  ScriptedLiveImage temperature(String device, int milliCelsius) {
    temperatures.put(device, milliCelsius);
    return this;
  }

  /**
   * Takes the temperature sensor off {@code device} from its next boot on: the live image then
   * reports its temperature as {@code unknown}.
   */
  ScriptedLiveImage withoutTemperatureSensor(String device) {
    temperatures.put(device, NO_SENSOR);
    return this;
  }

  /** The SD card of {@code device}. */
  Path sdcard(String device) {
    return root.resolve(device).resolve("sdcard.img");
  }

  /** Every run that has ended, in order. */
  List<Run> runs() {
    return List.copyOf(runs);
  }

  @Override
  public Cancellable boot(LiveBoot board) {
    Path dir = root.resolve(board.device());
    Path run = dir.resolve("boot-" + boots.incrementAndGet());
    String commandLine = board.kernelCommandLine().orElse("");
    Map<String, String> env = new HashMap<>();
    try {
      Files.createDirectories(run);
      Files.writeString(run.resolve("cmdline"), commandLine + "\n");
      int milliCelsius = temperatures.getOrDefault(board.device(), 45000);
      if (milliCelsius == NO_SENSOR) {
        Files.deleteIfExists(dir.resolve("thermal"));
      } else {
        Files.writeString(dir.resolve("thermal"), milliCelsius + "\n");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    env.put("PATH", shell.path());
    env.put("HOME", run.toString());
    env.put("MOZPOOL_CMDLINE", run.resolve("cmdline").toString());
    env.put("MOZPOOL_WORKDIR", run.resolve("work").toString());
    env.put("MOZPOOL_SDCARD", sdcard(board.device()).toString());
    env.put("MOZPOOL_REBOOT_CMD", "touch " + run.resolve("rebooted"));
    env.put("MOZPOOL_THERMAL_FILE", dir.resolve("thermal").toString());
    env.put("MOZPOOL_SCRIPT_URL", scriptUrl);
    env.put("MOZPOOL_SCRATCH_KB", "64");
    env.put("MOZPOOL_RETRIES", "3");
    env.put("MOZPOOL_RETRY_DELAY", "1");
    env.put("MOZPOOL_HTTP_TIMEOUT", "10");
    Process p;
    synchronized (this) {
      if (closed) {
        return () -> { }; // the test is over: nothing may write into its directories any more
      }
      p = LiveRun.start(shell.bin().resolve("sh"), scripts.resolve("init"), env, run);
      running.add(p);
    }
    p.onExit().thenRun(() -> {
      running.remove(p);
      boolean rebooted = Files.exists(run.resolve("rebooted"));
      runs.add(new Run(board.device(), commandLine, p.exitValue(), rebooted));
      if (rebooted) {
        board.reboot(new InstallOrder(board.kernelArg("image").orElse(""),
            bootConfig(run.resolve("work/bootconfig.json")), true));
      }
    });
    return () -> LiveRun.kill(p);
  }

  private static Map<String, String> bootConfig(Path file) {
    Map<String, String> config = new TreeMap<>();
    try {
      Map<String, Object> raw = JSON.readValue(file.toFile(), new TypeReference<>() { });
      raw.forEach((k, v) -> config.put(k, String.valueOf(v)));
    } catch (IOException e) {
      // no boot config: the card holds an image without one
    }
    return config;
  }

  /**
   * Kills the script runs still going (a board taken out of service at its first event leaves its
   * script running) and starts no more, so that nothing writes into the boards' directories after
   * a test.
   */
  @Override
  public void close() {
    List<Process> still;
    synchronized (this) {
      closed = true; // no script starts after this: a reboot racing the close boots nothing
      still = List.copyOf(running);
    }
    for (Process p : still) {
      LiveRun.kill(p);
    }
  }
}
