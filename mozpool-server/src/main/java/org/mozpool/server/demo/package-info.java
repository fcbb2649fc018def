/**
 * The demo lab: {@link org.mozpool.server.demo.DemoLab} starts a Mozpool server over the testkit's
 * simulated lab on loopback, with a generated config and API tokens, for {@code mozpool server
 * --demo}, for trying the API with {@code curl}, and for tests that need a whole server. The
 * {@code DemoLab} API is supported; the generated config's details may change between versions.
 */
package org.mozpool.server.demo;
