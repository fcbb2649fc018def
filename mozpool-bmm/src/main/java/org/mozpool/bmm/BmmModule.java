package org.mozpool.bmm;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.OptionalBinder;
import java.nio.file.Path;
import java.util.Objects;
import org.mozpool.spi.BootControl;
import org.mozpool.spi.DeviceProbe;
import org.mozpool.spi.PowerControl;

/**
 * Guice module of {@code mozpool-bmm}: binds the pool's hardware drivers — {@link PowerControl}
 * to a {@link ProxrPowerControl}, {@link BootControl} to a {@link PxeBootControl} writing into the
 * TFTP root, {@link DeviceProbe} to a {@link NetworkDeviceProbe} — one of each per injector, and
 * each concrete class too, for code that needs its own methods.
 *
 * <pre>{@code
 * Module bmm = BmmModule.builder(Path.of("/srv/tftp"), "10.0.0.1:8080")
 *     .deviceProbe(NetworkDeviceProbe.builder().tcpConnectPing(22))
 *     .build();
 * Guice.createInjector(new MozpoolModule(), new LifeguardModule(), bmm);
 * }</pre>
 *
 * <p>The drivers are made when the pool is first provisioned and closed by {@code
 * PoolLifecycle.close()}. The TFTP server ({@link TftpServer}) and the device callback endpoint
 * ({@link DeviceCallbackServer}) are servers with their own addresses and lifecycles: the
 * application starts them beside the pool, as {@code mozpool-server} does; without Guice, {@link
 * LabHardware} starts all of it in the order that needs no reserved port. Replace a driver (a
 * different relay board, say) by setting its {@link OptionalBinder} binding inside {@code
 * Modules.override(...).with(...)}; the module's own driver is then never made.
 */
public final class BmmModule extends AbstractModule {
  private final Path tftpRoot;
  private final String serverAddress;
  private final ProxrPowerControl.Builder power;
  private final NetworkDeviceProbe.Builder probe;

  private BmmModule(Builder b) {
    this.tftpRoot = b.tftpRoot;
    this.serverAddress = b.serverAddress;
    this.power = b.power;
    this.probe = b.probe;
  }

  /**
   * A module whose PXE configs go under {@code tftpRoot} and name {@code serverAddress} (the
   * {@code host:port} the boards reach this server's callbacks at) for {@code %IPADDRESS%}.
   *
   * @throws NullPointerException if either is null
   * @throws IllegalArgumentException if {@code serverAddress} is blank
   */
  public static Builder builder(Path tftpRoot, String serverAddress) {
    return new Builder(tftpRoot, serverAddress);
  }

  @Override
  protected void configure() {
    OptionalBinder.newOptionalBinder(binder(), PowerControl.class).setBinding()
        .to(ProxrPowerControl.class);
    OptionalBinder.newOptionalBinder(binder(), BootControl.class).setBinding()
        .to(PxeBootControl.class);
    OptionalBinder.newOptionalBinder(binder(), DeviceProbe.class).setBinding()
        .to(NetworkDeviceProbe.class);
  }

  @Provides
  @Singleton
  ProxrPowerControl proxrPowerControl() {
    return power.build();
  }

  @Provides
  @Singleton
  PxeBootControl pxeBootControl() {
    return new PxeBootControl(tftpRoot, serverAddress);
  }

  @Provides
  @Singleton
  NetworkDeviceProbe networkDeviceProbe() {
    return probe.build();
  }

  /**
   * Configures a {@link BmmModule}. Defaults: {@link ProxrPowerControl#builder()}'s and {@link
   * NetworkDeviceProbe#builder()}'s. Not thread safe; the module keeps the driver builders given
   * and builds from them when the pool is provisioned, so do not change them afterwards.
   */
  public static final class Builder {
    private final Path tftpRoot;
    private final String serverAddress;
    private ProxrPowerControl.Builder power = ProxrPowerControl.builder();
    private NetworkDeviceProbe.Builder probe = NetworkDeviceProbe.builder();

    private Builder(Path tftpRoot, String serverAddress) {
      this.tftpRoot = Objects.requireNonNull(tftpRoot, "tftpRoot");
      this.serverAddress = Objects.requireNonNull(serverAddress, "serverAddress");
      if (serverAddress.isBlank()) {
        throw new IllegalArgumentException("server address must not be blank");
      }
    }

    /**
     * The relay driver's settings (default {@link ProxrPowerControl#builder()}).
     *
     * @throws NullPointerException if {@code power} is null
     */
    public Builder powerControl(ProxrPowerControl.Builder power) {
      this.power = Objects.requireNonNull(power, "power");
      return this;
    }

    /**
     * The probe's settings (default {@link NetworkDeviceProbe#builder()}).
     *
     * @throws NullPointerException if {@code probe} is null
     */
    public Builder deviceProbe(NetworkDeviceProbe.Builder probe) {
      this.probe = Objects.requireNonNull(probe, "probe");
      return this;
    }

    /** The module. */
    public BmmModule build() {
      return new BmmModule(this);
    }
  }
}
