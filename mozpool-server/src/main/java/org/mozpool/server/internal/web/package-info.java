/**
 * The operators' dashboard served at {@code /}: static pages (HTML, CSS, a small script, all
 * classpath resources, nothing from a CDN) that call the REST API with the token typed at login,
 * and {@code /ui/whoami}, which tells the page the token's name and role. Internal to the server;
 * unsupported for any other use.
 */
package org.mozpool.server.internal.web;
