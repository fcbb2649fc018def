/**
 * The operator command line, {@code mozpool}: {@code server} (run a server from a config, or the
 * demo lab), {@code device} and {@code request} (call a running server's REST API), and {@code
 * mozpool-bmm}'s hardware commands {@code relay}, {@code pxe} and {@code tftp}. {@link
 * org.mozpool.server.cli.MozpoolCommand} is the entry point of the executable jar; the commands,
 * their output and their exit codes are the supported interface, the classes behind them are not.
 */
package org.mozpool.server.cli;
