package org.mozpool.bmm;

import org.mozpool.MozpoolException;

/**
 * A ProXR relay-board operation failed: the board refused the connection, hung, closed early,
 * answered something unexpected, or the operation ran past its deadline. The message names the
 * board, bank and relay (and the device, when known).
 */
public class RelayBoardException extends MozpoolException {
  private static final long serialVersionUID = 1L;
  private final String board;
  private final int bank;
  private final int relay;

  /**
   * @param board {@code host:port}
   * @param bank bank number, or 0 for a board-wide operation
   * @param relay relay number, or 0 for a board-wide operation
   */
  public RelayBoardException(String board, int bank, int relay, String message, Throwable cause) {
    super(message, cause);
    this.board = board;
    this.bank = bank;
    this.relay = relay;
  }

  /** The board, {@code host:port}. */
  public String board() {
    return board;
  }

  /** The bank, or 0 for a board-wide operation such as the two-way test. */
  public int bank() {
    return bank;
  }

  /** The relay, or 0 for a board-wide operation such as the two-way test. */
  public int relay() {
    return relay;
  }
}
