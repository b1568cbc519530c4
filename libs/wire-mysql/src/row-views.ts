// Views of row payloads for a masker: find every cell without copying, then build a new row with
// some cells replaced, copying the untouched bytes in runs. The codec owns these layouts so no
// policy code writes a length prefix or a NULL bitmap.
import { binaryValueSize, encodeBinaryValue, isLengthEncodedType, type BinaryValue } from './binary-values.js';
import { MAX_PACKET_PAYLOAD, PACKET_HEADER_SIZE } from './constants.js';
import { MySqlProtocolError, malformed } from './errors.js';
import { packet } from './packets.js';
import { PayloadReader } from './reader.js';
import { binaryRowBitmapSize } from './resultset.js';
import { lenencSize, writeLenenc } from './writer.js';

/**
 * Where each cell of one row lies in its payload. Reusable across rows (`scan*` refills it), so
 * scanning a row allocates nothing once the arrays are large enough.
 */
export class RowCells {
  count = 0;
  /** Start of each cell's encoding, its length prefix included (for a binary NULL: where it would be). */
  readonly start: Int32Array;
  /** Start of each cell's value bytes; -1 for NULL. */
  readonly valueStart: Int32Array;
  /** End (exclusive) of each cell's encoding. */
  readonly end: Int32Array;
  /** Binary rows: where the NULL bitmap starts (1); -1 for text rows. */
  bitmapStart = -1;

  constructor(capacity: number) {
    this.start = new Int32Array(capacity);
    this.valueStart = new Int32Array(capacity);
    this.end = new Int32Array(capacity);
  }

  isNull(index: number): boolean {
    return this.valueStart[index] === -1;
  }

  /** Length of the value bytes (0 for NULL). */
  valueLength(index: number): number {
    return this.isNull(index) ? 0 : this.end[index]! - this.valueStart[index]!;
  }

  /** The value bytes of cell `index` as a view of `payload`; null for NULL. */
  value(payload: Buffer, index: number): Buffer | null {
    return this.isNull(index) ? null : payload.subarray(this.valueStart[index]!, this.end[index]!);
  }
}

function cellsFor(count: number, reuse: RowCells | undefined): RowCells {
  const cells = reuse !== undefined && reuse.start.length >= count ? reuse : new RowCells(count);
  cells.count = count;
  return cells;
}

/**
 * Finds the cells of a text row (length-encoded strings, 0xFB for NULL). Throws
 * `MySqlProtocolError('MALFORMED')` when the payload does not hold exactly `columnCount` cells.
 */
export function scanTextRow(payload: Buffer, columnCount: number, reuse?: RowCells): RowCells {
  const cells = cellsFor(columnCount, reuse);
  cells.bitmapStart = -1;
  const reader = new PayloadReader(payload, 'text row');
  for (let i = 0; i < columnCount; i++) {
    cells.start[i] = reader.offset;
    if (payload[reader.offset] === 0xfb) {
      reader.skip(1);
      cells.valueStart[i] = -1;
    } else {
      const length = reader.lenenc();
      cells.valueStart[i] = reader.offset;
      reader.skip(length);
    }
    cells.end[i] = reader.offset;
  }
  reader.end();
  return cells;
}

/**
 * Finds the cells of a binary row, given each column's type (`ColumnDefinition.type`).
 * For length-encoded types `value` is the bytes after the prefix; for the others it is the
 * whole fixed or temporal encoding.
 */
export function scanBinaryRow(payload: Buffer, columnTypes: ArrayLike<number>, reuse?: RowCells): RowCells {
  const count = columnTypes.length;
  const cells = cellsFor(count, reuse);
  if (payload[0] !== 0x00) throw malformed('binary row: header is not 0x00');
  const bitmapSize = binaryRowBitmapSize(count);
  if (payload.length < 1 + bitmapSize) throw malformed('binary row: payload ends in the NULL bitmap');
  cells.bitmapStart = 1;
  let at = 1 + bitmapSize;
  for (let i = 0; i < count; i++) {
    const bit = i + 2;
    cells.start[i] = at;
    if ((payload[1 + (bit >> 3)]! & (1 << (bit & 7))) !== 0) {
      cells.valueStart[i] = -1;
      cells.end[i] = at;
      continue;
    }
    const type = columnTypes[i]!;
    const size = binaryValueSize(payload, at, type);
    cells.valueStart[i] = isLengthEncodedType(type) ? at + size - lengthAfterPrefix(payload, at) : at;
    at += size;
    cells.end[i] = at;
  }
  if (at !== payload.length) throw malformed(`binary row: ${payload.length - at} unexpected trailing bytes`);
  return cells;
}

