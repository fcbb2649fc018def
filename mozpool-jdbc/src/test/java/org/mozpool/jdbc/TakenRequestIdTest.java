package org.mozpool.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mozpool.ConflictException;
import org.mozpool.RequestSpec;
import org.mozpool.spi.MachineRecord;
import org.mozpool.spi.RequestRecord;
import org.mozpool.spi.StoreTransaction;

/**
 * Filing a request inserts it without looking first: a taken id is refused by the insert itself,
 * and the transaction goes on, so that the pool can read the request it lost to (an earlier try
 * of its own whose commit answer was lost). PostgreSQL would abort the whole transaction on a
 * failed statement; H2 and MariaDB undo only the statement.
 */
class TakenRequestIdTest {
  private static final Instant T0 = Instant.parse("2026-06-01T12:00:00Z");

  @TempDir
  Path dir;

  private static RequestRecord request(String id, String token) {
    RequestSpec spec = RequestSpec.any().image("b2g").build();
    return new RequestRecord(id, token, spec, "server-1", T0, T0.plus(spec.leaseDuration()),
        List.of(), "", MachineRecord.initial("new", T0));
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgresql", "mariadb"})
  void aTakenIdIsRefusedByTheInsertAndTheTransactionGoesOn(String database) throws Exception {
    DatabaseServer server = switch (database) {
      case "postgresql" -> DatabaseServer.POSTGRESQL;
      case "mariadb" -> DatabaseServer.MARIADB;
      default -> null;
    };
    if (server != null) {
      server.requireAvailable();
    }
    String schema = DatabaseServer.freshSchemaName();
    try (JdbcPoolStore store = server == null ? JdbcPoolStore.h2(dir.resolve("store"),
        JdbcPoolStore.Options.builder().poolSize(2).build()) : server.store(schema)) {
      store.start();
      store.inTransaction(tx -> {
        tx.insertRequest(request("r-1", "first"));
        return null;
      });

      String lostTo = store.inTransaction(tx -> {
        assertThatThrownBy(() -> tx.insertRequest(request("r-1", "second")))
            .isInstanceOf(ConflictException.class).hasMessageContaining("r-1");
        tx.insertRequest(request("r-2", "other"));
        return tx.request("r-1").orElseThrow().token();
      });

      assertThat(lostTo).isEqualTo("first");
      assertThat(store.inTransaction(StoreTransaction::requests))
          .extracting(RequestRecord::id, RequestRecord::token)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("r-1", "first"),
              org.assertj.core.groups.Tuple.tuple("r-2", "other"));
    } finally {
      if (server != null) {
        server.dropSchema(schema);
      }
    }
  }
}
