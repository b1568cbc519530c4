import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { chainHash, chainSeed } from '@postern/contracts';
import { verifyChain, type ChunkSource } from './chain-verification.js';
import type { StoredChunk } from './recording.types.js';

const SESSION = '0b7e3c1d-2f4a-4b6c-8d9e-0f1a2b3c4d5e';

/** A valid recording of `count` chunks, the last one final. */
function recording(count: number): StoredChunk[] {
  const chunks: StoredChunk[] = [];
  let prev = chainSeed(SESSION);
  for (let seq = 0; seq < count; seq += 1) {
    const data = Buffer.from(`{"at":${1000 + seq},"type":"statement","sql":"select ${seq}"}\n`);
    const final = seq === count - 1;
    prev = chainHash(prev, seq, final, data);
    chunks.push({ seq, data, chainHash: prev, final });
  }
  return chunks;
}

/** The chunks as the database would hold them: rows keyed by seq, read in seq order. */
function source(rows: StoredChunk[]): ChunkSource {
  const sorted = [...rows].sort((a, b) => a.seq - b.seq);
  return {
    heads: async () => sorted.map(({ seq, chainHash: hash, final }) => ({ seq, chainHash: hash, final })),
    chunks: async (seqs) => sorted.filter((c) => seqs.includes(c.seq)),
  };
}

function verify(rows: StoredChunk[], expected = { chunks: 6, complete: true }) {
  return verifyChain(SESSION, expected, source(rows));
}

/** Moves the rows at seqs a and b into each other's place (what an UPDATE of seq does). */
function swap(rows: StoredChunk[], a: number, b: number): StoredChunk[] {
  return rows.map((c) => (c.seq === a ? { ...c, seq: b } : c.seq === b ? { ...c, seq: a } : c));
}

describe('verifyChain', () => {
  test('an intact recording has no problem; its head is the final chunk’s hash', async () => {
    const rows = recording(6);
    expect(await verify(rows)).toEqual({ chunks: 6, problems: [], headHash: rows[5]!.chainHash });
  });

  test('a modified data byte is named by its seq, once', async () => {
    const rows = recording(6);
    rows[2] = { ...rows[2]!, data: Buffer.from(rows[2]!.data.toString().replace('select', 'delete')) };
    expect((await verify(rows)).problems).toEqual([expect.objectContaining({ seq: 2, problem: 'modified' })]);
  });

  test('a flipped final flag is a modification', async () => {
    const rows = recording(6);
    rows[5] = { ...rows[5]!, final: false };
    expect((await verify(rows)).problems).toEqual([expect.objectContaining({ seq: 5, problem: 'modified' })]);
  });

  test('a deleted chunk is missing; so is a deleted tail of a complete recording', async () => {
    const rows = recording(6);
    expect((await verify(rows.filter((c) => c.seq !== 3))).problems).toEqual([
      { seq: 3, problem: 'missing', detail: 'chunk 3 is missing' },
    ]);
    expect((await verify(rows.slice(0, 4))).problems).toEqual([
      { seq: 4, problem: 'missing', detail: 'chunks 4 to 5 are missing' },
    ]);
    // Without counters, the final mark alone still shows a cut tail.
    expect((await verify(rows.slice(0, 4), { chunks: 0, complete: true })).problems).toEqual([
      expect.objectContaining({ seq: 4, problem: 'missing' }),
    ]);
  });

  test('two swapped chunks are each reordered, with where they belong', async () => {
    const { problems } = await verify(swap(recording(6), 2, 3));
    expect(problems).toEqual([
      { seq: 2, problem: 'reordered', detail: 'chunk stored as seq 2 belongs at seq 3' },
      { seq: 3, problem: 'reordered', detail: 'chunk stored as seq 3 belongs at seq 2' },
    ]);
    expect((await verify(swap(recording(6), 0, 5))).problems.map((p) => [p.seq, p.problem])).toEqual([
      [0, 'reordered'],
      [5, 'reordered'],
    ]);
  });

  test('a chunk rewritten with a recomputed hash breaks the next link', async () => {
    const rows = recording(6);
    const data = Buffer.from('{"at":1,"type":"statement","sql":"select innocent"}\n');
    rows[1] = { ...rows[1]!, data, chainHash: chainHash(rows[0]!.chainHash, 1, false, data) };
    expect((await verify(rows)).problems).toEqual([expect.objectContaining({ seq: 2, problem: 'modified' })]);
  });

  test('a chunk chained after the final one is reported', async () => {
    const rows = recording(6);
    const data = Buffer.from('{"at":9,"type":"statement"}\n');
    rows.push({ seq: 6, data, final: false, chainHash: chainHash(rows[5]!.chainHash, 6, false, data) });
    expect((await verify(rows, { chunks: 6, complete: true })).problems).toEqual([
      expect.objectContaining({ seq: 6, problem: 'after_final' }),
    ]);
  });

  test('any single deletion, data change or swap is found and names an affected seq', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 12 }),
        fc.nat(),
        fc.nat(),
        fc.constantFrom('delete', 'modify', 'swap'),
        async (count, a, b, change) => {
          const rows = recording(count);
          const i = a % count;
          const j = (i + 1 + (b % (count - 1))) % count;
          let damaged: StoredChunk[];
          let affected: number[];
          if (change === 'delete') {
            damaged = rows.filter((c) => c.seq !== i);
            affected = [i];
          } else if (change === 'modify') {
            const data = Buffer.from(rows[i]!.data);
            data[b % data.length] ^= 1 << (b % 8) || 1;
            damaged = rows.map((c) => (c.seq === i ? { ...c, data } : c));
            affected = [i];
          } else {
            damaged = swap(rows, i, j);
            affected = [i, j];
          }
          const { problems } = await verifyChain(SESSION, { chunks: count, complete: true }, source(damaged));
          expect(problems.length).toBeGreaterThan(0);
          expect(problems.some((p) => affected.includes(p.seq))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
