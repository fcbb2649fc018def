/**
 * The store contract suites: {@link org.mozpool.testkit.store.PoolStoreContract}, the behaviour
 * every {@link org.mozpool.spi.PoolStore} must have, and
 * {@link org.mozpool.testkit.store.PoolValidationContract}, the client input a pool over any store
 * refuses alike; each is subclassed once per backend by the store's own tests. Public and meant
 * for implementors of custom stores; new tests are added as the contracts are clarified, so a
 * store that passes today may need fixes after an upgrade.
 */
package org.mozpool.testkit.store;
