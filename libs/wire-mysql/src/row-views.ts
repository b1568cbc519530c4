// Views of row payloads for a masker: find every cell without copying, then build a new row with
// some cells replaced, copying the untouched bytes in runs. The codec owns these layouts so no
// policy code writes a length prefix or a NULL bitmap.
import { binaryValueSize, encodeBinaryValue, isLengthEncodedType, type BinaryValue } from './binary-values.js';
import { MAX_PACKET_PAYLOAD, PACKET_HEADER_SIZE } from './constants.js';
import { MySqlProtocolError, malformed } from './errors.js';
import { packet } from './packets.js';
import { lenencAt, lenencPrefixSize } from './reader.js';
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
  // Every cell takes at least one byte: refuse an impossible count before allocating for it.
  if (columnCount > payload.length)
    throw malformed(`text row: ${columnCount} cells cannot fit in ${payload.length} bytes`);
  const cells = cellsFor(columnCount, reuse);
  cells.bitmapStart = -1;
  const size = payload.length;
  let at = 0;
  for (let i = 0; i < columnCount; i++) {
    cells.start[i] = at;
    const first = payload[at];
    if (first === 0xfb) {
      cells.valueStart[i] = -1;
      at += 1;
    } else {
      const length = lenencAt(payload, at);
      if (length < 0) throw malformed(`text row: bad or missing cell ${i}`);
      const valueStart = at + lenencPrefixSize(first!);
      if (length > size - valueStart) throw malformed(`text row: cell ${i} overruns the payload`);
      cells.valueStart[i] = valueStart;
      at = valueStart + length;
    }
    cells.end[i] = at;
  }
  if (at !== size) throw malformed(`text row: ${size - at} unexpected trailing bytes`);
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
    cells.valueStart[i] = isLengthEncodedType(type) ? at + lenencPrefixSize(payload[at]!) : at;
    at += size;
    cells.end[i] = at;
  }
  if (at !== payload.length) throw malformed(`binary row: ${payload.length - at} unexpected trailing bytes`);
  return cells;
}

/** A replacement for a text cell: new value bytes (or a string, as UTF-8), or null for SQL NULL. */
export type TextCellReplacement = Uint8Array | string | null;

/**
 * A new text row with the cells in `replacements` (by column index) replaced, as wire bytes: the
 * packet header (sequence id `sequenceId`) included, split into several packets if the row
 * reaches 16 MiB. Untouched bytes are copied in runs, not re-encoded; strings are written as
 * UTF-8 straight into the new row.
 */
export function rewriteTextRow(
  payload: Buffer,
  cells: RowCells,
  replacements: ReadonlyMap<number, TextCellReplacement>,
  sequenceId: number,
): Buffer {
  const indexes = sortedIndexes(replacements, cells);
  const values = indexes.map((index) => replacements.get(index)!);
  return rewriteTextCells(payload, cells, indexes, values, indexes.length, sequenceId);
}

/**
 * `rewriteTextRow` for a caller that already has the replaced cells in row order: `values[k]`
 * replaces cell `indexes[k]` for k < `count` (arrays a masker reuses from row to row, so a masked
 * row allocates only its own bytes). `allocate` gives the bytes of a row under 16 MiB (a masker
 * hands out consecutive slices of a slab, so consecutive rows are adjacent in memory and leave
 * in one write).
 */
export function rewriteTextCells(
  payload: Buffer,
  cells: RowCells,
  indexes: ArrayLike<number>,
  values: ArrayLike<TextCellReplacement>,
  count: number,
  sequenceId: number,
  allocate: (size: number) => Buffer = Buffer.allocUnsafe,
): Buffer {
  let size = payload.length;
  let previous = -1;
  for (let k = 0; k < count; k++) {
    const index = indexes[k]!;
    if (!Number.isInteger(index) || index <= previous || index >= cells.count) {
      throw new RangeError(`cell ${index} is not in row order in a row of ${cells.count}`);
    }
    previous = index;
    const value = values[k]!;
    const length = value === null ? -1 : byteLength(value);
    size += (length < 0 ? 1 : lenencSize(length) + length) - cellSize(cells, index);
  }
  const row = allocateRow(size, allocate);
  const out = row.out;
  let at = row.start;
  let copied = 0;
  for (let k = 0; k < count; k++) {
    const index = indexes[k]!;
    at = copyBytes(payload, copied, cells.start[index]!, out, at);
    const value = values[k]!;
    if (value === null) out[at++] = 0xfb;
    else {
      const length = byteLength(value);
      at = writeBytes(out, writeLenenc(out, length, at), value, length);
    }
    copied = cells.end[index]!;
  }
  at = copyBytes(payload, copied, payload.length, out, at);
  return finishRow(row, at, sequenceId);
}

