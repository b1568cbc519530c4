import { ProtocolError } from './errors.js';
import type { Frame, FrameKind } from './frame.js';
import { BodyReader } from './reader.js';

/** Checks that `frame` is the typed message `code` and returns a reader over its body. */
export function messageReader(frame: Frame, code: number, what: string): BodyReader {
  if (frame.kind !== 'message' || frame.code !== code) {
    throw new ProtocolError('UNEXPECTED_MESSAGE', `expected ${what}, got ${describeFrame(frame)}`);
  }
  return new BodyReader(frame.body, what);
}

/** Checks that `frame` is the startup-phase packet `kind` and returns a reader over its body. */
export function startupReader(frame: Frame, kind: FrameKind, what: string): BodyReader {
  if (frame.kind !== kind) {
    throw new ProtocolError('UNEXPECTED_MESSAGE', `expected ${what}, got ${describeFrame(frame)}`);
  }
  return new BodyReader(frame.body, what);
}

/** For messages with no body: checks type and emptiness. */
export function decodeEmpty<T extends string>(frame: Frame, code: number, type: T): { type: T } {
  messageReader(frame, code, type).end();
  return { type };
}

export function describeFrame(frame: Frame): string {
  if (frame.kind !== 'message') return frame.kind;
  const code = frame.code;
  const printable = code >= 0x20 && code < 0x7f ? `'${String.fromCharCode(code)}'` : `0x${code.toString(16)}`;
  return `message ${printable}`;
}

/** Reads `count` int16 format codes. */
export function readFormats(reader: BodyReader): number[] {
  const count = reader.count16(2);
  const formats = new Array<number>(count);
  for (let i = 0; i < count; i++) formats[i] = reader.int16();
  return formats;
}

/** Reads a count then that many nullable values (int32 length, -1 for NULL). */
export function readNullableValues(reader: BodyReader): (Buffer | null)[] {
  const count = reader.count16(4);
  const values = new Array<Buffer | null>(count);
  for (let i = 0; i < count; i++) values[i] = reader.nullableBytes();
  return values;
}

/**
 * The format that applies to value `index` under PostgreSQL's rule for format-code lists:
 * none means all text, one applies to all, otherwise one per value.
 */
export function effectiveFormat(formats: readonly number[], index: number): number {
  if (formats.length === 0) return 0;
  if (formats.length === 1) return formats[0]!;
  return formats[index] ?? 0;
}
