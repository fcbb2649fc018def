/**
 * The store contract suite: {@link org.mozpool.testkit.store.PoolStoreContract}, the behaviour
 * every {@link org.mozpool.spi.PoolStore} must have, to be subclassed once per backend by the
 * store's own tests. Public and meant for implementors of custom stores; new tests are added as
 * the contract is clarified, so a store that passes today may need fixes after an upgrade.
 */
package org.mozpool.testkit.store;
