// Cheap, lenient views of the few messages a proxy inspects on its hot path. Unlike the
// `decode*` functions they never throw on a malformed body: a proxy that only needs a name or
// the SQL text forwards the message anyway and lets the server refuse it, as it would have.
// They also own the byte layouts policy code splices (DataRow, CopyData), so nobody else writes
// a type byte or a length word.
import { BackendCode, ErrorField } from './codes.js';
import { effectiveFormat } from './decode-util.js';
import type { Frame } from './frame.js';

/** A NUL-terminated string at `offset`; a missing terminator takes the rest (the server rejects it). */
function cstringAt(body: Buffer, offset: number): { value: string; next: number } {
  let end = body.indexOf(0, offset);
  if (end < 0) end = body.length;
  return { value: body.toString('utf8', offset, end), next: end + 1 };
}

/** The SQL of a Query. */
export function querySql(frame: Frame): string {
  return cstringAt(frame.body, 0).value;
}

/** Statement name and SQL of a Parse (its parameter types are not read). */
export function parseHead(frame: Frame): { name: string; sql: string } {
  const name = cstringAt(frame.body, 0);
  return { name: name.value, sql: cstringAt(frame.body, name.next).value };
}

/** Whether a Describe or Close is about a prepared statement ('S') or a portal ('P'), and its name. */
export function describeTarget(frame: Frame): { target: 'statement' | 'portal'; name: string } {
  return { target: frame.body[0] === 0x53 ? 'statement' : 'portal', name: cstringAt(frame.body, 1).value };
}

/** The portal an Execute runs. */
export function executePortal(frame: Frame): string {
  return cstringAt(frame.body, 0).value;
}

/** A CommandComplete's tag (`SELECT 3`, `INSERT 0 1`). */
export function commandTag(frame: Frame): string {
  return cstringAt(frame.body, 0).value;
}

export interface BindHead {
  portal: string;
  statement: string;
  /** Result column formats as sent (see `effectiveFormat`); empty on a malformed Bind. */
  resultFormats: number[];
  /** Parameters for a log or a recording: text up to `maxTextBytes`, `NULL`, or a binary placeholder. */
  params: string[];
}

/**
 * Portal, statement, result formats and readable parameters of a Bind, skipping parameter
 * values without copying them. A malformed Bind yields what could be read (results in text is
 * the safe reading): the server refuses it.
 */
export function bindHead(frame: Frame, maxTextBytes: number): BindHead {
  const body = frame.body;
  const portal = cstringAt(body, 0);
  const statement = cstringAt(body, portal.next);
  const resultFormats: number[] = [];
  const params: string[] = [];
  let offset = statement.next;
  try {
    const formatCount = body.readInt16BE(offset);
    const formats: number[] = [];
    for (let i = 0; i < formatCount; i++) formats.push(body.readInt16BE(offset + 2 + 2 * i));
    offset += 2 + 2 * formatCount;
    const count = body.readInt16BE(offset);
    offset += 2;
    for (let i = 0; i < count; i++) {
      const length = body.readInt32BE(offset);
      offset += 4;
      if (length < 0) params.push('NULL');
      else if (effectiveFormat(formats, i) === 1) params.push(`<binary, ${length} bytes>`);
      else params.push(body.toString('utf8', offset, offset + Math.min(length, maxTextBytes)));
      offset += Math.max(0, length);
    }
    const results = body.readInt16BE(offset);
    offset += 2;
    for (let i = 0; i < results; i++) resultFormats.push(body.readInt16BE(offset + 2 * i));
  } catch {
    // A malformed Bind: the server refuses it; results in text format is the safe reading.
  }
  return { portal: portal.value, statement: statement.value, resultFormats, params };
}

/** SQLSTATE and message of a complete ErrorResponse's bytes, or null when they cannot be read. */
export function errorCodeAndMessage(bytes: Buffer): { code: string; message: string } | null {
  if (bytes.length < 5 || bytes[0] !== BackendCode.ErrorResponse) return null;
  const fields: Record<string, string> = {};
  let at = 5;
  while (at < bytes.length && bytes[at] !== 0) {
    const field = String.fromCharCode(bytes[at]!);
    const value = cstringAt(bytes, at + 1);
    fields[field] = value.value;
    at = value.next;
  }
  return { code: fields[ErrorField.Code] ?? '', message: fields[ErrorField.Message] ?? '' };
}

// ------------------------------------------------------------------ byte layouts for splicing

/** A DataRow's header: type byte 'D', int32 length, int16 column count. Values follow. */
export const DATA_ROW_HEADER_SIZE = 7;
/** A CopyData's header: type byte 'd', int32 length. The payload follows. */
export const COPY_DATA_HEADER_SIZE = 5;

/** Why a DataRow's or CopyData's bytes cannot be walked. */
export class MessageLayoutError extends Error {
  override readonly name = 'MessageLayoutError';
}

/**
 * Walks a complete DataRow (`frame` is its whole bytes), validating every length, and calls
 * `visit(column, start, end)` for each non-NULL value (`[start, end)` in `frame`; the value's
 * length word is the 4 bytes before `start`). Returns the column count. Nothing is copied.
 */
export function walkDataRow(
  frame: Buffer,
  expectedColumns: number,
  visit: (column: number, start: number, end: number) => void,
): number {
  const size = frame.length;
  if (size < DATA_ROW_HEADER_SIZE || frame[0] !== BackendCode.DataRow)
    throw new MessageLayoutError('not a DataRow message');
  if (frame.readInt32BE(1) !== size - 1) throw new MessageLayoutError('DataRow length does not match its frame');
  const columns = (frame[5]! << 8) | frame[6]!;
  if (columns !== expectedColumns) {
    throw new MessageLayoutError(`DataRow has ${columns} columns, its description ${expectedColumns}`);
  }
  let at = DATA_ROW_HEADER_SIZE;
  for (let i = 0; i < columns; i++) {
    if (at + 4 > size) throw new MessageLayoutError('DataRow ends inside a column length');
    const length = frame.readInt32BE(at);
    at += 4;
    if (length === -1) continue;
    if (length < 0 || length > size - at) throw new MessageLayoutError('DataRow column length overruns the frame');
    visit(i, at, at + length);
    at += length;
  }
  if (at !== size) throw new MessageLayoutError('DataRow has bytes after its last column');
  return columns;
}

/** The payload of a complete CopyData message (a view), its type and length checked. */
export function copyDataPayload(frame: Buffer): Buffer {
  if (frame.length < COPY_DATA_HEADER_SIZE || frame[0] !== BackendCode.CopyData) {
    throw new MessageLayoutError('not a CopyData message');
  }
  if (frame.readInt32BE(1) !== frame.length - 1)
    throw new MessageLayoutError('CopyData length does not match its frame');
  return frame.subarray(COPY_DATA_HEADER_SIZE);
}

/**
 * Writes the header of a message built in place: `type` at 0 and the length word (the whole
 * buffer but the type byte). For a DataRow or CopyData whose values a masker spliced.
 */
export function sealMessage(out: Buffer, type: typeof BackendCode.DataRow | typeof BackendCode.CopyData): Buffer {
  out[0] = type;
  out.writeInt32BE(out.length - 1, 1);
  return out;
}
