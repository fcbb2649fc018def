package org.mozpool.testkit.faults;

import java.time.Duration;
import java.util.Objects;

/**
 * How often the simulated lab misbehaves. Probabilities are in {@code [0, 1]}: per-step
 * probabilities apply each time a board goes through that step; defect rates are the share of
 * boards carrying a persistent defect; relay-board rates apply per power operation; the bad-image
 * rate is the share of workload requests that name a broken build. Immutable; start from
 * {@link #none()} or {@link #realistic()} and adjust with {@link #toBuilder()}.
 *
 * @param bootHang u-boot hangs after power-on
 * @param downloadStall the live image's download stalls
 * @param extractStall extraction to the SD card stalls
 * @param rebootHang the board does not come back after the post-install reboot
 * @param verifyFailure the agent does not answer after a boot
 * @param deadBoards share of boards that never boot
 * @param badSdCards share of boards whose SD card does not hold data
 * @param flakyRelays share of boards whose relay sometimes misses
 * @param overheating share of boards that hang after {@link #overheatAfter()} powered
 * @param looseNetwork share of boards that lose probes and callbacks now and then
 * @param problemChildren share of intermittent boards whose imaging often fails
 * @param relayMiss probability that a flaky relay misses one power cycle
 * @param packetLoss probability that a loose network loses one probe or callback
 * @param problemChildFailure probability that a problem child fails one imaging
 * @param overheatAfter how long an overheating board runs before it hangs
 * @param relayBoardHang probability that a relay board hangs at one operation
 * @param relayBoardHangFor how long a hung relay board stays hung
 * @param relayBoardGarbage probability that a relay board answers one operation with garbage
 * @param badImages share of workload requests that name a broken build
 */