/**
 * A new binary row with the cells in `replacements` replaced by values of their column's type
 * (see `BinaryValue`; strings are accepted for length-encoded types), as wire bytes like
 * `rewriteTextRow`. null sets the cell's NULL bit. `allocate`: as for `rewriteTextCells`.
 */
export function rewriteBinaryRow(
  payload: Buffer,
  cells: RowCells,
  columnTypes: ArrayLike<number>,
  replacements: ReadonlyMap<number, BinaryValue | string>,
  sequenceId: number,
  allocate: (size: number) => Buffer = Buffer.allocUnsafe,
): Buffer {
  if (cells.bitmapStart < 0) throw new RangeError('cells of a text row given to rewriteBinaryRow');
  const indexes = sortedIndexes(replacements, cells);
  // Strings for length-encoded columns are written directly; other values are encoded first.
  const values = indexes.map((index) => {
    const value = replacements.get(index)!;
    const type = columnTypes[index]!;
    return value === null || (typeof value === 'string' && isLengthEncodedType(type))
      ? value
      : encodeBinaryValue(type, value);
  });
  const lengths = values.map((value) => (value === null ? -1 : byteLength(value as string | Uint8Array)));
  let size = payload.length;
  for (let k = 0; k < indexes.length; k++) {
    const length = lengths[k]!;
    const value = values[k];
    const encoded = length < 0 ? 0 : typeof value === 'string' ? lenencSize(length) + length : length;
    size += encoded - cellSize(cells, indexes[k]!);
  }
  const row = allocateRow(size, allocate);
  const out = row.out;
  let at = row.start;
  let copied = 0;
  for (let k = 0; k < indexes.length; k++) {
    const index = indexes[k]!;
    at = copyBytes(payload, copied, cells.start[index]!, out, at);
    const value = values[k]!;
    if (typeof value === 'string') at = writeBytes(out, writeLenenc(out, lengths[k]!, at), value, lengths[k]!);
    else if (value !== null) at = writeBytes(out, at, value as Uint8Array, lengths[k]!);
    copied = cells.end[index]!;
  }
  at = copyBytes(payload, copied, payload.length, out, at);
  // The NULL bitmap lies before every cell, so it was copied unchanged: fix the replaced bits.
  const bitmap = row.start + cells.bitmapStart;
  for (let k = 0; k < indexes.length; k++) {
    const bit = indexes[k]! + 2;
    if (values[k] === null) out[bitmap + (bit >> 3)]! |= 1 << (bit & 7);
    else out[bitmap + (bit >> 3)]! &= ~(1 << (bit & 7));
  }
  return finishRow(row, at, sequenceId);
}

/**
 * `rewriteBinaryRow` for a caller with the replaced cells in row order (`values[k]` replaces cell
 * `indexes[k]` for k < `count`, arrays a masker reuses). A value for a length-encoded column is
 * its bytes (or a string, as UTF-8), written with its length prefix; a value for any other column
 * must be null (or is encoded as `encodeBinaryValue` would). `allocate`: as for `rewriteTextCells`.
 */
