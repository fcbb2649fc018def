/**
 * Core's ready-made implementations of the SPIs: the in-memory store, the system and virtual
 * timekeepers, the stock device selectors. Stable.
 */
package org.mozpool.core;
