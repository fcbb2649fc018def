/**
 * Fault injection for the simulated lab: per-step failure probabilities, persistent board
 * defects, bad images and misbehaving relay boards ({@link org.mozpool.testkit.faults.FaultProfile}),
 * and the {@link org.mozpool.testkit.faults.FaultLog} that records every injected fault so that a
 * report can compare what was injected with what Mozpool detected. Experimental: profiles may gain
 * fields in minor releases.
 */
package org.mozpool.testkit.faults;
