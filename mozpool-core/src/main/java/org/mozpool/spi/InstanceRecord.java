package org.mozpool.spi;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * One instance sharing the store, as the store records it (DESIGN §9).
 *
 * @param id the instance's stable id
 * @param epoch bumped each time the instance joins and each time it is declared dead; work is
 *     done only under the current epoch
 * @param labNetwork the lab network it serves
 * @param standbyFor the lab networks whose devices it adopts when their instance dies
 * @param url where its REST API answers (empty: none)
 * @param live false once another instance declared it dead
 * @param silence how long ago its last heartbeat was, on the database's clock
 */
public record InstanceRecord(String id, long epoch, String labNetwork, Set<String> standbyFor,
    String url, boolean live, Duration silence) {

  public InstanceRecord {
    Objects.requireNonNull(id, "id");
    labNetwork = Objects.requireNonNullElse(labNetwork, "");
    standbyFor = Set.copyOf(standbyFor == null ? Set.of() : standbyFor);
    url = Objects.requireNonNullElse(url, "");
    Objects.requireNonNull(silence, "silence");
  }
}
