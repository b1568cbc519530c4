/**
 * The server's bytes are not what the masking plan expects: a malformed DataRow or CopyData, a
 * column count that differs from the description, a binary value that breaks its own layout.
 * A protocol error: the agent ends the session rather than forward a row it could not mask.
 */
export class MaskingError extends Error {
  override readonly name = 'MaskingError';
}