function lengthAfterPrefix(payload: Buffer, at: number): number {
  return new PayloadReader(payload, 'binary value', at).lenenc();
}

/** A replacement for a text cell: new value bytes (or a string, as UTF-8), or null for SQL NULL. */
export type TextCellReplacement = Uint8Array | string | null;

/**
 * A new text row with the cells in `replacements` (by column index) replaced, as wire bytes: the
 * packet header (sequence id `sequenceId`) included, split into several packets if the row
 * reaches 16 MiB. Untouched cells are copied in runs, not re-encoded.
 */
export function rewriteTextRow(
  payload: Buffer,
  cells: RowCells,
  replacements: ReadonlyMap<number, TextCellReplacement>,
  sequenceId: number,
): Buffer {
  const encoded = new Map<number, Buffer | null>();
  let size = payload.length;
  for (const [index, replacement] of replacements) {
    checkIndex(cells, index);
    const bytes =
      replacement === null
        ? null
        : typeof replacement === 'string'
          ? Buffer.from(replacement)
          : Buffer.from(replacement.buffer, replacement.byteOffset, replacement.length);
    encoded.set(index, bytes);
    size += (bytes === null ? 1 : lenencSize(bytes.length) + bytes.length) - (cells.end[index]! - cells.start[index]!);
  }
  return splice(payload, cells, encoded, size, sequenceId, (out, at, bytes) => {
    if (bytes === null) {
      out[at] = 0xfb;
      return at + 1;
    }
    at = writeLenenc(out, bytes.length, at);
    out.set(bytes, at);
    return at + bytes.length;
  });
}

/**
 * A new binary row with the cells in `replacements` replaced by values of their column's type
 * (see `BinaryValue`; strings are accepted for length-encoded types), as wire bytes like
 * `rewriteTextRow`. null sets the cell's NULL bit.
 */
export function rewriteBinaryRow(
  payload: Buffer,
  cells: RowCells,
  columnTypes: ArrayLike<number>,
  replacements: ReadonlyMap<number, BinaryValue | string>,
  sequenceId: number,
): Buffer {
  if (cells.bitmapStart < 0) throw new RangeError('cells of a text row given to rewriteBinaryRow');
  const encoded = new Map<number, Buffer | null>();
  let size = payload.length;
  for (const [index, replacement] of replacements) {
    checkIndex(cells, index);
    const bytes = replacement === null ? null : encodeBinaryValue(columnTypes[index]!, replacement);
    encoded.set(index, bytes);
    size += (bytes === null ? 0 : bytes.length) - (cells.end[index]! - cells.start[index]!);
  }
  return splice(
    payload,
    cells,
    encoded,
    size,
    sequenceId,
    (target, at, bytes) => {
      if (bytes === null) return at;
      target.set(bytes, at);
      return at + bytes.length;
    },
    (newPayload) => setBits(newPayload.subarray(cells.bitmapStart), encoded),
  );
}

function setBits(bitmap: Buffer, encoded: ReadonlyMap<number, Buffer | null>): void {
  for (const [index, bytes] of encoded) {
    const bit = index + 2;
    if (bytes === null) bitmap[bit >> 3]! |= 1 << (bit & 7);
    else bitmap[bit >> 3]! &= ~(1 << (bit & 7));
  }
}

function checkIndex(cells: RowCells, index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= cells.count) {
    throw new RangeError(`no cell ${index} in a row of ${cells.count}`);
  }
}

/** Copies `payload` into a framed buffer, writing replaced cells with `write`. */
function splice(
  payload: Buffer,
  cells: RowCells,
  encoded: ReadonlyMap<number, Buffer | null>,
  size: number,
  sequenceId: number,
  write: (out: Buffer, at: number, bytes: Buffer | null) => number,
  fixup?: (newPayload: Buffer) => void,
): Buffer {
  const single = size < MAX_PACKET_PAYLOAD;
  const out = Buffer.allocUnsafe(single ? size + PACKET_HEADER_SIZE : size);
  let at = single ? PACKET_HEADER_SIZE : 0;
  let copied = 0;
  const indexes = [...encoded.keys()].sort((a, b) => a - b);
  for (const index of indexes) {
    at += payload.copy(out, at, copied, cells.start[index]!);
    at = write(out, at, encoded.get(index)!);
    copied = cells.end[index]!;
  }
  at += payload.copy(out, at, copied, payload.length);
  if (at !== out.length) throw new MySqlProtocolError('MALFORMED', 'row cells do not match the payload');
  fixup?.(single ? out.subarray(PACKET_HEADER_SIZE) : out);
  if (!single) return packet(out, sequenceId);
  out.writeUIntLE(size, 0, 3);
  out[3] = sequenceId & 0xff;
  return out;
}
