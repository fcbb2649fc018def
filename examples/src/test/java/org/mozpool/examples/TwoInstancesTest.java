package org.mozpool.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.jdbc.JdbcPoolStore;

/** The two-instance example tells the story it prints. */
class TwoInstancesTest {
  @TempDir
  Path dir;

  @Test
  @Timeout(300)
  void aBoardIsImagedByItsOwnInstanceUntilThatStopsThenByItsStandby() throws Exception {
    TwoInstances.Outcome o = TwoInstances.run(() -> JdbcPoolStore.h2(dir.resolve("shared")));

    assertThat(o.servedBefore()).isEqualTo("panda-21");
    assertThat(o.workedBefore()).containsExactly("imaging-2");
    assertThat(o.adopter()).isEqualTo("imaging-1");
    assertThat(o.servedAfter()).isEqualTo("panda-21");
    assertThat(o.workedAfter()).containsExactly("imaging-1");
    // Never before the dead-after silence (2 s, on the database clock) since the last heartbeat,
    // which came at most one beat (200 ms) before the stop.
    assertThat(o.adoptedAfter()).isGreaterThanOrEqualTo(java.time.Duration.ofMillis(1800));
  }
}
