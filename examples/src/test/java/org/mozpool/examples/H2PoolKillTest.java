package org.mozpool.examples;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11: a pool on an H2 file, killed with SIGKILL at random moments and restarted each time,
 * ends with every healthy device ready and every request served (see {@link PoolKillRun}).
 */
class H2PoolKillTest {

  @Test
  void poolKilledTwelveTimesEndsWithEveryHealthyDeviceReadyAndEveryRequestServed(
      @TempDir Path dir) throws Exception {
    // WRITE_DELAY=0: H2's default delay loses the last second of commits to a kill -9; this test
    // is about what Lifeguard does after a restart, not about H2's durability.
    String url = "jdbc:h2:file:" + dir.resolve("mozpool").toAbsolutePath()
        + ";QUERY_CACHE_SIZE=256;WRITE_DELAY=0";
    new PoolKillRun("h2", url, "sa", "", "", 11, 12).runAndCheck();
  }
}
