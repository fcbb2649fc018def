package org.mozpool.examples;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.mozpool.Lease;
import org.mozpool.LogEntry;
import org.mozpool.RequestSpec;
import org.mozpool.RequestStates;
import org.mozpool.core.DeviceSelectors;
import org.mozpool.core.QueuePolicies;
import org.mozpool.spi.QueuePolicy;
import org.mozpool.testkit.sim.VirtualLab;

/**
 * Queue policies at work: two pandas, a {@code nightly} job that floods the queue with six
 * requests and a {@code try} job that asks for two a minute later; each holds its panda for 30 minutes.
 * With the default policy (priority, then age) {@code try} waits until the flood has drained; with
 * {@link QueuePolicies#fairShare()} a panda that frees goes to whoever holds fewer devices, so the
 * two take turns and {@code try} is served second and fourth instead of last. Simulated on
 * virtual time: it runs in a second.
 *
 * <pre>
 * java -cp examples/target/mozpool-lab.jar org.mozpool.examples.FairShareQueue
 * </pre>
 */
public final class FairShareQueue {
  private FairShareQueue() {}

  /** Prints who was served in which order, by default and with fair share. */
  public static void main(String[] args) {
    PrintStream out = System.out;
    out.println("priority then age: " + servingOrder(QueuePolicies.priorityThenAge()));
    out.println("fair share:        " + servingOrder(QueuePolicies.fairShare()));
  }

  /** The requesters in the order their requests got a device, under {@code policy}. */
  static List<String> servingOrder(QueuePolicy policy) {
    try (VirtualLab lab = VirtualLab.builder().devices(2).seed(7)
        .chooser(DeviceSelectors.leastRecentlyUsed()).queuePolicy(policy).build()) {
      List<Lease> leases = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        leases.add(lab.pool().request(request("nightly")));
      }
      lab.advance(Duration.ofMinutes(1));
      for (int i = 0; i < 2; i++) {
        leases.add(lab.pool().request(request("try")));
      }
      Map<String, Instant> readySince = new HashMap<>();
      for (int minute = 0; minute < 8 * 60 && readySince.size() < leases.size(); minute++) {
        lab.advance(Duration.ofMinutes(1));
        Instant now = lab.time().now();
        for (Lease lease : leases) {
          if (RequestStates.READY.equals(lease.state())) {
            readySince.putIfAbsent(lease.id(), now);
            if (!now.isBefore(readySince.get(lease.id()).plus(Duration.ofMinutes(30)))) {
              lease.returnDevice();
            }
          }
        }
      }
      // Served = claimed a panda: the "claimed device" line of each request's log says when.
      List<Lease> byClaim = new ArrayList<>(leases);
      byClaim.removeIf(l -> claimedAt(lab, l) == null);
      byClaim.sort(Comparator.comparing((Lease l) -> claimedAt(lab, l))
          .thenComparing(l -> l.view().createdAt()));
      return byClaim.stream().map(l -> l.view().spec().requester()).toList();
    }
  }

  private static Instant claimedAt(VirtualLab lab, Lease lease) {
    return lab.pool().requestLog(lease.id()).stream()
        .filter(e -> e.message().startsWith("claimed device")).map(LogEntry::timestamp)
        .findFirst().orElse(null);
  }

  private static RequestSpec request(String requester) {
    return RequestSpec.any().image("android").requester(requester)
        .waitBudget(Duration.ofHours(12)).leaseDuration(Duration.ofHours(12)).build();
  }
}
