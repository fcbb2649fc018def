/**
 * The routes for what watches a server: {@code GET /metrics} (Prometheus) and {@code GET
 * /healthz} (200/503 for a load balancer or systemd). Internal: part of the server, not an API.
 */
package org.mozpool.server.internal.ops;
