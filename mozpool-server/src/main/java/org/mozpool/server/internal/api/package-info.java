/**
 * The server's REST API: the original Mozpool's routes under {@code /api/} (documented route by
 * route in {@code mozpool-server/API.md}), grouped by resource in small route classes that call
 * the Java API, with the bearer-token check and the one mapping of exceptions to status codes and
 * JSON error bodies in {@code Routes}. Internal: public only so that the server can register the
 * routes; unsupported for other uses.
 */
package org.mozpool.server.internal.api;
