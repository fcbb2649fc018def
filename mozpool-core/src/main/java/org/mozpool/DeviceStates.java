package org.mozpool;

import java.util.Set;

/**
 * The documented names of Lifeguard's device states (DESIGN §5). They are part of the API: they
 * are persisted, shown to operators and used in conditional state changes.
 */
public final class DeviceStates {
  public static final String NEW = "new";
  public static final String READY = "ready";
  public static final String MAINTENANCE_MODE = "maintenance_mode";
  public static final String TROUBLESHOOTING = "troubleshooting";
  public static final String LOCKED_OUT = "locked_out";
  public static final String UNKNOWN = "unknown";
  /**
   * Taken out of the lab for good (e.g. removed from the server's config): kept with its history,
   * never handed out, never powered or probed; accepts no please-event. Only a forced state change
   * leaves it (to {@code new}, which self-tests the device, when it comes back).
   */
  public static final String RETIRED = "retired";

  public static final String PC_POWER_CYCLING = "pc_power_cycling";
  public static final String PC_REBOOTING = "pc_rebooting";
  public static final String PC_PINGING = "pc_pinging";

  public static final String START_PXE_BOOT = "start_pxe_boot";
  public static final String START_SELF_TEST = "start_self_test";
  public static final String START_MAINTENANCE = "start_maintenance";
  public static final String PXE_POWER_CYCLING = "pxe_power_cycling";
  public static final String PXE_BOOTING = "pxe_booting";
  public static final String LIVE_INIT_STARTED = "live_init_started";
  public static final String IMAGE_DOWNLOADING = "image_downloading";
  public static final String IMAGE_EXTRACTING = "image_extracting";
  public static final String VERIFYING = "verifying";
  public static final String VERIFY_POWER_CYCLE = "verify_power_cycle";
  public static final String STORAGE_VERIFYING = "storage_verifying";
  public static final String OPERATION_COMPLETE = "operation_complete";
  public static final String SELF_TEST_RUNNING = "self_test_running";

  public static final String FAILED_POWER_CYCLING = "failed_power_cycling";
  public static final String FAILED_PXE_BOOTING = "failed_pxe_booting";
  public static final String FAILED_LIVE_INIT = "failed_live_init";
  public static final String FAILED_PC_PINGING = "failed_pc_pinging";
  public static final String FAILED_SELF_TEST = "failed_self_test";
  public static final String FAILED_IMAGE_DOWNLOADING = "failed_image_downloading";
  public static final String FAILED_IMAGE_EXTRACTING = "failed_image_extracting";
  public static final String FAILED_VERIFYING = "failed_verifying";
  public static final String FAILED_STORAGE_VERIFYING = "failed_storage_verifying";
  public static final String FAILED_QUARANTINED = "failed_quarantined";

  /** Failed states that wait for a human. */
  public static final Set<String> FAILED_FOR_HUMANS = Set.of(
      FAILED_POWER_CYCLING, FAILED_PXE_BOOTING, FAILED_LIVE_INIT, FAILED_PC_PINGING,
      FAILED_SELF_TEST, FAILED_QUARANTINED);

  /** Failed states that report {@code failed-bad-device} and then self-test automatically. */
  public static final Set<String> FAILED_THEN_SELF_TEST = Set.of(
      FAILED_IMAGE_DOWNLOADING, FAILED_IMAGE_EXTRACTING, FAILED_VERIFYING,
      FAILED_STORAGE_VERIFYING);

  private DeviceStates() {}

  /** Whether {@code state} is one of the {@code failed_*} states. */
  public static boolean isFailed(String state) {
    return state != null && state.startsWith("failed_");
  }
}
