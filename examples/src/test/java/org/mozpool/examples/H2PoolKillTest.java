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
    // The store's own H2 URL: every commit is durable against a kill -9 as it is.
    String url = "jdbc:h2:file:" + dir.resolve("mozpool").toAbsolutePath();
    new PoolKillRun("h2", url, "sa", "", "", 11, 12).runAndCheck();
  }
}
