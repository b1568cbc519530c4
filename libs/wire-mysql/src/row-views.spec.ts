import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  type BinaryValue,
  ColumnType,
  decodeBinaryRow,
  decodeTextRow,
  encodeBinaryRow,
  encodeTextRow,
  MAX_PACKET_PAYLOAD,
  rewriteBinaryCells,
  rewriteBinaryRow,
  rewriteTextCells,
  rewriteTextRow,
  RowCells,
  scanBinaryRow,
  scanTextRow,
} from './index.js';
import { isLengthEncodedType } from './binary-values.js';
import { binaryRow, bytes, textRow, typedValue } from '../test/arbitraries.js';
import { readAtEveryOffset } from '../test/fixtures.js';

/** The payload of the one message in `wire`, read through the packet reader. */
function payloadOf(wire: Buffer, sequenceId: number): Buffer {
  const [message, ...rest] = readAtEveryOffset(wire);
  expect(rest).toHaveLength(0);
  expect(message!.sequenceId).toBe(sequenceId);
  return message!.payload;
}

describe('text rows', () => {
  test('scanning finds every cell as a view, NULLs included', () => {
    const payload = encodeTextRow(['alice', null, 'x'.repeat(300)]);
    const cells = scanTextRow(payload, 3);
    expect(cells.value(payload, 0)!.buffer).toBe(payload.buffer);
    expect([0, 1, 2].map((i) => cells.value(payload, i)?.toString() ?? null)).toEqual(['alice', null, 'x'.repeat(300)]);
    expect(cells.isNull(1)).toBe(true);
    expect(cells.valueLength(2)).toBe(300);
  });

  test('a reused RowCells allocates nothing new', () => {
    const cells = new RowCells(8);
    expect(scanTextRow(encodeTextRow(['a', 'b']), 2, cells)).toBe(cells);
    expect(cells.count).toBe(2);
  });

  test('rewriting replaces exactly the chosen cells (property)', () => {
    fc.assert(
      fc.property(
        textRow.filter((row) => row.length > 0),
        fc.array(fc.tuple(fc.nat(), fc.option(fc.oneof(bytes(300), fc.string({ unit: 'grapheme' })), { nil: null })), {
          maxLength: 5,
        }),
        fc.integer({ min: 0, max: 255 }),
        (row, picks, sequenceId) => {
          const payload = encodeTextRow(row);
          const replacements = new Map(picks.map(([i, value]) => [i % row.length, value] as const));
          const wire = rewriteTextRow(payload, scanTextRow(payload, row.length), replacements, sequenceId);
          const asBytes = (value: Buffer | string | null) => (typeof value === 'string' ? Buffer.from(value) : value);
          const expected = row.map((cell, i) => (replacements.has(i) ? asBytes(replacements.get(i)!) : cell));
          expect(decodeTextRow(payloadOf(wire, sequenceId), row.length)).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('text rows rewritten from arrays in row order', () => {
  test('the same bytes as rewriteTextRow, in the slices an allocator hands out', () => {
    const slab = Buffer.alloc(1024);
    let used = 0;
    const allocate = (size: number): Buffer => slab.subarray(used, (used += size));
    const rows = [
      ['1', 'ada@example.com', 'x'],
      ['2', null, 'y'.repeat(300)],
    ];
    const written = rows.map((row, n) => {
      const payload = encodeTextRow(row);
      const cells = scanTextRow(payload, 3);
      const wire = rewriteTextCells(payload, cells, [1, 2], [Buffer.from('****'), null], 2, n + 1, allocate);
      expect(wire).toEqual(
        rewriteTextRow(
          payload,
          cells,
          new Map([
            [1, '****'],
            [2, null],
          ]),
          n + 1,
        ),
      );
      return wire;
    });
    // Consecutive rows are adjacent in memory: the proxy writes them as one run.
    expect(written[1]!.byteOffset).toBe(written[0]!.byteOffset + written[0]!.length);
    expect(written[0]!.buffer).toBe(slab.buffer);
    expect(decodeTextRow(payloadOf(written[1]!, 2), 3)).toEqual([Buffer.from('2'), Buffer.from('****'), null]);
  });

  test('cells out of row order, repeated or outside the row are refused', () => {
    const payload = encodeTextRow(['a', 'b', 'c']);
    const cells = scanTextRow(payload, 3);
    expect(() => rewriteTextCells(payload, cells, [2, 1], [null, null], 2, 0)).toThrow(RangeError);
    expect(() => rewriteTextCells(payload, cells, [1, 1], [null, null], 2, 0)).toThrow(RangeError);
    expect(() => rewriteTextCells(payload, cells, [3], [null], 1, 0)).toThrow(RangeError);
  });
});

describe('binary rows', () => {
  test('rewriting replaces the chosen cells and fixes the NULL bitmap (property)', () => {
    fc.assert(
      fc.property(
        binaryRow.filter((row) => row.columns.length > 0),
        fc.array(fc.tuple(fc.nat(), typedValue, fc.boolean()), { maxLength: 5 }),
        ({ columns, values }, picks) => {
          const payload = encodeBinaryRow(values, columns);
          const types = columns.map((c) => c.type);
          const cells = scanBinaryRow(payload, types);
          // A replacement has the column's type: take the pick's value only when the types match.
          const replacements = new Map<number, BinaryValue>();
          for (const [raw, candidate, makeNull] of picks) {
            const index = raw % columns.length;
            if (makeNull) replacements.set(index, null);
            else if (candidate.type === types[index] && candidate.unsigned === (columns[index]!.flags !== 0)) {
              replacements.set(index, candidate.value);
            }
          }
          const wire = rewriteBinaryRow(payload, cells, types, replacements, 1);
          const expected = values.map((v, i) => (replacements.has(i) ? replacements.get(i)! : v));
          expect(decodeBinaryRow(payloadOf(wire, 1), columns)).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('value views: past the length prefix for strings, the whole encoding for fixed types', () => {
    const columns = [
      { type: ColumnType.VAR_STRING, flags: 0 },
      { type: ColumnType.LONG, flags: 0 },
      { type: ColumnType.BLOB, flags: 0 },
    ];
    const payload = encodeBinaryRow([Buffer.from('card 4111'), 7, null], columns);
    const cells = scanBinaryRow(
      payload,
      columns.map((c) => c.type),
    );
    expect(cells.value(payload, 0)!.toString()).toBe('card 4111');
    expect(cells.value(payload, 1)!.readInt32LE()).toBe(7);
    expect(cells.isNull(2)).toBe(true);
    const wire = rewriteBinaryRow(
      payload,
      cells,
      [ColumnType.VAR_STRING, ColumnType.LONG, ColumnType.BLOB],
      new Map([[2, 'now set']]),
      4,
    );
    expect(decodeBinaryRow(wire.subarray(4), columns)).toEqual([Buffer.from('card 4111'), 7, Buffer.from('now set')]);
  });
});

describe('binary rows rewritten from arrays in row order', () => {
  test('the same bytes as rewriteBinaryRow: strings and bytes for length-encoded columns, NULL for any (property)', () => {
    fc.assert(
      fc.property(
        binaryRow.filter((row) => row.columns.length > 0),
        fc.array(fc.tuple(fc.nat(), fc.option(fc.oneof(bytes(40), fc.string()), { nil: null })), { maxLength: 5 }),
        ({ columns, values }, picks) => {
          const payload = encodeBinaryRow(values, columns);
          const types = columns.map((c) => c.type);
          const cells = scanBinaryRow(payload, types);
          const chosen = new Map<number, Buffer | string | null>();
          for (const [raw, value] of picks) chosen.set(raw % columns.length, value);
          const indexes = [...chosen.keys()].sort((a, b) => a - b);
          // Bytes and strings only where the column is length-encoded (what a masker gives); NULL anywhere.
          const replacement = (index: number) => {
            const value = chosen.get(index)!;
            return value !== null && !isLengthEncodedType(types[index]!) ? null : value;
          };
          const cellValues = indexes.map(replacement);
          const fromArrays = rewriteBinaryCells(payload, cells, types, indexes, cellValues, indexes.length, 3);
          const fromMap = rewriteBinaryRow(
            payload,
            cells,
            types,
            new Map(indexes.map((index, k) => [index, cellValues[k] as BinaryValue | string])),
            3,
          );
          expect(fromArrays).toEqual(fromMap);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('rows of 16 MiB and more', () => {
  test('a rewrite that grows a row past 0xFFFFFF bytes comes out as several packets', () => {
    const payload = encodeTextRow(['small', 'x'.repeat(MAX_PACKET_PAYLOAD - 100)]);
    const wire = rewriteTextRow(payload, scanTextRow(payload, 2), new Map([[0, 'y'.repeat(200)]]), 250);
    expect(wire.readUIntLE(0, 3)).toBe(MAX_PACKET_PAYLOAD);
    expect(wire[3]).toBe(250);
    expect(wire[4 + MAX_PACKET_PAYLOAD + 3]).toBe(251);
    const rejoined = Buffer.concat([wire.subarray(4, 4 + MAX_PACKET_PAYLOAD), wire.subarray(8 + MAX_PACKET_PAYLOAD)]);
    const cells = decodeTextRow(rejoined, 2);
    expect(cells[0]!.toString()).toBe('y'.repeat(200));
    expect(cells[1]!.length).toBe(MAX_PACKET_PAYLOAD - 100);
  });
});
