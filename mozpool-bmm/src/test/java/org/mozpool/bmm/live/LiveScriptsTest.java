package org.mozpool.bmm.live;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mozpool.PxeConfig;
import org.mozpool.bmm.LiveScripts;
import org.mozpool.bmm.PxeBootControl;
import org.mozpool.bmm.PxeTemplates;

class LiveScriptsTest {

  @TempDir Path temp;

  @Test
  void theServedScriptsAreInitTheThreeTasksAndTheirLibrary() {
    assertThat(LiveScripts.names()).containsExactly("init", "install-image", "self-test",
        "maintenance", "mozpool-lib");
    for (String name : LiveScripts.names()) {
      String text = new String(LiveScripts.script(name).orElseThrow(), StandardCharsets.UTF_8);
      assertThat(text).as(name).doesNotContain("bash").doesNotContain("\r");
      if (!name.equals(LiveScripts.LIBRARY)) {
        assertThat(text).as(name).startsWith("#!/bin/sh\n").contains("\nset -eu\n")
            .contains(". \"${MOZPOOL_LIB:-$here/mozpool-lib}\"");
      }
    }
  }

  @Test
  void onlyTheServedScriptsAreFound() {
    assertThat(LiveScripts.script("initramfs-init")).isEmpty();
    assertThat(LiveScripts.script("../LiveScripts.class")).isEmpty();
    assertThat(LiveScripts.script("INIT")).isEmpty();
    assertThat(new String(LiveScripts.initramfsInit(), StandardCharsets.UTF_8))
        .startsWith("#!/bin/sh").contains("/live/");
  }

  @Test
  void eachTaskHasAPandaPxeTemplateCarryingServerDeviceTokenAndTask() {
    assertThat(PxeTemplates.names()).containsExactly("panda-live-install", "panda-self-test",
        "panda-maintenance");
    assertThat(PxeTemplates.text("panda-live-install").orElseThrow())
        .contains("mozpool.server=http://%IPADDRESS%/", "mozpool.device=%DEVICE%",
            "mozpool.token=%TOKEN%", "mozpool.task=install-image", "kernel ", "initrd ");
    assertThat(PxeTemplates.text("panda-self-test").orElseThrow())
        .contains("mozpool.task=self-test");
    assertThat(PxeTemplates.text("panda-maintenance").orElseThrow())
        .contains("mozpool.task=maintenance");
    assertThat(PxeTemplates.text("nope")).isEmpty();
    assertThatThrownBy(() -> PxeTemplates.pxeConfig("nope"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("panda-self-test");
  }

  @Test
  void pxeBootControlFillsInATemplateForOneDevice() throws Exception {
    PxeConfig config = PxeTemplates.pxeConfig(PxeTemplates.PANDA_INSTALL);
    PxeBootControl boot = new PxeBootControl(temp, "10.0.0.5:8010");

    Path file = boot.writeConfig("00:16:3e:00:00:01", config.contents(),
        Map.of("DEVICE", "panda-0001", "TOKEN", "t0k3n"));

    assertThat(file.getFileName().toString()).isEqualTo("01-00-16-3e-00-00-01");
    String written = Files.readString(file);
    assertThat(written).contains("mozpool.server=http://10.0.0.5:8010/ mozpool.device=panda-0001"
        + " mozpool.token=t0k3n mozpool.mac=00163e000001 mozpool.task=install-image")
        .doesNotContain("%");
  }
}
