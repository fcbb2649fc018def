/**
 * Unsupported internals shared by Mozpool's modules (the state-machine engine, the pool
 * implementation). Public only because Java packages cannot be shared otherwise; may change in
 * any release.
 */
package org.mozpool.core.internal;
