/**
 * JUnit 5 support: {@link org.mozpool.testkit.junit.MozpoolLabExtension} gives each test a
 * running pool over a simulated lab on virtual time, configured fluently and injected as test
 * method parameters. Experimental: configuration methods may be added in minor releases.
 */
package org.mozpool.testkit.junit;
