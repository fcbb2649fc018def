/**
 * A SUT agent emulator: a TCP server on a loopback address that speaks the on-device agent's
 * line protocol (prompt {@code $>} and a NUL byte, CRLF commands, {@code ##AGENT-WARNING##}
 * errors) over a small in-memory file system, with faults for agents that never answer or return a
 * wrong checksum. Part of the testkit's published API; it may grow but existing methods stay.
 */
package org.mozpool.testkit.agent;
