import { describe, expect, test } from '@jest/globals';
import { GENESIS, auditHash, type ChainedAuditRow } from './audit-chain.js';
import { verifyAuditChain, type AuditChainSource } from './audit-chain-verification.js';

/** `legacy` rows without hashes (seqs 1..legacy, with gaps as a sequence leaves them), then `count` chained. */
function log(count: number, legacy = 0): ChainedAuditRow[] {
  const rows: ChainedAuditRow[] = [];
  for (let i = 0; i < legacy; i += 1) rows.push({ ...content(i), seq: BigInt(i * 2 + 1), prevHash: null, hash: null });
  let prev = GENESIS;
  let seq = rows.at(-1)?.seq ?? 0n;
  for (let i = 0; i < count; i += 1) {
    const event = content(legacy + i);
    const hash = auditHash(prev, event);
    seq += 1n;
    rows.push({ ...event, seq, prevHash: prev, hash });
    prev = hash;
  }
  return rows;
}

function content(i: number) {
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    at: new Date(1_700_000_000_000 + i),
    actorId: 'x',
    actorKind: 'system',
    kind: 'test.event',
    decision: null,
    connectionId: null,
    sessionId: null,
    agentId: null,
    ruleId: null,
    policyVersion: null,
    details: { i },
  };
}

/** The rows as the database would hold them (read in seq order). */
function source(rows: ChainedAuditRow[]): AuditChainSource {
  const sorted = [...rows].sort((a, b) => (a.seq < b.seq ? -1 : 1));
  return {
    chainStart: async () => sorted.find((r) => r.hash !== null)?.seq ?? null,
    anchorBefore: async (seq) => {
      const row = sorted.filter((r) => r.seq < seq).at(-1);
      return row ? { seq: row.seq, hash: row.hash } : null;
    },
    seqOfHash: async (hash) => sorted.find((r) => r.hash?.equals(hash))?.seq ?? null,
    async *rows(from, to) {
      yield* sorted.filter((r) => r.seq >= from && r.seq <= to);
    },
  };
}

const verify = (rows: ChainedAuditRow[], from = 0n, to = 1000n, maxRows?: number) =>
  verifyAuditChain(source(rows), { from, to, ...(maxRows === undefined ? {} : { maxRows }) });

const at = (rows: ChainedAuditRow[], seq: bigint) => rows.findIndex((r) => r.seq === seq);

describe('verifyAuditChain', () => {
  test('an intact log verifies, legacy rows before the chain are counted apart', async () => {
    const rows = log(6, 3);
    const verdict = await verify(rows);
    expect(verdict).toMatchObject({ checked: 9, legacy: 3, problems: [], problemCount: 0, lastSeq: rows.at(-1)!.seq });
    expect(verdict.headHash).toEqual(rows.at(-1)!.hash);
    expect(await verify(rows, 7n, 9n)).toMatchObject({ checked: 3, firstSeq: 7n, problems: [] });
  });

  test('a modified event is named once, not as a cascade', async () => {
    const rows = log(6);
    rows[2] = { ...rows[2]!, details: { i: 99 } };
    expect((await verify(rows)).problems).toEqual([{ seq: 3n, problem: 'modified', detail: expect.any(String) }]);
  });

  test('a rewritten hash is named at the event whose hash changed', async () => {
    const rows = log(6);
    const forged = { ...rows[2]!, details: { i: 99 } };
    rows[2] = { ...forged, hash: auditHash(forged.prevHash!, forged) };
    expect((await verify(rows)).problems).toEqual([{ seq: 3n, problem: 'modified', detail: expect.any(String) }]);
  });

  test('a removed hash is a modification', async () => {
    const rows = log(4);
    rows[1] = { ...rows[1]!, hash: null };
    expect((await verify(rows)).problems).toEqual([{ seq: 2n, problem: 'modified', detail: expect.any(String) }]);
  });

  test('deleted events are named by their seqs; a deleted start of the chain too', async () => {
    const rows = log(8);
    const gone = rows.filter((r) => r.seq !== 3n && r.seq !== 6n && r.seq !== 7n);
    expect((await verify(gone)).problems).toEqual([
      { seq: 3n, problem: 'deleted', detail: 'event 3 is missing' },
      { seq: 6n, problem: 'deleted', detail: 'events 6 to 7 are missing' },
    ]);
    expect((await verify(rows.slice(2))).problems).toEqual([
      { seq: 3n, problem: 'deleted', detail: expect.any(String) },
    ]);
    // Verifying from a seq after a deletion still sees the gap before it.
    expect((await verify(gone, 4n, 5n)).problems).toEqual([
      { seq: 3n, problem: 'deleted', detail: 'event 3 is missing' },
    ]);
  });

  test('swapped events are reordered; the event after them is not blamed', async () => {
    const rows = log(6);
    const a = at(rows, 3n);
    const b = at(rows, 4n);
    const swapped = rows.map((r, i) => (i === a ? { ...rows[b]!, seq: 3n } : i === b ? { ...rows[a]!, seq: 4n } : r));
    const verdict = await verify(swapped);
    expect(verdict.problems.map((p) => [p.seq, p.problem])).toEqual([
      [3n, 'reordered'],
      [4n, 'reordered'],
    ]);
  });

  test('maxRows stops the walk and says where to continue', async () => {
    const verdict = await verify(log(10), 0n, 1000n, 4);
    expect(verdict).toMatchObject({ checked: 4, lastSeq: 4n, nextSeq: 5n, problems: [] });
  });
});
