/**
 * Scriptable test doubles: {@link org.mozpool.testkit.doubles.ScriptedHardware} (a power
 * control, boot control and device probe whose answers a test sets per device and per call) and
 * {@link org.mozpool.testkit.doubles.ScriptedLifeguard} (a device layer whose answers to
 * please-events and device events a test sets per device; {@code stateless(clock)} serves tests of
 * what stands in front of Lifeguard, with no pool). Both record every call for assertions. A {@link
 * org.mozpool.testkit.sim.VirtualLab} takes either ({@code VirtualLab.Builder.powerControl},
 * {@code .lifeguard}).
 *
 * <p>These are the doubles for tests of every module that depends on the testkit (jdbc, bmm,
 * server, examples, benchmarks). The tests of {@code mozpool-core} and {@code mozpool-lifeguard}
 * cannot use them (the testkit depends on those two modules, so it would be a build cycle); they
 * keep their own small doubles ({@code ScriptedLifeguard} in core's tests, {@code FakeHardware}
 * in lifeguard's).
 */
package org.mozpool.testkit.doubles;