export function rewriteBinaryCells(
  payload: Buffer,
  cells: RowCells,
  columnTypes: ArrayLike<number>,
  indexes: ArrayLike<number>,
  values: ArrayLike<Uint8Array | string | null>,
  count: number,
  sequenceId: number,
  allocate: (size: number) => Buffer = Buffer.allocUnsafe,
): Buffer {
  if (cells.bitmapStart < 0) throw new RangeError('cells of a text row given to rewriteBinaryCells');
  let size = payload.length;
  let previous = -1;
  for (let k = 0; k < count; k++) {
    const index = indexes[k]!;
    if (!Number.isInteger(index) || index <= previous || index >= cells.count) {
      throw new RangeError(`cell ${index} is not in row order in a row of ${cells.count}`);
    }
    previous = index;
    const value = values[k]!;
    if (value !== null && !isLengthEncodedType(columnTypes[index]!)) {
      // A fixed-size type given bytes or a string: the general path encodes it.
      const replacements = new Map<number, BinaryValue | string>();
      for (let j = 0; j < count; j++) replacements.set(indexes[j]!, values[j] as BinaryValue | string);
      return rewriteBinaryRow(payload, cells, columnTypes, replacements, sequenceId, allocate);
    }
    const length = value === null ? 0 : byteLength(value);
    size += (value === null ? 0 : lenencSize(length) + length) - cellSize(cells, index);
  }
  const row = allocateRow(size, allocate);
  const out = row.out;
  let at = row.start;
  let copied = 0;
  for (let k = 0; k < count; k++) {
    const index = indexes[k]!;
    at = copyBytes(payload, copied, cells.start[index]!, out, at);
    const value = values[k]!;
    if (value !== null) {
      const length = byteLength(value);
      at = writeBytes(out, writeLenenc(out, length, at), value, length);
    }
    copied = cells.end[index]!;
  }
  at = copyBytes(payload, copied, payload.length, out, at);
  const bitmap = row.start + cells.bitmapStart;
  for (let k = 0; k < count; k++) {
    const bit = indexes[k]! + 2;
    if (values[k] === null) out[bitmap + (bit >> 3)]! |= 1 << (bit & 7);
    else out[bitmap + (bit >> 3)]! &= ~(1 << (bit & 7));
  }
  return finishRow(row, at, sequenceId);
}

function byteLength(value: string | Uint8Array): number {
  return typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.length;
}

function cellSize(cells: RowCells, index: number): number {
  return cells.end[index]! - cells.start[index]!;
}

/** The replaced column indexes in row order, each checked. Usually one to three of them. */
function sortedIndexes(replacements: ReadonlyMap<number, unknown>, cells: RowCells): number[] {
  const indexes: number[] = [];
  for (const index of replacements.keys()) {
    if (!Number.isInteger(index) || index < 0 || index >= cells.count) {
      throw new RangeError(`no cell ${index} in a row of ${cells.count}`);
    }
    let at = indexes.length;
    indexes.push(index);
    for (; at > 0 && indexes[at - 1]! > index; at--) indexes[at] = indexes[at - 1]!;
    indexes[at] = index;
  }
  return indexes;
}

/** Short runs are copied by a loop: Buffer#copy costs more than the bytes of a typical cell. */
function copyBytes(source: Uint8Array, start: number, end: number, target: Uint8Array, at: number): number {
  const length = end - start;
  if (length < 48) {
    for (let i = 0; i < length; i++) target[at + i] = source[start + i]!;
  } else {
    target.set(source.subarray(start, end), at);
  }
  return at + length;
}

function writeBytes(out: Buffer, at: number, value: string | Uint8Array, length: number): number {
  if (typeof value === 'string') out.write(value, at, length, 'utf8');
  else copyBytes(value, 0, length, out, at);
  return at + length;
}

interface RowBuffer {
  out: Buffer;
  /** Where the payload starts in `out`: after the header room of a single packet. */
  start: number;
  size: number;
}

function allocateRow(size: number, allocate: (size: number) => Buffer = Buffer.allocUnsafe): RowBuffer {
  const single = size < MAX_PACKET_PAYLOAD;
  return {
    out: single ? allocate(size + PACKET_HEADER_SIZE) : Buffer.allocUnsafe(size),
    start: single ? PACKET_HEADER_SIZE : 0,
    size,
  };
}

function finishRow(row: RowBuffer, end: number, sequenceId: number): Buffer {
  if (end !== row.start + row.size) throw new MySqlProtocolError('MALFORMED', 'row cells do not match the payload');
  if (row.start === 0) return packet(row.out, sequenceId); // 16 MiB or more: several packets
  row.out.writeUIntLE(row.size, 0, 3);
  row.out[3] = sequenceId & 0xff;
  return row.out;
}
