package org.mozpool.bmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RelayAddressTest {

  @Test
  void parsesTheProxrUriForm() {
    assertThat(RelayAddress.parse("proxr://relay-3.lab:2102/bank/2/relay/5"))
        .isEqualTo(new RelayAddress("relay-3.lab", 2102, 2, 5));
  }

  @Test
  void parsesTheOriginalColonForm() {
    assertThat(RelayAddress.parse("relay-3.lab:2102:bank2:relay5"))
        .isEqualTo(new RelayAddress("relay-3.lab", 2102, 2, 5));
  }

  @Test
  void portDefaultsTo2101InBothForms() {
    assertThat(RelayAddress.parse("proxr://relay-3.lab/bank/1/relay/8").port()).isEqualTo(2101);
    assertThat(RelayAddress.parse("relay-3.lab:bank4:relay1").port()).isEqualTo(2101);
  }

  @Test
  void printsTheCanonicalUriForm() {
    assertThat(RelayAddress.parse("relay:bank1:relay2")).hasToString("proxr://relay:2101/bank/1/relay/2");
  }

  @Test
  void bankOutOfRangeIsAClearError() {
    assertThatThrownBy(() -> RelayAddress.parse("proxr://relay/bank/5/relay/1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("proxr://relay/bank/5/relay/1")
        .hasMessageContaining("bank must be 1..4, got 5");
    assertThatThrownBy(() -> RelayAddress.parse("relay:bank0:relay1"))
        .hasMessageContaining("bank must be 1..4, got 0");
  }

  @Test
  void relayOutOfRangeIsAClearError() {
    assertThatThrownBy(() -> RelayAddress.parse("relay:2101:bank1:relay9"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("relay must be 1..8, got 9");
  }

  @Test
  void somethingElseIsRejectedSayingWhatWasExpected() {
    assertThatThrownBy(() -> RelayAddress.parse("pdu://x/outlet/3"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected proxr://host[:port]/bank/B/relay/R or host[:port]:bankB:relayR");
    assertThatThrownBy(() -> RelayAddress.parse("relay:notaport:bank1:relay1"))
        .hasMessageContaining("port is not a number");
  }
}
