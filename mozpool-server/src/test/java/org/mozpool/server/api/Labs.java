package org.mozpool.server.api;

/** Inventories the API tests share. */
final class Labs {
  private Labs() {
  }

  /**
   * Two pandas without relays (they fail their start-up power cycle and wait in
   * {@code failed_power_cycling}), two images and a hidden one.
   */
  static final String OFFLINE = ApiLab.header("api-test") + """
      hardware_types: [{name: panda}]
      pxe_configs:
        - {name: b2g-panda, description: "B2G on a panda", contents: "DEFAULT b2g %DEVICE%"}
        - {name: android-panda, contents: "DEFAULT android"}
      images:
        - {name: b2g, boot_config_keys: [b2gbase], reusable: true, pxe_configs: {panda: b2g-panda}}
        - {name: android, has_agent: true, pxe_configs: {panda: android-panda}}
        - {name: maintenance, hidden: true}
      relay_boards:
        - {name: relay-1, host: 127.0.0.1, port: 1}
      devices:
        - {name: panda-1, mac: "00:11:22:33:44:01", hardware: panda, environment: production,
           comments: "top shelf"}
        - {name: panda-2, mac: "00:11:22:33:44:02", hardware: panda, environment: staging}
      """;
}
