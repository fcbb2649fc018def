/**
 * The simulated lab: one device behaviour model ({@link org.mozpool.testkit.sim.SimulatedDevice})
 * that follows its power, boots from PXE or its SD card, runs the live-image, self-test and
 * maintenance flows and answers probes, driven through a small transport interface
 * ({@link org.mozpool.testkit.sim.DeviceHost}); the virtual mode ({@link
 * org.mozpool.testkit.sim.VirtualLab}) that drives it on a virtual clock through in-process
 * power, boot and probe drivers; and a CI-like workload ({@link
 * org.mozpool.testkit.sim.CiWorkload}). The in-process drivers are internal; a lab takes your own
 * in their place ({@link org.mozpool.testkit.sim.VirtualLab.Builder#powerControl} and its
 * siblings), such as the scriptable doubles of {@link org.mozpool.testkit.doubles}. Experimental: shapes may change in minor releases.
 */
package org.mozpool.testkit.sim;