public record FaultProfile(
    double bootHang, double downloadStall, double extractStall, double rebootHang,
    double verifyFailure,
    double deadBoards, double badSdCards, double flakyRelays, double overheating,
    double looseNetwork, double problemChildren,
    double relayMiss, double packetLoss, double problemChildFailure, Duration overheatAfter,
    double relayBoardHang, Duration relayBoardHangFor, double relayBoardGarbage,
    double badImages) {

  /**
   * Validates.
   *
   * @throws IllegalArgumentException naming the field and the value, if a probability or share is
   *     not in {@code [0, 1]} or a duration is null, zero or negative
   */
  public FaultProfile {
    check(bootHang, "bootHang");
    check(downloadStall, "downloadStall");
    check(extractStall, "extractStall");
    check(rebootHang, "rebootHang");
    check(verifyFailure, "verifyFailure");
    check(deadBoards, "deadBoards");
    check(badSdCards, "badSdCards");
    check(flakyRelays, "flakyRelays");
    check(overheating, "overheating");
    check(looseNetwork, "looseNetwork");
    check(problemChildren, "problemChildren");
    check(relayMiss, "relayMiss");
    check(packetLoss, "packetLoss");
    check(problemChildFailure, "problemChildFailure");
    check(relayBoardHang, "relayBoardHang");
    check(relayBoardGarbage, "relayBoardGarbage");
    check(badImages, "badImages");
    requirePositive(overheatAfter, "overheatAfter");
    requirePositive(relayBoardHangFor, "relayBoardHangFor");
  }

  private static void check(double p, String what) {
    if (!(p >= 0 && p <= 1)) {
      throw new IllegalArgumentException(what + " must be a probability in [0, 1], got " + p);
    }
  }

  private static void requirePositive(Duration d, String what) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, got " + d);
    }
  }

  /** A lab where nothing goes wrong unless a test injects it explicitly. */
  public static FaultProfile none() {
    return new FaultProfile(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0.3, 0.15, 0.35, Duration.ofHours(8), 0, Duration.ofMinutes(20), 0, 0);
  }

  /**
   * A lab like Mozilla's panda racks on an ordinary week: about one board in twenty carries a
   * persistent defect, each step fails about once in a hundred tries, relay boards hang rarely,
   * and about one request in a hundred names a broken build. The default of the lab simulation.
   */
  public static FaultProfile realistic() {
    return new FaultProfile(0.01, 0.01, 0.005, 0.01, 0.01,
        0.005, 0.01, 0.01, 0.01, 0.01, 0.01,
        0.3, 0.15, 0.35, Duration.ofHours(8),
        0.0005, Duration.ofMinutes(20), 0.001, 0.01);
  }

  /** A profile by name: {@code none} or {@code realistic}. */
  public static FaultProfile named(String name) {
    return switch (Objects.requireNonNull(name, "name")) {
      case "none" -> none();
      case "realistic" -> realistic();
      default -> throw new IllegalArgumentException(
          "unknown fault profile '" + name + "', expected none or realistic");
    };
  }

  /** A builder holding this profile's values. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /**
   * Fluent adjustment of a {@link FaultProfile}, starting from the values of the profile it came
   * from ({@link FaultProfile#toBuilder()}): those are the defaults of its setters. Each setter
   * checks its value at once and throws {@link IllegalArgumentException} naming the field and the
   * value; a refused value leaves the builder as it was. Not thread safe.
   */
  public static final class Builder {
    private double bootHang;
    private double downloadStall;
    private double extractStall;
    private double rebootHang;
    private double verifyFailure;
    private double deadBoards;
    private double badSdCards;
    private double flakyRelays;
    private double overheating;
    private double looseNetwork;
    private double problemChildren;
    private double relayMiss;
    private double packetLoss;
    private double problemChildFailure;
    private Duration overheatAfter;
    private double relayBoardHang;
    private Duration relayBoardHangFor;
    private double relayBoardGarbage;
    private double badImages;

    private Builder(FaultProfile p) {
      bootHang = p.bootHang;
      downloadStall = p.downloadStall;
      extractStall = p.extractStall;
      rebootHang = p.rebootHang;
      verifyFailure = p.verifyFailure;
      deadBoards = p.deadBoards;
      badSdCards = p.badSdCards;
      flakyRelays = p.flakyRelays;
      overheating = p.overheating;
      looseNetwork = p.looseNetwork;
      problemChildren = p.problemChildren;
      relayMiss = p.relayMiss;
      packetLoss = p.packetLoss;
      problemChildFailure = p.problemChildFailure;
      overheatAfter = p.overheatAfter;
      relayBoardHang = p.relayBoardHang;
      relayBoardHangFor = p.relayBoardHangFor;
      relayBoardGarbage = p.relayBoardGarbage;
      badImages = p.badImages;
    }

    /**
     * Sets every per-step probability ({@link #bootHang}, {@link #downloadStall}, {@link
     * #extractStall}, {@link #rebootHang}, {@link #verifyFailure}) to {@code p}.
     *
     * @throws IllegalArgumentException if {@code p} is not in {@code [0, 1]}, naming the field;
     *     no field is then changed
     */
    public Builder stepFailures(double p) {
      check(p, "stepFailures");
      bootHang = downloadStall = extractStall = rebootHang = verifyFailure = p;
      return this;
    }

    /**
     * Sets the probability that u-boot hangs after power-on, in {@code [0, 1]}.
     *
     * @throws IllegalArgumentException if {@code p} is not in {@code [0, 1]}, naming the
     *     field and the value
     */
    public Builder bootHang(double p) {
      check(p, "bootHang");
      bootHang = p;
      return this;
    }

    /**
     * Sets the probability that the live image's download stalls, in {@code [0, 1]}.
     *
     * @throws IllegalArgumentException if {@code p} is not in {@code [0, 1]}, naming the
     *     field and the value
     */
    public Builder downloadStall(double p) {
      check(p, "downloadStall");
      downloadStall = p;
      return this;
    }

    /**
     * Sets the probability that extraction to the SD card stalls, in {@code [0, 1]}.
     *
     * @throws IllegalArgumentException if {@code p} is not in {@code [0, 1]}, naming the
     *     field and the value
     */
    public Builder extractStall(double p) {
      check(p, "extractStall");
      extractStall = p;
      return this;
    }

    /**
     * Sets the probability that the board does not come back after the post-install reboot, in
     * {@code [0, 1]}.
     *
     * @throws IllegalArgumentException if {@code p} is not in {@code [0, 1]}, naming the
     *     field and the value
     */
    public Builder rebootHang(double p) {
      check(p, "rebootHang");
      rebootHang = p;
      return this;
    }

    /**
     * Sets the probability that the agent does not answer after a boot, in {@code [0, 1]}.
     *
     * @throws IllegalArgumentException if {@code p} is not in {@code [0, 1]}, naming the
     *     field and the value
     */
    public Builder verifyFailure(double p) {
      check(p, "verifyFailure");
      verifyFailure = p;
      return this;
    }

    /**
     * Sets the share of boards that never boot, in {@code [0, 1]}.
     *
     * @throws IllegalArgumentException if {@code share} is not in {@code [0, 1]}, naming the
     *     field and the value
     */
    public Builder deadBoards(double share) {
      check(share, "deadBoards");
      deadBoards = share;
      return this;
    }

    /**
     * Sets the share of boards whose SD card does not hold data, in {@code [0, 1]}.
     *
     * @throws IllegalArgumentException if {@code share} is not in {@code [0, 1]}, naming the
     *     field and the value
     */
    public Builder badSdCards(double share) {
      check(share, "badSdCards");
      badSdCards = share;
      return this;
    }

    /**
     * Sets the share of boards whose relay sometimes misses, in {@code [0, 1]}.
     *
     * @throws IllegalArgumentException if {@code share} is not in {@code [0, 1]}, naming the
     *     field and the value
     */
    public Builder flakyRelays(double share) {
      check(share, "flakyRelays");
      flakyRelays = share;
      return this;
    }

    /**
     * Sets the share of boards that hang after {@link FaultProfile#overheatAfter()} powered, in
     * {@code [0, 1]}.
     *
     * @throws IllegalArgumentException if {@code share} is not in {@code [0, 1]}, naming the
     *     field and the value
     */
    public Builder overheating(double share) {
      check(share, "overheating");
      overheating = share;
      return this;
    }

    /**
     * Sets the share of boards that lose probes and callbacks now and then, in {@code [0, 1]}.
     *
     * @throws IllegalArgumentException if {@code share} is not in {@code [0, 1]}, naming the
     *     field and the value
     */
    public Builder looseNetwork(double share) {
      check(share, "looseNetwork");
      looseNetwork = share;
      return this;
    }

    /**
     * Sets the share of intermittent boards whose imaging often fails, in {@code [0, 1]}.
     *
     * @throws IllegalArgumentException if {@code share} is not in {@code [0, 1]}, naming the
     *     field and the value
     */
    public Builder problemChildren(double share) {
      check(share, "problemChildren");
      problemChildren = share;
      return this;
    }

    /**
     * Sets the probability that a flaky relay misses one power cycle, in {@code [0, 1]}.
     *
     * @throws IllegalArgumentException if {@code p} is not in {@code [0, 1]}, naming the
     *     field and the value
     */
    public Builder relayMiss(double p) {
      check(p, "relayMiss");
      relayMiss = p;
      return this;
    }

    /**
     * Sets the probability that a loose network loses one probe or callback, in {@code [0, 1]}.
     *
     * @throws IllegalArgumentException if {@code p} is not in {@code [0, 1]}, naming the
     *     field and the value
     */
    public Builder packetLoss(double p) {
      check(p, "packetLoss");
      packetLoss = p;
      return this;
    }

    /**
     * Sets the probability that a problem child fails one imaging, in {@code [0, 1]}.
     *
     * @throws IllegalArgumentException if {@code p} is not in {@code [0, 1]}, naming the
     *     field and the value
     */
    public Builder problemChildFailure(double p) {
      check(p, "problemChildFailure");
      problemChildFailure = p;
      return this;
    }

    /**
     * Sets the probability that a relay board hangs at one operation, in {@code [0, 1]}.
     *
     * @throws IllegalArgumentException if {@code p} is not in {@code [0, 1]}, naming the
     *     field and the value
     */
    public Builder relayBoardHang(double p) {
      check(p, "relayBoardHang");
      relayBoardHang = p;
      return this;
    }

    /**
     * Sets the probability that a relay board answers one operation with garbage, in {@code [0,
     * 1]}.
     *
     * @throws IllegalArgumentException if {@code p} is not in {@code [0, 1]}, naming the
     *     field and the value
     */
    public Builder relayBoardGarbage(double p) {
      check(p, "relayBoardGarbage");
      relayBoardGarbage = p;
      return this;
    }

    /**
     * Sets the share of workload requests that name a broken build, in {@code [0, 1]}.
     *
     * @throws IllegalArgumentException if {@code share} is not in {@code [0, 1]}, naming the
     *     field and the value
     */
    public Builder badImages(double share) {
      check(share, "badImages");
      badImages = share;
      return this;
    }

    /**
     * Sets how long an overheating board runs before it hangs.
     *
     * @throws IllegalArgumentException if {@code d} is null, zero or negative, naming the field
     *     and the value
     */
    public Builder overheatAfter(Duration d) {
      requirePositive(d, "overheatAfter");
      overheatAfter = d;
      return this;
    }

    /**
     * Sets how long a hung relay board stays hung.
     *
     * @throws IllegalArgumentException if {@code d} is null, zero or negative, naming the field
     *     and the value
     */
    public Builder relayBoardHangFor(Duration d) {
      requirePositive(d, "relayBoardHangFor");
      relayBoardHangFor = d;
      return this;
    }

    /** Makes the profile; every value was checked when it was set. */
    public FaultProfile build() {
      return new FaultProfile(bootHang, downloadStall, extractStall, rebootHang, verifyFailure,
          deadBoards, badSdCards, flakyRelays, overheating, looseNetwork, problemChildren,
          relayMiss, packetLoss, problemChildFailure, overheatAfter, relayBoardHang,
          relayBoardHangFor, relayBoardGarbage, badImages);
    }
  }
}
