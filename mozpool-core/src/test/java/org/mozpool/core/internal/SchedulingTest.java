package org.mozpool.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mozpool.DeviceSpec;
import org.mozpool.DeviceView;
import org.mozpool.RequestSpec;
import org.mozpool.core.DeviceSelectors;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.MachineRecord;
import org.mozpool.spi.QueuePolicy;
import org.mozpool.spi.QueueView;
import org.mozpool.spi.WaitingRequest;

/** What the pool makes of a queue policy's order when the order is not what was asked for. */
class SchedulingTest {
  private static final Instant T0 = Instant.parse("2026-01-05T00:00:00Z");
  private static final DeviceRecord DEVICE = new DeviceRecord(DeviceSpec.builder("d1")
      .mac("000000000001").hardwareType("panda").build(), "", Map.of(), "", Map.of(), "",
      MachineRecord.initial("ready", null));
  private static final List<WaitingRequest> WAITING = List.of(w("a"), w("b"), w("c"));

  private static WaitingRequest w(String id) {
    return new WaitingRequest(id, RequestSpec.any().image("android").build(), T0);
  }

  private static List<String> offered(QueuePolicy policy) {
    Scheduling s = new Scheduling(DeviceSelectors.preferringReuse(DeviceSelectors.firstByName()),
        policy, List::of);
    return s.offerOrder(WAITING, DEVICE, T0, List::of).stream().map(WaitingRequest::id).toList();
  }

  private static QueuePolicy ordering(List<WaitingRequest> answer) {
    return new QueuePolicy() {
      @Override
      public List<WaitingRequest> order(List<WaitingRequest> waiting, DeviceView device,
          QueueView queue) {
        return answer;
      }
    };
  }

  @Test
  void strangersDuplicatesAndNullsInTheOrderAreDropped() {
    List<WaitingRequest> answer = new ArrayList<>(Arrays.asList(WAITING.get(2), w("stranger"),
        null, WAITING.get(2), WAITING.get(0)));

    assertThat(offered(ordering(answer))).containsExactly("c", "a");
  }

  @Test
  void aNullOrderOrOneThatThrowsFallsBackToTheDefaultOrder() {
    assertThat(offered(ordering(null))).containsExactly("a", "b", "c");
    assertThat(offered(new QueuePolicy() {
      @Override
      public List<WaitingRequest> order(List<WaitingRequest> waiting, DeviceView device,
          QueueView queue) {
        waiting.sort(null); // the list is unmodifiable: this throws
        return waiting;
      }
    })).containsExactly("a", "b", "c");
  }

  @Test
  void aPolicyThatCannotSayWhenItChangesIsTreatedAsNeverChanging() {
    Scheduling s = new Scheduling(DeviceSelectors.leastRecentlyUsed(), new QueuePolicy() {
      @Override
      public java.util.Optional<Instant> nextChange(Instant now) {
        throw new IllegalStateException("calendar unavailable");
      }
    }, List::of);

    assertThat(s.nextChange(T0)).isEmpty();
  }
}
