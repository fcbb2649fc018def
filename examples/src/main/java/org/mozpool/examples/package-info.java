/**
 * Runnable programs: {@link org.mozpool.examples.LabSimulation}, the README's main job, simulates
 * a lab of pandas under a CI workload and reports how Mozpool fared against a naive pool. Examples
 * are not API: copy them freely.
 */
package org.mozpool.examples;
