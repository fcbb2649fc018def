/**
 * Extension points: the device layer ({@link org.mozpool.spi.Lifeguard}), hardware drivers
 * ({@link org.mozpool.spi.PowerControl}, {@link org.mozpool.spi.BootControl}, {@link
 * org.mozpool.spi.DeviceProbe}), device selection, persistence ({@link org.mozpool.spi.PoolStore}),
 * time ({@link org.mozpool.spi.Timekeeper}) and attention notices. Stable: new methods arrive as
 * default methods so that implementations keep compiling.
 */
package org.mozpool.spi;
