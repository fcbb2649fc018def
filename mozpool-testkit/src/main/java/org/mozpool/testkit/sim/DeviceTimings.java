package org.mozpool.testkit.sim;

import java.time.Duration;
import java.util.Random;

/**
 * How long a simulated board takes for each step. Each duration is varied by up to
 * ±{@link #jitter()} of itself, drawn from the device's seeded random source.
 *
 * @param uboot power-on to the boot decision (PXE or SD card)
 * @param liveBoot live kernel start to {@code mobile_init_started}
 * @param bootConfigFetch fetching the second-stage script and boot config
 * @param download downloading the image
 * @param extract writing the image to the SD card
 * @param sdBoot booting the installed image from the SD card until its agent answers
 * @param selfTest running the self-test
 * @param jitter relative variation of every step, in {@code [0, 1)}
 */
public record DeviceTimings(
    Duration uboot, Duration liveBoot, Duration bootConfigFetch, Duration download,
    Duration extract, Duration sdBoot, Duration selfTest, double jitter) {

  public DeviceTimings {
    for (Duration d : new Duration[] {uboot, liveBoot, bootConfigFetch, download, extract, sdBoot,
        selfTest}) {
      if (d == null || d.isNegative()) {
        throw new IllegalArgumentException("step durations must be zero or positive, got " + d);
      }
    }
    if (!(jitter >= 0 && jitter < 1)) {
      throw new IllegalArgumentException("jitter must be in [0, 1), got " + jitter);
    }
  }

  /** Close to the real pandas: u-boot 7 s, download 60 s, extract 90 s, SD boot 40 s. */
  public static DeviceTimings pandas() {
    return new DeviceTimings(Duration.ofSeconds(7), Duration.ofSeconds(20), Duration.ofSeconds(2),
        Duration.ofSeconds(60), Duration.ofSeconds(90), Duration.ofSeconds(40),
        Duration.ofSeconds(120), 0.2);
  }

  /** These timings divided by {@code factor} (for real-time runs with compressed timeouts). */
  public DeviceTimings compressed(double factor) {
    if (!(factor >= 1)) {
      throw new IllegalArgumentException("compression factor must be at least 1, got " + factor);
    }
    return new DeviceTimings(div(uboot, factor), div(liveBoot, factor),
        div(bootConfigFetch, factor), div(download, factor), div(extract, factor),
        div(sdBoot, factor), div(selfTest, factor), jitter);
  }

  private static Duration div(Duration d, double factor) {
    return Duration.ofNanos((long) (d.toNanos() / factor));
  }

  /** {@code d} varied by up to ±jitter, drawn from {@code random}. */
  Duration vary(Duration d, Random random) {
    double f = 1 + jitter * (2 * random.nextDouble() - 1);
    return Duration.ofMillis(Math.max(0, Math.round(d.toMillis() * f)));
  }
}
