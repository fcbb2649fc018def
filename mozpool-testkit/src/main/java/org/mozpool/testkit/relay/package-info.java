/**
 * A ProXR relay-board emulator: a real TCP server on loopback that speaks the NCD ProXR byte
 * protocol with the one-connection-at-a-time rule, records what it receives and can be told to
 * hang, answer garbage or refuse, so that power drivers are tested against real sockets. Part of
 * the testkit's published API; it may grow but existing methods stay.
 */
package org.mozpool.testkit.relay;
