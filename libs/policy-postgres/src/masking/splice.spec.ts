import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { Splice } from './splice.js';

/** The same edits, applied the obvious way. */
function naive(src: Buffer, edits: { start: number; end: number; value: Buffer | null; prefixed: boolean }[]): Buffer {
  const parts: Buffer[] = [];
  let cursor = 0;
  for (const e of edits) {
    parts.push(src.subarray(cursor, e.start));
    if (e.prefixed) {
      const length = Buffer.alloc(4);
      length.writeInt32BE(e.value === null ? -1 : e.value.length);
      parts.push(length);
    }
    if (e.value !== null) parts.push(e.value);
    cursor = e.end;
  }
  parts.push(src.subarray(cursor));
  return Buffer.concat(parts);
}

const editsOf = (size: number) =>
  fc
    .uniqueArray(fc.nat(size), { maxLength: 8 })
    .map((cuts) => cuts.sort((a, b) => a - b))
    .chain((cuts) =>
      fc.tuple(
        ...Array.from({ length: Math.floor(cuts.length / 2) }, (_, k) =>
          fc.record({
            start: fc.constant(cuts[2 * k]!),
            end: fc.constant(cuts[2 * k + 1]!),
            value: fc.option(
              fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b)),
              { nil: null },
            ),
            prefixed: fc.boolean(),
          }),
        ),
      ),
    );

describe('Splice', () => {
  test('build equals applying the edits naively, and earlier outputs are never overwritten', () => {
    const splice = new Splice();
    const kept: [Buffer, Buffer][] = [];
    fc.assert(
      fc.property(
        fc
          .uint8Array({ minLength: 1, maxLength: 300 })
          .chain((src) => fc.tuple(fc.constant(Buffer.from(src)), editsOf(src.length))),
        ([src, edits]) => {
          splice.reset();
          for (const e of edits) {
            if (e.prefixed) splice.replaceValue(e.start, e.end, e.value);
            else splice.replaceRaw(e.start, e.end, e.value ?? Buffer.alloc(0));
          }
          const expected = naive(
            src,
            edits.map((e) => ({ ...e, value: e.prefixed ? e.value : (e.value ?? Buffer.alloc(0)) })),
          );
          const out = splice.build(src, 0, src.length, 0);
          expect(out.equals(expected)).toBe(true);
          kept.push([out, Buffer.from(expected)]);
        },
      ),
      { numRuns: 3000 },
    );
    // 3000 outputs span many slabs: each still holds exactly what it held when returned.
    for (const [out, expected] of kept) expect(out.equals(expected)).toBe(true);
  });

  test('head room, a sub-range of the source, and rows larger than a slab', () => {
    const splice = new Splice();
    const src = Buffer.alloc(300_000, 0x61);
    splice.replaceRaw(10, 20, Buffer.from('XY'));
    const out = splice.build(src, 5, src.length - 5, 3);
    expect(out.length).toBe(3 + (300_000 - 10) - 10 + 2);
    expect(out.subarray(3, 8).toString()).toBe('aaaaa');
    expect(out.subarray(8, 10).toString()).toBe('XY');
  });
});
