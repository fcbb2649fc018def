/**
 * Extension points: the device layer ({@link org.mozpool.spi.Lifeguard}), hardware drivers
 * ({@link org.mozpool.spi.PowerControl}, {@link org.mozpool.spi.BootControl}, {@link
 * org.mozpool.spi.DeviceProbe}), scheduling ({@link org.mozpool.spi.DeviceChooser} — or the
 * narrower {@link org.mozpool.spi.DeviceSelector} — picks a free device for a request or declines;
 * {@link org.mozpool.spi.QueuePolicy} says who may have which device and who is offered a freed
 * device first), persistence ({@link org.mozpool.spi.PoolStore}),
 * time ({@link org.mozpool.spi.Timekeeper}) and attention notices. Stable: new methods arrive as
 * default methods so that implementations keep compiling.
 */
package org.mozpool.spi;
