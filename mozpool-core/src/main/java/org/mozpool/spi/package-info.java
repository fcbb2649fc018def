/**
 * Extension points: the device layer ({@link org.mozpool.spi.Lifeguard}), hardware drivers
 * ({@link org.mozpool.spi.PowerControl}, {@link org.mozpool.spi.BootControl}, {@link
 * org.mozpool.spi.DeviceProbe}), scheduling ({@link org.mozpool.spi.DeviceChooser} — or the
 * narrower {@link org.mozpool.spi.DeviceSelector} — picks a free device for a request or declines;
 * {@link org.mozpool.spi.QueuePolicy} says who may have which device and who is offered a freed
 * device first), persistence ({@link org.mozpool.spi.PoolStore}),
 * time ({@link org.mozpool.spi.Timekeeper}) and attention notices. Stable: new methods arrive as
 * default methods so that implementations keep compiling.
 *
 * <h2>What can be changed in the device workflow, and how</h2>
 *
 * <ul>
 *   <li>Timeouts, retry limits, quarantine and the release policy: the standard Lifeguard's
 *       {@code LifeguardPolicy}, per hardware type with {@code LifeguardPolicies} (module {@code
 *       mozpool-lifeguard}).
 *   <li>Power hardware: a {@link org.mozpool.spi.PowerControl}; a lab that mixes kinds (ProXR
 *       relay boards, other PDUs) routes by power-address scheme with {@code
 *       org.mozpool.core.PowerControls.byScheme}. Drivers see the device's hardware type, power
 *       address and tags in its {@link org.mozpool.spi.DeviceTarget}.
 *   <li>The workflow itself (its states, events, transitions): <b>Lifeguard is replaced only as a
 *       whole.</b> Implement {@link org.mozpool.spi.Lifeguard} and hand the pool a {@link
 *       org.mozpool.spi.LifeguardFactory}; keep your device states in the store through {@link
 *       org.mozpool.spi.StoreTransaction} ({@code machine}/{@code updateMachine}) and report
 *       results with {@link org.mozpool.spi.LifeguardContext#imagingResult}. The state-machine
 *       engine that the standard Lifeguard and the pool run on ({@code
 *       org.mozpool.core.internal.MachineEngine}, {@code Step}, {@code MachineState}) is
 *       <em>not</em> an extension point: it is public only so that Mozpool's own modules can
 *       share it, its contract (lanes, operation cancellation, commit hooks, deadline re-arming)
 *       is specified by its tests rather than promised, and it changes with any release. Nor can
 *       single states of the standard Lifeguard be overridden: its machine is package-private.
 * </ul>
 *
 * <p>Why: a supported engine SPI would freeze the engine's threading and transaction model and
 * every hook the two machines use today, for the sake of third-party Lifeguards that would still
 * have to re-implement DESIGN §5's guarantees (retry limits, restart rules, claims) themselves.
 * The {@link org.mozpool.spi.Lifeguard} interface is the smaller, stable promise.
 */
package org.mozpool.spi;
