package org.mozpool.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mozpool.DeviceSpec;

/** What drivers learn about a device. */
class DeviceTargetTest {

  @Test
  void carriesTheDevicesTags() {
    DeviceSpec spec = DeviceSpec.builder("panda-1").fqdn("panda-1.lab").mac("00:11:22:33:44:55")
        .hardwareType("panda").powerAddress("proxr://r:2101/bank/1/relay/1")
        .tag("rack", "3").tag("pdu", "east").build();

    DeviceTarget t = DeviceTarget.of(spec);

    assertThat(t.tags()).containsExactlyInAnyOrderEntriesOf(Map.of("rack", "3", "pdu", "east"));
    assertThat(t.powerAddress()).isEqualTo("proxr://r:2101/bank/1/relay/1");
    assertThat(t.hardwareType()).isEqualTo("panda");
  }

  @Test
  void theFiveArgumentConstructorMeansNoTags() {
    DeviceTarget t = new DeviceTarget("d", "d.lab", "mac", "panda", "proxr://r/bank/1/relay/1");

    assertThat(t.tags()).isEmpty();
    assertThat(t).isEqualTo(new DeviceTarget("d", "d.lab", "mac", "panda",
        "proxr://r/bank/1/relay/1", null));
  }

  @Test
  void tagsAreCopiedAndImmutable() {
    Map<String, String> tags = new HashMap<>(Map.of("rack", "3"));
    DeviceTarget t = new DeviceTarget("d", "d.lab", "mac", "panda", "", tags);
    tags.put("rack", "4");

    assertThat(t.tags()).containsEntry("rack", "3");
    assertThatThrownBy(() -> t.tags().put("x", "y"))
        .isInstanceOf(UnsupportedOperationException.class);
  }
}
