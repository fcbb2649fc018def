/**
 * Mozpool's public API: {@link org.mozpool.Pool} to request devices and get {@link
 * org.mozpool.Lease}s, {@link org.mozpool.Inventory} to register hardware, images, PXE configs and
 * devices, immutable views of devices and requests, the documented state names, and the exception
 * hierarchy rooted at {@link org.mozpool.MozpoolException}. Start with {@link
 * org.mozpool.Mozpool#builder()}. Stable: changes here follow semantic versioning.
 */
package org.mozpool;
