/**
 * Why a byte stream or a message body was rejected. A proxy maps every code to the same action
 * (end that session), but the code tells an operator what the peer did wrong.
 */
export type ProtocolErrorCode =
  /** A length word above the configured maximum for that message. */
  | 'MESSAGE_TOO_LARGE'
  /** A length word below the protocol minimum (4 for typed messages, 8 for startup packets). */
  | 'INVALID_LENGTH'
  /** A startup packet asking for a protocol other than 3.x. */
  | 'UNSUPPORTED_PROTOCOL_VERSION'
  /** A type byte the frontend side of the protocol does not define. */
  | 'UNKNOWN_MESSAGE_TYPE'
  /** A decoder was given a frame of another message type or phase. */
  | 'UNEXPECTED_MESSAGE'
  /** Bytes where the protocol allows none (after an encryption request or acceptance). */
  | 'UNEXPECTED_DATA'
  /** A body that does not match its message layout. */
  | 'MALFORMED'
  /** SCRAM: the server's nonce, signature or final message did not check out. */
  | 'AUTHENTICATION_FAILED';

/** The one error type this library throws for bad input from the network. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';

  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function malformed(message: string): ProtocolError {
  return new ProtocolError('MALFORMED', message);
}
