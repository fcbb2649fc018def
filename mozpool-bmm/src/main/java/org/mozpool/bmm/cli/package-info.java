/**
 * The operator command line, {@code mozpool}: relay-board power operations, a standalone TFTP
 * server and PXE config files, without a running pool. {@link org.mozpool.bmm.cli.MozpoolCli} is
 * the entry point; the commands and their output are the supported interface, the classes behind
 * them are not.
 */
package org.mozpool.bmm.cli;
