package org.mozpool.jdbc;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import org.mozpool.Lease;
import org.mozpool.Mozpool;
import org.mozpool.Pool;
import org.mozpool.RequestSpec;
import org.mozpool.testkit.doubles.ScriptedLifeguard;

/**
 * The child JVM of {@link KillNineDurabilityContract}: a pool over the store named by its
 * arguments that files requests and returns leases as fast as it can, printing each one only after
 * the call that committed it has returned. The parent kills it with {@code kill -9} and checks that
 * everything printed survived.
 *
 * <p>Arguments: JDBC URL, user, schema (or {@code -}), and a prefix for requester names. The
 * password, if any, comes from the environment variable {@code MOZPOOL_TEST_DB_PASSWORD}.
 */
public final class CommitLoopChild {
  private CommitLoopChild() {}

  public static void main(String[] args) {
    String url = args[0];
    String user = args[1];
    String schema = args[2];
    String prefix = args[3];
    String password = System.getenv().getOrDefault("MOZPOOL_TEST_DB_PASSWORD", "");
    JdbcPoolStore.Options.Builder options = JdbcPoolStore.Options.builder().poolSize(4);
    if (!schema.equals("-")) {
      options.schema(schema);
    }
    PrintStream out = System.out;
    JdbcPoolStore store = JdbcPoolStore.forUrl(url, user, password, options.build());
    Pool pool = Mozpool.builder().store(store).serverId("kill-child")
        .lifeguard(ScriptedLifeguard.completingAfter(Duration.ofHours(1))).build();
    out.println("STARTED");
    out.flush();
    Deque<Lease> live = new ArrayDeque<>();
    for (long n = 0; ; n++) {
      Lease lease = pool.request(RequestSpec.any().image("android")
          .leaseDuration(Duration.ofHours(4)).waitBudget(Duration.ofHours(4))
          .requester(prefix + "-" + n).build());
      out.println("FILED " + lease.id() + " " + lease.token());
      out.flush();
      live.add(lease);
      if (live.size() > 3) {
        Lease oldest = live.poll();
        oldest.returnDevice();
        out.println("RETURNED " + oldest.id());
        out.flush();
      }
    }
  }
}
