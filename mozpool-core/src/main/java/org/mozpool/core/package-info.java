/**
 * Core's ready-made implementations of the SPIs: the in-memory store, the system and virtual
 * timekeepers, the stock device selectors and choosers ({@link org.mozpool.core.DeviceSelectors})
 * and queue policies ({@link org.mozpool.core.QueuePolicies}). Stable.
 */
package org.mozpool.core;
