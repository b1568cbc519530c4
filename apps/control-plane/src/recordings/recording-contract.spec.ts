import { describe, expect, test } from '@jest/globals';
import { RECORDING_CHAIN_VECTOR as vector } from '@postern/contracts';
import { verifyChain } from './chain-verification.js';
import { parseEventLines } from './recording-chain.js';
import type { StoredChunk } from './recording.types.js';

/**
 * The control plane's side of the recording chain contract: the chunks the agent's recorder
 * writes for the pinned events (its spec checks the same vector) verify here, for the session id
 * in either case, and their data parses as events.
 */
const stored: StoredChunk[] = vector.chunks.map((c) => ({
  seq: c.seq,
  final: c.final,
  data: Buffer.from(c.data, 'utf8'),
  chainHash: Buffer.from(c.chainHashHex, 'hex'),
}));
const source = {
  heads: async () => stored.map(({ seq, chainHash, final }) => ({ seq, chainHash, final })),
  chunks: async (seqs: number[]) => stored.filter((c) => seqs.includes(c.seq)),
};

describe('recording chain contract (@postern/contracts)', () => {
  test.each([vector.sessionId, vector.sessionIdUppercase])('the pinned chain of %s verifies', async (sessionId) => {
    const verdict = await verifyChain(sessionId, { chunks: 2, complete: true }, source);
    expect(verdict.problems).toEqual([]);
    expect(verdict.headHash?.toString('hex')).toBe(vector.chunks[1].chainHashHex);
  });

  test('the pinned chunks are valid event lines', () => {
    expect(stored.flatMap((c) => parseEventLines(c.data).map((e) => e.type))).toEqual(['session.start', 'session.end']);
  });
});
