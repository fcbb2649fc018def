/**
 * Unsupported internals shared by Mozpool's modules (the state-machine engine, the pool
 * implementation). Public only because Java packages cannot be shared otherwise; may change in
 * any release. In particular the state-machine engine ({@link
 * org.mozpool.core.internal.MachineEngine}, {@link org.mozpool.core.internal.Step}, {@link
 * org.mozpool.core.internal.MachineState}) is not an SPI: a third-party device layer implements
 * {@link org.mozpool.spi.Lifeguard} as a whole (see {@code org.mozpool.spi}'s package
 * documentation).
 */
package org.mozpool.core.internal;
