/**
 * Benchmarks of issue 7: plain programs, one per figure, each printing its figures and the exact
 * command that reproduces them (see BENCHMARKS.md at the repository root), and JMH
 * micro-benchmarks where one fits. Not a supported API; nothing here runs in {@code mvn verify}.
 */
package org.mozpool.benchmarks;
