package org.mozpool.testkit.faults;

/**
 * The kinds of fault the simulated lab can inject. {@linkplain #persistent() Persistent} faults
 * are defects of one board that stay for the whole run; the others strike once, at one step.
 */
public enum Fault {
  /** The board never boots: no u-boot, no pings, no callbacks. */
  DEAD_BOARD(true),
  /** The SD card takes writes but does not hold them: storage checks and self-tests fail. */
  BAD_SD_CARD(true),
  /** The board's relay sometimes fails to switch, so power cycles fail now and then. */
  FLAKY_RELAY(true),
  /** The board hangs after some hours powered; a power cycle revives it. */
  OVERHEATING(true),
  /** The board's network drops probes and callbacks now and then. */
  LOOSE_NETWORK(true),
  /** The intermittent board: imaging often fails at a random step, yet its self-test passes. */
  PROBLEM_CHILD(true),

  /** U-boot hung after power-on (transient). */
  BOOT_HANG(false),
  /** The live image's download stalled (transient). */
  DOWNLOAD_STALL(false),
  /** Extraction to the SD card stalled (transient). */
  EXTRACT_STALL(false),
  /** The board did not come back after the post-install reboot (transient). */
  REBOOT_HANG(false),
  /** The agent did not answer after this boot (transient). */
  VERIFY_FAILURE(false),
  /** The card dropped writes until the next boot (how a problem child fails). */
  STORAGE_DROPPED_WRITES(false),
  /** An overheating board just hung. */
  OVERHEATED(false),
  /** A flaky relay failed to switch once. */
  RELAY_MISSED(false),
  /** A loose network lost one probe or callback. */
  PACKET_LOST(false),
  /** A relay board stopped answering for a while. */
  RELAY_BOARD_HUNG(false),
  /** A relay board answered one command with garbage. */
  RELAY_BOARD_GARBAGE(false),
  /** The database was unreachable for a while (see {@link OutageStore}). */
  DATABASE_OUTAGE(false),
  /** A device was asked to install a build that cannot be fetched or fails its checksum. */
  BAD_IMAGE(false);

  private final boolean persistent;

  Fault(boolean persistent) {
    this.persistent = persistent;
  }

  /** Whether this is a defect that stays with its board for the whole run. */
  public boolean persistent() {
    return persistent;
  }

  /** The lower-case name used in reports ({@code bad_sd_card}). */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
