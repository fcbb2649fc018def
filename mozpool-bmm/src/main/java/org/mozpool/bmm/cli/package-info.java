/**
 * The hardware commands of the operator command line, {@code mozpool}: relay-board power
 * operations, a standalone TFTP server and PXE config files, without a running pool. The
 * distributed {@code mozpool} is {@code mozpool-server}'s CLI jar, which adds them with {@link
 * org.mozpool.bmm.cli.MozpoolCli#addHardwareCommands}; the commands and their output are the
 * supported interface, the classes behind them are not.
 */
package org.mozpool.bmm.cli;
