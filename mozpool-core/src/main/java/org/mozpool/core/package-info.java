/**
 * Core's ready-made implementations of the SPIs — the in-memory store, the system and virtual
 * timekeepers, the stock device selectors and choosers ({@link org.mozpool.core.DeviceSelectors})
 * and queue policies ({@link org.mozpool.core.QueuePolicies}) — and its Guice wiring: {@link
 * org.mozpool.core.MozpoolModule}, which provides a started {@link org.mozpool.Pool}, and {@link
 * org.mozpool.core.PoolLifecycle}, which starts and stops it. Stable.
 */
package org.mozpool.core;
