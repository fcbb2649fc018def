/**
 * Lifeguard, the device layer of Mozpool (DESIGN §5): one persisted state machine per device that
 * power-cycles, PXE re-images, self-tests and health-checks it, detects failures by timeouts and
 * retry limits, quarantines problem children, and reports imaging results to the request that
 * claimed it. After a restart of the instance, a device whose state waited on a callback or an
 * operation that the previous run may have lost is driven again when that state times out (the
 * PXE workflow, the self-test or the operation starts over, a bounded number of times) instead of
 * being failed; the claiming request keeps waiting. Hardware is reached only through the {@code
 * PowerControl}, {@code BootControl} and {@code DeviceProbe} SPIs. Timeouts, retry limits,
 * quarantine and the release policy come from a {@link org.mozpool.lifeguard.LifeguardPolicy},
 * one per hardware type if wanted ({@link org.mozpool.lifeguard.LifeguardPolicies}): every
 * decision about a device follows its hardware type's policy. The public types
 * ({@link org.mozpool.lifeguard.StandardLifeguard}, {@link org.mozpool.lifeguard.LifeguardPolicy},
 * {@link org.mozpool.lifeguard.LifeguardPolicies}, {@link org.mozpool.lifeguard.ReleasePolicy},
 * and the Guice module {@link org.mozpool.lifeguard.LifeguardModule}) are stable; everything else
 * is package-private. The workflow's states are not extension points: a different workflow is a
 * different {@code org.mozpool.spi.Lifeguard}, replacing this one as a whole (see {@code
 * org.mozpool.spi}'s package documentation).
 */
package org.mozpool.lifeguard;
