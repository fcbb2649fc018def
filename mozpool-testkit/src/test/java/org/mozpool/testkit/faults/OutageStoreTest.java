package org.mozpool.testkit.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mozpool.DeviceStates;
import org.mozpool.Lease;
import org.mozpool.RequestSpec;
import org.mozpool.core.InMemoryPoolStore;
import org.mozpool.core.VirtualTimekeeper;
import org.mozpool.testkit.sim.VirtualLab;

/** A pool rides out a database outage in the middle of an imaging. */
class OutageStoreTest {

  @Test
  void requestStillBecomesReadyAfterATwoMinuteDatabaseOutageMidImaging() {
    FaultLog outages = new FaultLog();
    VirtualTimekeeper time = new VirtualTimekeeper();
    OutageStore store = new OutageStore(new InMemoryPoolStore(), time.clock(), outages);
    try (VirtualLab lab = VirtualLab.builder().devices(3).time(time).store(store).build()) {
      lab.settle(Duration.ofMinutes(30));
      Lease lease = lab.pool().request(RequestSpec.any().image("android").build());
      lab.advance(Duration.ofSeconds(60)); // downloading by now

      store.goDown();
      lab.advance(Duration.ofMinutes(2));
      store.comeBack();

      assertThat(lease.awaitReady(Duration.ofMinutes(60)).image()).isEqualTo("android");
      assertThat(store.refusedTransactions()).isPositive();
      assertThat(outages.counts()).containsEntry(Fault.DATABASE_OUTAGE, 1);
      lab.settle(Duration.ofHours(1));
      assertThat(lab.stateCounts()).containsExactly(Map.entry(DeviceStates.READY, 3));
    }
  }

  @Test
  void aShortOutageRefusesTheNextTransactionsOnlyThenTheDatabaseIsBack() {
    FaultLog outages = new FaultLog();
    OutageStore store = new OutageStore(new InMemoryPoolStore(), java.time.Clock.systemUTC(),
        outages);
    store.refuseNext(2);

    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> store.inTransaction(tx -> tx.devices()))
          .isInstanceOf(org.mozpool.spi.TransientStoreException.class);
    }
    java.util.List<?> devices = store.inTransaction(tx -> tx.devices());
    assertThat(devices).isEmpty();
    assertThat(store.isDown()).isFalse();
    assertThat(store.refusedTransactions()).isEqualTo(2);
    assertThat(outages.counts()).containsEntry(Fault.DATABASE_OUTAGE, 1);
    assertThatThrownBy(() -> store.refuseNext(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
