package org.mozpool;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * How an instance takes part when several instances share one database (DESIGN §9): which lab
 * network it drives, which others it stands by for, where it answers, and how liveness is judged.
 * Setting one on a pool builder turns the sharing on; without it a pool assumes it is alone.
 *
 * <p>Liveness is judged on the database's clock only: an instance renews its heartbeat every
 * {@link #heartbeat()}, and another instance declares it dead once the database has seen no
 * heartbeat for {@link #deadAfter()}. An instance stops sending hardware commands on its own before
 * that, once {@code deadAfter - heartbeat} has passed on its own monotonic clock since its last
 * heartbeat was taken, so that a paused instance is quiet before anyone adopts its devices.
 *
 * @param labNetwork the lab network whose relay boards and TFTP this instance serves; its devices
 *     are those registered with its instance id
 * @param standbyFor lab networks whose devices this instance adopts when their instance dies (it
 *     must reach their relay boards and serve their TFTP); besides these, it adopts the devices of
 *     a dead instance of its own lab network
 * @param url where this instance's REST API answers, for routing from the others (empty: none)
 * @param heartbeat how often the heartbeat is renewed
 * @param deadAfter the database-clock silence after which an instance counts as dead; at least
 *     three heartbeats
 * @param eventPoll how often the outbox is read when no notification arrives
 */
public record InstancePolicy(String labNetwork, Set<String> standbyFor, String url,
    Duration heartbeat, Duration deadAfter, Duration eventPoll) {

  private static final Duration MAX = Duration.ofHours(1);

  public InstancePolicy {
    labNetwork = Names.requireName(labNetwork, "lab network");
    standbyFor = Set.copyOf(new TreeSet<>(Objects.requireNonNull(standbyFor, "standbyFor")));
    standbyFor.forEach(n -> Names.requireName(n, "standby lab network"));
    url = Objects.requireNonNullElse(url, "");
    Durations.requirePositiveAtMost(heartbeat, "heartbeat", MAX);
    Durations.requirePositiveAtMost(deadAfter, "dead-after silence", MAX);
    Durations.requirePositiveAtMost(eventPoll, "event poll", MAX);
    if (deadAfter.compareTo(heartbeat.multipliedBy(3)) < 0) {
      throw new IllegalArgumentException("dead-after silence " + deadAfter
          + " must be at least three heartbeats (" + heartbeat.multipliedBy(3) + ")");
    }
  }

  /**
   * An instance on {@code labNetwork}, standing by for none, heartbeat every 2 s, dead after 15 s
   * of silence, outbox read every second without notification.
   */
  public static InstancePolicy on(String labNetwork) {
    return new InstancePolicy(labNetwork, Set.of(), "", Duration.ofSeconds(2),
        Duration.ofSeconds(15), Duration.ofSeconds(1));
  }

  /** A copy standing by for {@code labNetworks} (replacing the set). */
  public InstancePolicy withStandbyFor(Set<String> labNetworks) {
    return new InstancePolicy(labNetwork, labNetworks, url, heartbeat, deadAfter, eventPoll);
  }

  /** A copy answering at {@code url}. */
  public InstancePolicy withUrl(String url) {
    return new InstancePolicy(labNetwork, standbyFor, url, heartbeat, deadAfter, eventPoll);
  }

  /** A copy with another heartbeat interval and dead-after silence. */
  public InstancePolicy withLiveness(Duration heartbeat, Duration deadAfter) {
    return new InstancePolicy(labNetwork, standbyFor, url, heartbeat, deadAfter, eventPoll);
  }

  /** A copy reading the outbox every {@code eventPoll} without notification. */
  public InstancePolicy withEventPoll(Duration eventPoll) {
    return new InstancePolicy(labNetwork, standbyFor, url, heartbeat, deadAfter, eventPoll);
  }

  /** How long after its last heartbeat an instance keeps acting on hardware: one beat less than dead. */
  public Duration actingWindow() {
    return deadAfter.minus(heartbeat);
  }
}
