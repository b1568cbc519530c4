import { ProtocolError } from './errors.js';

/** The largest length word either parser can be configured to accept (int32, minus the type byte). */
const ABSOLUTE_MAX_LENGTH = 0x7fff_fffe;

/** Validates a configured limit; a bad value is a programming error, so it throws RangeError. */
export function checkLimit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 8 || value > ABSOLUTE_MAX_LENGTH) {
    throw new RangeError(`${name} must be an integer between 8 and ${ABSOLUTE_MAX_LENGTH}, got ${value}`);
  }
  return value;
}

/** Reads and checks the length word of a typed message whose type byte is at `offset`. */
export function readTypedLength(buffer: Buffer, offset: number, limit: number): number {
  const length = buffer.readInt32BE(offset + 1);
  if (length < 4) {
    throw new ProtocolError('INVALID_LENGTH', `message length ${length} is below 4`);
  }
  if (length > limit) {
    throw new ProtocolError('MESSAGE_TOO_LARGE', `message length ${length} exceeds the limit of ${limit}`);
  }
  return length;
}
