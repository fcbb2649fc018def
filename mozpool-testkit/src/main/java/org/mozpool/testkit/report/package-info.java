/**
 * The lab report: a {@link org.mozpool.testkit.report.LabRecorder} that listens to a pool while a
 * simulation runs, the immutable {@link org.mozpool.testkit.report.LabReport} it produces
 * (requests served and failed, time to ready, faults injected against detected, recoveries and
 * quarantines, state occupancy over time), and renderings as text and as a self-contained HTML
 * page with inline SVG charts. Experimental: report fields may be added in minor releases.
 */
package org.mozpool.testkit.report;
