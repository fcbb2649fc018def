/**
 * JUnit 5 support: {@link org.mozpool.testkit.junit.MozpoolLabExtension} gives tests (each one,
 * or each class) a running pool over a simulated lab on virtual time, and {@link
 * org.mozpool.testkit.junit.MozpoolWireExtension} one over a wire-mode lab on loopback; both
 * inject the pool and the lab as parameters and fail a test that leaves a lease open. Experimental:
 * configuration methods may be added in minor releases.
 */
package org.mozpool.testkit.junit;
