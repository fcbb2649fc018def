/**
 * Mozpool's SQL persistence: {@link org.mozpool.jdbc.JdbcPoolStore}, a
 * {@link org.mozpool.spi.PoolStore} over jdbi and HikariCP for H2 (embedded default), PostgreSQL
 * and MariaDB/MySQL, with versioned schema migrations applied at start-up. The store, its
 * {@link org.mozpool.jdbc.JdbcPoolStore.Options} and the Guice module {@link
 * org.mozpool.jdbc.JdbcStoreModule} are the only public types; the schema (tables
 * and migrations under {@code db/migration/mozpool}) evolves only through new migrations.
 * Stable API from 1.0; until then it may change between minor versions.
 */
package org.mozpool.jdbc;
