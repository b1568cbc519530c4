/**
 * Why a byte stream or a payload was rejected. A proxy maps every code to the same action (end
 * that session), but the code tells an operator what the peer did wrong.
 */
export type ProtocolErrorCode =
  /** A message (all its packets together) above the configured maximum. */
  | 'MESSAGE_TOO_LARGE'
  /** A continuation packet whose sequence id does not follow the previous packet's. */
  | 'PACKET_OUT_OF_ORDER'
  /** A decoder was given a payload of another message (wrong header byte or command). */
  | 'UNEXPECTED_MESSAGE'
  /** Something the codec deliberately does not speak (protocol 3.20 handshakes, version 9). */
  | 'UNSUPPORTED'
  /** A payload that does not match its message layout (truncated, bad length, trailing bytes). */
  | 'MALFORMED';

/** The one error type this library throws for bad input from the network. */
export class MySqlProtocolError extends Error {
  override readonly name = 'MySqlProtocolError';

  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function malformed(message: string): MySqlProtocolError {
  return new MySqlProtocolError('MALFORMED', message);
}

export function unexpected(message: string): MySqlProtocolError {
  return new MySqlProtocolError('UNEXPECTED_MESSAGE', message);
}
