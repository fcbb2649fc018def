package org.mozpool.lifeguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mozpool.DeviceStates.READY;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mozpool.ConflictException;
import org.mozpool.ImagingResult;
import org.mozpool.LogEntry;
import org.mozpool.PleaseSender;
import org.mozpool.ReturnOutcome;
import org.mozpool.spi.DeviceFailure;

/**
 * A device a request holds belongs to that request: please-events from anyone else are refused
 * unless they end the lease, and a device its client returns as bad is recorded and self-tested.
 */
class LeasedDeviceTest {
  private final Lab lab = new Lab();

  @AfterEach
  void close() {
    lab.close();
  }

  private CompletionStage<Void> please(String event, String device, PleaseSender sender) {
    BiFunction<String, PleaseSender, CompletionStage<Void>> send = switch (event) {
      case "please_image" -> (d, s) -> lab.lifeguard.pleaseImage(d, "b2g",
          Map.of("b2gbase", "u"), s);
      case "please_power_cycle" -> lab.lifeguard::pleasePowerCycle;
      case "please_self_test" -> lab.lifeguard::pleaseSelfTest;
      default -> lab.lifeguard::pleaseStartMaintenance;
    };
    return send.apply(device, sender);
  }

  @ParameterizedTest
  @ValueSource(strings = {"please_image", "please_power_cycle", "please_self_test",
      "please_start_maintenance"})
  void operatorsPleaseEventOnALeasedDeviceIsRefusedNamingTheDeviceAndTheRequest(String event) {
    lab.panda("panda-1", READY);
    String request = lab.claim("panda-1");

    assertThatThrownBy(() -> lab.await(please(event, "panda-1", PleaseSender.operator("alice"))))
        .isInstanceOf(ConflictException.class)
        .hasMessageContaining("device panda-1 is leased to request " + request)
        .hasMessageContaining(event + " from alice refused");
    assertThat(lab.state("panda-1")).isEqualTo(READY);
    assertThat(lab.claimResult("panda-1")).isNull();
    assertThat(lab.results).isEmpty();
  }

  @Test
  void pleaseEventsWithoutASenderAreAnOperatorsAndRefusedOnALeasedDevice() {
    lab.panda("panda-1", READY);
    String request = lab.claim("panda-1");

    assertThatThrownBy(() -> lab.await(lab.lifeguard.pleaseSelfTest("panda-1")))
        .isInstanceOf(ConflictException.class)
        .hasMessageContaining("leased to request " + request);
    assertThat(lab.state("panda-1")).isEqualTo(READY);
  }

  @Test
  void pleaseEventEndingTheLeaseTakesTheDeviceAndTellsTheHoldingRequestInTheSameStep() {
    lab.panda("panda-1", READY);
    String request = lab.claim("panda-1");

    lab.await(lab.lifeguard.pleaseSelfTest("panda-1",
        PleaseSender.operator("alice").endingLease("screen flickers")));

    assertThat(lab.claimResult("panda-1")).isEqualTo(ImagingResult.FAILED_BAD_DEVICE);
    assertThat(lab.results).containsExactly(request + " panda-1 failed-bad-device");
    assertThat(lab.transitions).contains("panda-1 ready->start_self_test");
    assertThat(lab.log("panda-1")).extracting(LogEntry::message).contains(
        "please_self_test from alice ends the lease of request " + request + ": screen flickers",
        "please_self_test from alice accepted");
  }

  @Test
  void theClaimHoldersPleaseEventIsAcceptedAndAnotherRequestsIsRefused() {
    lab.panda("panda-1", READY);
    String request = lab.claim("panda-1");

    assertThatThrownBy(() -> lab.await(lab.lifeguard.pleasePowerCycle("panda-1",
        PleaseSender.claimHolder("req-other"))))
        .isInstanceOf(ConflictException.class)
        .hasMessageContaining("leased to request " + request);
    lab.await(lab.lifeguard.pleasePowerCycle("panda-1", PleaseSender.claimHolder(request)));

    assertThat(lab.transitions).contains("panda-1 ready->pc_power_cycling");
    assertThat(lab.log("panda-1")).extracting(LogEntry::message)
        .contains("please_power_cycle from request " + request + " accepted");
  }

  @Test
  void unclaimedDeviceTakesAnOperatorsPleaseEventAsBefore() {
    lab.panda("panda-1", READY);

    lab.await(lab.lifeguard.pleaseSelfTest("panda-1", PleaseSender.operator("alice")));

    assertThat(lab.transitions).contains("panda-1 ready->start_self_test");
  }

  @Test
  void deviceReturnedAsBadIsRecordedReleasedAndSelfTestedInOneStep() {
    lab.panda("panda-1", READY);
    String request = lab.claim("panda-1");

    lab.await(lab.lifeguard.returnedBad("panda-1", request,
        ReturnOutcome.badDevice("adb lost the board twice")));

    assertThat(lab.failures("panda-1")).extracting(DeviceFailure::state).containsExactly(READY);
    boolean claimed = lab.store.inTransaction(tx -> tx.claimOfDevice("panda-1").isPresent());
    assertThat(claimed).as("claim released").isFalse();
    assertThat(lab.transitions).contains("panda-1 ready->start_self_test");
    assertThat(lab.log("panda-1")).anySatisfy(l -> {
      assertThat(l.source()).isEqualTo("api");
      assertThat(l.message()).isEqualTo("returned as a bad device by its client (request "
          + request + "): adb lost the board twice; recorded in the failure history");
    });
    assertThat(lab.runUntilState("panda-1", READY, Duration.ofHours(1))).isTrue();
  }

  @Test
  void badReturnsCountTowardsQuarantine() {
    lab.panda("panda-1", READY);
    for (int i = 1; i <= 3; i++) {
      String request = lab.claim("panda-1");
      lab.await(lab.lifeguard.returnedBad("panda-1", request,
          ReturnOutcome.badDevice("flaky, time " + i)));
      lab.tk.runUntil(lab.tk.now().plus(Duration.ofHours(1)),
          () -> !lab.state("panda-1").contains("self_test") && !lab.state("panda-1").startsWith("pxe")
              && !lab.state("panda-1").startsWith("live"));
    }

    assertThat(lab.state("panda-1")).isEqualTo("failed_quarantined");
  }
}
