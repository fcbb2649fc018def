/**
 * Runnable programs: {@link org.mozpool.examples.LabSimulationCommand}, the README's main job,
 * simulates a lab of pandas under a CI workload and reports how Mozpool fared against a naive pool;
 * {@link org.mozpool.examples.WireStack} puts a pool on {@code mozpool-bmm}'s {@code LabHardware}
 * over the testkit's simulated boards on loopback. Examples are not API: copy them freely.
 */
package org.mozpool.examples;
