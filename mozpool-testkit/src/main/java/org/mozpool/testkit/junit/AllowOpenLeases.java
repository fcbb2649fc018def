package org.mozpool.testkit.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Lets a test method (or every test of a class) end with leases still open, which the lab
 * extensions otherwise report as a failure of the test. For tests that mean to leave a request
 * to expire, or to hand a lease to a later test of the same per-class lab.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface AllowOpenLeases {}
